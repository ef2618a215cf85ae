"""Derive each notebook's Colab badge and Colab install cell from one template and pyproject's
one repository URL, then write each lesson's and exercise's paired .ipynb (without outputs)
from its py:percent source.

Usage: python scripts/sync_notebooks.py [--check]   (--check: report drift, change nothing)
"""

from __future__ import annotations

import re
import sys

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from kfunc_lessons.core import links  # noqa: E402  (pure Python: no Keras)

FOLDERS = ("lessons", "exercises")
BADGE = re.compile(r"\(https://colab\.research\.google\.com/github/[^)]*\)")
# The install cell: from its marker comment up to the next cell.
INSTALL_CELL = re.compile(r"# %%\n# Colab only: install.*?(?=\n\n# %%)", re.DOTALL)
# pip's default "only if needed" strategy keeps what Colab already has in the package's range
# (TensorFlow, Keras, NumPy); `make compat PROFILE=colab` runs these same arguments and fails
# if they replace any of Colab's pins. The report says what was actually installed.
PIP_REPORT = "/tmp/kfunc-lessons-install.json"
PIP_INSTALL_ARGS = ("install", "-q", "--report", PIP_REPORT)
INSTALL_TEMPLATE = """# %%
# Colab only: install the course package (Colab's own TensorFlow and Keras are kept) and
# print what pip added. Locally, `make serve` / `make test` set everything up.
import json
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.run(
        [sys.executable, "-m", "pip",
         {pip_args},
         "{requirement}"],
        check=True,
    )
    with open("{report}") as report:
        added = [p["metadata"] for p in json.load(report)["install"]]
    print("installed:", ", ".join(f"{{p['name']}} {{p['version']}}" for p in added) or "nothing")"""


def repository_url() -> str:
    """The one place the repository URL lives: [project.urls] Repository in pyproject.toml."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return data["project"]["urls"]["Repository"].rstrip("/")


def package_version() -> str:
    """kfunc_lessons.__version__, read without importing the package (or Keras)."""
    text = (ROOT / "kfunc_lessons" / "__init__.py").read_text()
    return re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE).group(1)


def install_requirement(version: str | None = None) -> str:
    """What the Colab install cell installs (the package's one rule, read without Keras),
    with the lessons' own dependencies (scikit-learn, scikit-image)."""
    return links.install_requirement(version or package_version(), repository_url(),
                                     extras=("lessons",))


def colab_url(relative_notebook: str) -> str:
    slug = repository_url().removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{slug}/blob/main/{relative_notebook}"


def expected_source(py_path: Path) -> str:
    text = py_path.read_text()
    notebook = py_path.with_suffix(".ipynb").relative_to(ROOT).as_posix()
    text = BADGE.sub(f"({colab_url(notebook)})", text)
    install = INSTALL_TEMPLATE.format(
        requirement=install_requirement(), report=PIP_REPORT,
        pip_args=", ".join(f'"{a}"' for a in PIP_INSTALL_ARGS))
    text, count = INSTALL_CELL.subn(lambda _: install, text, count=1)
    if count != 1:
        raise SystemExit(f"{py_path.name}: no '# Colab only: install' cell")
    return text


def expected_notebook(py_path: Path, source: str) -> str:
    import jupytext  # here, so that scripts/compat.py can use this module without it

    notebook = jupytext.reads(source, fmt="py:percent")
    if py_path.parent.name == "exercises":
        # Graders find an exercise by this id wherever a student puts the notebook and
        # whatever Colab renames it to (kfunc_lessons.classroom.discovery).
        notebook.metadata["kfunc_lessons"] = {"exercise": py_path.stem.split("_", 1)[1]}
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number:03d}"  # stable ids: regenerating changes nothing
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return jupytext.writes(notebook, fmt="ipynb")


def sources() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (ROOT / folder).glob("[0-9][0-9]_*.py"))


def main(check: bool = False) -> int:
    drift = []
    for py_path in sources():
        source = expected_source(py_path)
        ipynb = py_path.with_suffix(".ipynb")
        want = expected_notebook(py_path, source)
        for path, content in ((py_path, source), (ipynb, want)):
            if not path.exists() or path.read_text() != content:
                drift.append(path.relative_to(ROOT).as_posix())
                if not check:
                    path.write_text(content)
    verb = "out of sync" if check else "rewritten"
    for path in drift:
        print(f"{verb}: {path}")
    return 1 if check and drift else 0


if __name__ == "__main__":
    sys.exit(main(check="--check" in sys.argv[1:]))
