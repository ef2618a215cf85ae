"""A learner's own machine: the package installed as the README tells a learner, into a fresh
virtual environment (no dev extra), with no Graphviz on the PATH, runs every lesson and
exercise notebook to the end; each diagram cell prints one line saying how to get Graphviz.

Minutes long (it installs TensorFlow), so `make test` leaves it to `make learner-check` and
the learner-install job of the tests workflow.
"""

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from support.notebooks import notebooks
from tests.conftest import ROOT

pytestmark = pytest.mark.learner_install
# The README's `pip install "kfunc-lessons[lessons]"`, with this checkout in the package's
# place; ipykernel is what a Jupyter front end needs in the environment it runs notebooks in.
REQUIREMENTS = [f"{ROOT}[lessons]", "ipykernel"]


@pytest.fixture(scope="module")
def learner_kernel(tmp_path_factory):
    """A kernel spec for a fresh venv holding only the learner's install; PATH is the venv's
    bin folder alone, so Graphviz's `dot` cannot be found."""
    home = tmp_path_factory.mktemp("learner")
    venv = home / "venv"
    python = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, *REQUIREMENTS], check=True)
    listed = subprocess.run([*pip[:3], "list", "--format", "json"], check=True,
                            capture_output=True, text=True).stdout
    names = {p["name"].lower() for p in json.loads(listed)}
    assert "pytest" not in names and "nbmake" not in names, "the dev extra was installed"
    spec = home / "kernels" / "learner"
    spec.mkdir(parents=True)
    spec.joinpath("kernel.json").write_text(json.dumps({
        "argv": [str(venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f",
                 "{connection_file}"],
        "display_name": "learner", "language": "python",
        "env": {"PATH": str(venv / "bin"), "TF_CPP_MIN_LOG_LEVEL": "3"},
    }))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(home))
        yield "learner"


def _run(path: Path, kernel: str) -> tuple[str, str | None, list[str]]:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=900, kernel_name=kernel,
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except Exception as exc:  # the notebook's own error, with its cell
        return path.name, f"{type(exc).__name__}: {str(exc)[-1500:]}", []
    notes = []
    for cell in notebook.cells:
        if cell.cell_type == "code" and "plot_model(" in cell.source:
            text = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")
            notes.append(text.strip())
    return path.name, None, notes


def test_every_notebook_runs_from_the_learner_install_without_graphviz(learner_kernel):
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda p: _run(p, learner_kernel), notebooks()))
    failed = {name: error for name, error, _ in results if error}
    assert failed == {}, "\n\n".join(f"{n}: {e}" for n, e in failed.items())
    notes = [(name, note) for name, _, cell_notes in results for note in cell_notes]
    assert notes, "no notebook draws a diagram"
    for name, note in notes:
        assert len(note.splitlines()) == 1 and "graphviz" in note.lower(), (name, note)
