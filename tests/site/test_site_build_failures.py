"""Our mkdocs configuration fails the build on a failing lesson, but not on a cell tagged
raises-exception (run on a one-notebook copy of the site, with the real mkdocs.yml and hook)."""

import shutil
import subprocess
import sys

import nbformat
import pytest
import yaml

from tests.conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.notebooks]


class _ConfigLoader(yaml.SafeLoader):
    """mkdocs.yml's `!ENV [NAME, default]` read as its default: the cache stays off."""


_ConfigLoader.add_constructor("!ENV", lambda loader, node: loader.construct_sequence(node)[-1])


def _build_with(tmp_path, cell):
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Home\n")
    (tmp_path / "exercises").mkdir()
    (tmp_path / "lessons").mkdir()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Broken?"), cell])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    nbformat.write(notebook, tmp_path / "lessons" / "01_broken.ipynb")
    shutil.copytree(ROOT / "docs" / "stylesheets", tmp_path / "docs" / "stylesheets")
    config = yaml.load((ROOT / "mkdocs.yml").read_text().replace("!!python", "#"),
                       Loader=_ConfigLoader)
    config.pop("watch", None)  # the package and exercise folders are not copied here
    config["nav"] = [{"Home": "index.md"}, {"Lesson": "lessons/01_broken.ipynb"}]
    config["plugins"] = [p for p in config["plugins"]
                         if not (isinstance(p, dict) and "mkdocstrings" in p)]
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(config))
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)


def test_a_failing_lesson_fails_the_build(tmp_path):
    done = _build_with(tmp_path, nbformat.v4.new_code_cell("1 / 0"))
    assert done.returncode != 0
    assert "ZeroDivisionError" in done.stdout + done.stderr


def test_a_cell_tagged_raises_exception_does_not(tmp_path):
    cell = nbformat.v4.new_code_cell("1 / 0", metadata={"tags": ["raises-exception"]})
    done = _build_with(tmp_path, cell)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ZeroDivisionError" in (tmp_path / "site" / "lessons" / "01_broken" /
                                   "index.html").read_text()
