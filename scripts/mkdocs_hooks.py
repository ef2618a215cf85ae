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
- ``<!-- results:NAME -->`` in a page is replaced by a table from
  ``benchmarks/results/NAME.json``.
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
sys.path.insert(0, str(ROOT / "scripts"))
from sync_notebooks import colab_url, repository_url  # noqa: E402


def on_config(config):
    # Kernels started for the notebooks read scripts/ipython/profile_default (see there).
    os.environ["IPYTHONDIR"] = str(ROOT / "scripts" / "ipython")
    config["repo_url"] = repository_url()
    config["repo_name"] = repository_url().removeprefix("https://github.com/")
    config["edit_uri"] = ""
    # The version these pages document (the installed package's), in every page's footer.
    import kfunc_lessons  # light: its public names load lazily, Keras is not imported here

    config["copyright"] = f"Documents kfunc-lessons {kfunc_lessons.__version__}"
    return config


@event_priority(100)  # before mkdocs-jupyter's on_files, which turns notebooks into pages
def on_files(files, config):
    for folder in NOTEBOOK_FOLDERS:
        for notebook in sorted((ROOT / folder).glob("[0-9][0-9]_*.ipynb")):
            files.append(File(f"{folder}/{notebook.name}", str(ROOT), config["site_dir"],
                              config["use_directory_urls"]))
    return files


NOTEBOOK_LINK = re.compile(r'href="(?!https?:|#)([^"#]+\.ipynb)(#[^"]*)?"')


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
    return actions + NOTEBOOK_LINK.sub(rewrite, html)


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


def on_page_markdown(markdown, page, config, files):
    while "<!-- results:" in markdown:
        start = markdown.index("<!-- results:")
        end = markdown.index("-->", start)
        name = markdown[start + len("<!-- results:"):end].strip()
        markdown = markdown[:start] + render_results(name) + markdown[end + 3:]
    return markdown
