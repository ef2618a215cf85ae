"""Expected errors stay expected: every `raises-exception` cell declares the error it shows
(`raises="Type: fragment of the message"` in its cell metadata), and running the notebook
proves it raises exactly that. Without this, a cell that stopped raising (a Keras release
that accepts what the lesson calls an error) would still pass nbmake."""

import nbformat
import pytest

from kfunc_lessons.course.catalogue import explain_error
from tests.conftest import ROOT

pytestmark = pytest.mark.notebooks

NOTEBOOKS = sorted(p for folder in ("lessons", "exercises")
                   for p in (ROOT / folder).glob("*.ipynb"))


def _expecting(path):
    notebook = nbformat.read(path, as_version=4)
    return notebook, [c for c in notebook.cells
                      if "raises-exception" in c.metadata.get("tags", [])]


WITH_ERRORS = [p for p in NOTEBOOKS if _expecting(p)[1]]
# Errors raised by kfunc_lessons itself already say what to do; every other error a lesson
# shows is one a learner will meet, so the catalogue of mistakes must explain it.
OWN_ERRORS = ("ValueError: the edit changed the input shape",)


def test_every_expected_error_cell_declares_its_error():
    undeclared = [f"{p.name}: {c.source.splitlines()[0]}" for p in NOTEBOOKS
                  for c in _expecting(p)[1] if ": " not in c.metadata.get("raises", "")]
    assert undeclared == []
    assert len(WITH_ERRORS) >= 5


@pytest.mark.parametrize("path", WITH_ERRORS, ids=[p.stem for p in WITH_ERRORS])
def test_expected_error_cells_raise_exactly_their_declared_error(path, executed_notebooks):
    executed = executed_notebooks[f"{path.parent.name}/{path.name}"]
    assert executed.error is None, executed.error
    _, cells = _expecting(executed.path)  # this run's executed copy, with its outputs
    for cell in cells:
        expected_type, _, fragment = cell.metadata["raises"].partition(": ")
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert errors, f"no longer raises: {cell.source.splitlines()[0]}"
        assert errors[0].ename == expected_type, (cell.source, errors[0].ename)
        assert fragment in errors[0].evalue, (cell.source, errors[0].evalue)
        if not cell.metadata["raises"].startswith(OWN_ERRORS):
            hit = f"{errors[0].ename}: {errors[0].evalue}"
            assert explain_error(hit) is not None, f"kl.hint(error=...) cannot explain {hit}"
