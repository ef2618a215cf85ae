"""MkDocs hooks: one source for notebooks, one repository URL, generated results tables.

- The lesson and exercise notebooks live in ``lessons/`` and ``exercises/``, outside
  ``docs_dir``; they are added to the build here (before mkdocs-jupyter converts them), so
  the site never holds hand-maintained copies.
- Links between notebooks (``../exercises/03_residual_add.ipynb``, right on GitHub and in
  Colab) are rewritten to the pages' URLs; a link to a missing notebook fails the build.
- Each notebook page opens with "Open in Colab" and ".ipynb download" buttons.
- Notebook kernels use the IPython profile in ``scripts/ipython``, which keeps TensorFlow's
  native start-up lines out of the pages.
- ``repo_url`` comes from pyproject.toml's one repository URL.
- With ``KFUNC_SITE_CACHE=true`` (``make serve``), executed notebooks are cached under a
  fingerprint of what they run with (the package's files, the IPython profile, the versions
  of Keras, TensorFlow and the notebook tools), so changing any of those re-executes them;
  ``mkdocs serve`` also re-pairs an edited lesson ``.py`` with its ``.ipynb``. Builds without
  the variable (the tests, CI) execute every notebook.
- ``<!-- results:NAME -->`` in a page is replaced by a table from
  ``benchmarks/results/NAME.json``; ``<!-- catalogue:mistakes -->`` by the catalogue of known
  mistakes; ``<!-- verdict:EXERCISE FILE -->`` by the real verdict (and picture) for
  ``docs/examples/FILE.py``.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_FOLDERS = ("lessons", "exercises")
sys.path.insert(0, str(ROOT))  # scripts are imported one way everywhere: scripts.NAME
from scripts.sync_notebooks import colab_url, repository_url  # noqa: E402

CACHE_ROOT = ROOT / ".cache" / "mkdocs-jupyter"
# A folder of notebooks already executed (lessons/, exercises/): the test suite's one run.
EXECUTED = "KFUNC_EXECUTED_NOTEBOOKS"
FINGERPRINTED = ("kfunc_lessons", "scripts/ipython")
VERSIONED = ("keras", "tensorflow", "jax", "mkdocs-jupyter", "nbconvert", "ipykernel")
_command = {"name": None}


def execution_fingerprint() -> str:
    """A hash of everything a notebook's outputs depend on besides its own bytes."""
    import hashlib
    from importlib import metadata

    hasher = hashlib.sha256()
    for folder in FINGERPRINTED:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                hasher.update(path.relative_to(ROOT).as_posix().encode())
                hasher.update(path.read_bytes())
    for package in VERSIONED:
        try:
            hasher.update(f"{package}={metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            hasher.update(f"{package}=none".encode())
    return hasher.hexdigest()[:16]


def on_startup(command, dirty):
    _command["name"] = command


def on_config(config):
    # Kernels started for the notebooks read scripts/ipython/profile_default (see there).
    os.environ["IPYTHONDIR"] = str(ROOT / "scripts" / "ipython")
    config["repo_url"] = repository_url()
    jupyter = config["plugins"]["mkdocs-jupyter"].config
    if os.environ.get(EXECUTED):  # the test run executed every notebook already: render those
        jupyter["execute"] = False
    if jupyter["cache"]:
        current = CACHE_ROOT / execution_fingerprint()
        for stale in CACHE_ROOT.glob("*"):
            if stale.is_dir() and stale != current:
                import shutil

                shutil.rmtree(stale, ignore_errors=True)
        jupyter["cache_dir"] = str(current)
    config["repo_name"] = repository_url().removeprefix("https://github.com/")
    config["edit_uri"] = ""
    # The version these pages document (the installed package's), in every page's footer.
    import kfunc_lessons  # light: its public names load lazily, Keras is not imported here

    config["copyright"] = f"Documents kfunc-lessons {kfunc_lessons.__version__}"
    return config


def on_pre_build(config):
    if _command["name"] == "serve":  # an edited lesson .py shows without `make notebooks`
        from scripts.sync_notebooks import main as sync_pairs

        sync_pairs()


@event_priority(100)  # before mkdocs-jupyter's on_files, which turns notebooks into pages
def on_files(files, config):
    source = Path(os.environ.get(EXECUTED) or ROOT)
    for folder in NOTEBOOK_FOLDERS:
        for notebook in sorted((ROOT / folder).glob("[0-9][0-9]_*.ipynb")):
            files.append(File(f"{folder}/{notebook.name}", str(source), config["site_dir"],
                              config["use_directory_urls"]))
    return files


NOTEBOOK_LINK = re.compile(r'href="(?!https?:|#)([^"#]+\.ipynb)(#[^"]*)?"')
# The notebook's own "Open in Colab" badge: in Colab and Jupyter it is the way in; on the site
# the page's button already is (and the badge's image is a broken image offline).
COLAB_BADGE = re.compile(
    r'<a[^>]*href="https://colab\.research\.google\.com/[^"]*"[^>]*>\s*'
    r'<img[^>]*colab-badge\.svg[^>]*/?>\s*</a>')


def on_page_content(html, page, config, files):
    if not page.file.src_uri.endswith(".ipynb"):
        return html

    def rewrite(match):
        target_uri = posixpath.normpath(
            posixpath.join(posixpath.dirname(page.file.src_uri), match.group(1)))
        target = files.get_file_from_path(target_uri)
        if target is None:
            raise PluginError(f"{page.file.src_uri} links to missing notebook {match.group(1)}")
        return f'href="{target.url_relative_to(page.file)}{match.group(2) or ""}"'

    name = posixpath.basename(page.file.src_uri)  # mkdocs-jupyter copies it beside the page
    actions = (
        '<p class="notebook-actions">'
        f'<a class="md-button md-button--primary" href="{colab_url(page.file.src_uri)}">'
        "Open in Colab</a> "
        f'<a class="md-button" href="{name}" download>Download {name}</a></p>'
    )
    return actions + NOTEBOOK_LINK.sub(rewrite, COLAB_BADGE.sub("", html))


def _table(rows: list[dict]) -> str:
    if not rows:
        return "*No results yet.*"
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(row.get(k, "")) for k in keys) + " |" for row in rows]
    return "\n".join(lines)


