"""Copies of the exercise notebooks with the exercise cell replaced by `kl.solution()`.

Usage: python scripts/solved_exercises.py SOURCE_DIR TARGET_DIR

The one helper behind every "solve the exercises" step: the tests, the benchmarks and
`scripts/verify_wheel.py` (which runs this file in a clean environment, so it imports only
nbformat and the installed package). Prints the file of the package that solved them.
"""

from __future__ import annotations

import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "exercises"


def solved_notebook(exercise, source: Path = SOURCE):
    """The exercise's notebook, its one cell tagged ``exercise`` holding the solution."""
    import nbformat

    import kfunc_lessons as kl

    notebook = nbformat.read(source / f"{exercise.slug}.ipynb", as_version=4)
    cells = [c for c in notebook.cells if "exercise" in c.metadata.get("tags", [])]
    if len(cells) != 1:
        raise ValueError(f"{exercise.slug} needs exactly one cell tagged 'exercise'")
    cells[0].source = kl.solution(exercise.id)
    return notebook


def write_solved(target: Path, exercises=None, source: Path = SOURCE) -> None:
    """Write solved copies of ``exercises`` (default: all) into ``target``."""
    import nbformat

    from kfunc_lessons.course.exercises import EXERCISES

    for exercise in EXERCISES if exercises is None else exercises:
        nbformat.write(solved_notebook(exercise, source), target / f"{exercise.slug}.ipynb")


if __name__ == "__main__":
    import kfunc_lessons

    write_solved(Path(sys.argv[2]), source=Path(sys.argv[1]))
    print(kfunc_lessons.__file__)