def render_results(name: str) -> str:
    path = ROOT / "benchmarks" / "results" / f"{name}.json"
    if not path.exists():
        return f"*No results yet: run `python benchmarks/{name}.py`.*"
    data = json.loads(path.read_text())
    meta = data.get("meta", {})
    about = ", ".join(f"{k}: {v}" for k, v in meta.items())
    parts = [f"*Measured {about}.*", ""]
    for title, rows in data.get("tables", {}).items():
        parts += [f"**{title}**", "", _table(rows), ""]
    return "\n".join(parts)


def render_catalogue(_name: str) -> str:
    """The catalogue of known mistakes as a table, from the module itself."""
    from kfunc_lessons.course.catalogue import CATALOGUE

    rows = [{"mistake": m.title,
             "recognised from": " or ".join(
                 what for what, there in (("your model", m.spot), ("the error you hit", m.error))
                 if there is not None) or "the check itself",
             "explains": "a note on any verdict" if m.note else
             ("the exception" if m.spot is None and m.error is not None else "a failed check"),
             "taught in": f"[lesson {m.lesson[:2]}](lessons/{m.lesson}.ipynb#{m.anchor})",
             "id": f"`{m.id}`"} for m in CATALOGUE]
    return _table(rows)


def render_verdict(spec: str) -> str:
    """``EXERCISE FILE``: the real check of ``docs/examples/FILE.py``'s model, with its
    picture, as a notebook shows it."""
    import runpy

    import kfunc_lessons as kl

    exercise_id, name = spec.split()
    model = runpy.run_path(str(ROOT / "docs" / "examples" / f"{name}.py"))["model"]
    return kl.check(exercise_id, model)._repr_html_()


PLACEHOLDERS = {"results": render_results, "catalogue": render_catalogue,
                "verdict": render_verdict}


def on_page_markdown(markdown, page, config, files):
    for kind, render in PLACEHOLDERS.items():
        opening = f"<!-- {kind}:"
        while opening in markdown:
            start = markdown.index(opening)
            end = markdown.index("-->", start)
            name = markdown[start + len(opening):end].strip()
            markdown = markdown[:start] + render(name) + markdown[end + 3:]
    return markdown
