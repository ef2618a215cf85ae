"""`kfunc-lessons grade-class` on a synthetic class, against grading the same notebooks one
after another in one process (no isolation at all: the yardstick).

Usage: python benchmarks/class_grading.py [--students 60] [--repeats 3]

The class is fixed by a seed: per student and exercise, half solved, a quarter wrong (the
solution with one activation changed) and a quarter not attempted (no file). Both sides are
whole commands, run alternately, so both pay their imports and share the machine's noise.
Reports students per minute and the ratio; goal: within 1.5x of the yardstick.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.common import write  # noqa: E402
from scripts.solved_exercises import solved_notebook  # noqa: E402

IN_ONE_PROCESS = """
import sys
from pathlib import Path
import kfunc_lessons as kl
from kfunc_lessons.course.exercises import EXERCISES
from kfunc_lessons.classroom.discovery import find_exercise_files
from kfunc_lessons.classroom.learner_files import LearnerFileError, read_chunks, run_chunks
for student in sorted(Path(sys.argv[1]).iterdir()):
    for exercise_id, relative in find_exercise_files(student, EXERCISES).files.items():
        path = student / relative
        try:
            kl.check(exercise_id, run_chunks(read_chunks(path), path.name))
        except LearnerFileError:
            pass
"""


def wrong(source: str) -> str:
    for old, new in (('"relu"', '"tanh"'), ('"softmax"', '"sigmoid"')):
        if old in source:
            return source.replace(old, new, 1)
    return source + "\nmodel = None\n"


def make_class(root: Path, students: int, seed: int = 0) -> dict[str, int]:
    import nbformat

    from kfunc_lessons.course.exercises import EXERCISES

    rng = random.Random(seed)
    counts = {"solved": 0, "wrong": 0, "missing": 0}
    solved = {e.id: solved_notebook(e) for e in EXERCISES}
    for number in range(students):
        folder = root / f"student{number:03d}"
        folder.mkdir()
        for exercise in EXERCISES:
            kind = rng.choices(["solved", "wrong", "missing"], [2, 1, 1])[0]
            counts[kind] += 1
            if kind == "missing":
                continue
            notebook = nbformat.from_dict(solved[exercise.id])
            if kind == "wrong":
                cell = next(c for c in notebook.cells if "exercise" in c.metadata.get("tags", []))
                cell.source = wrong(cell.source)
            nbformat.write(notebook, folder / f"{exercise.slug}.ipynb")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        root, out = Path(work) / "class", Path(work) / "report"
        root.mkdir()
        counts = make_class(root, args.students)
        commands = {
            "grade-class": [sys.executable, "-m", "kfunc_lessons.cli", "grade-class",
                            str(root), "--out", str(out)],
            "one process": [sys.executable, "-c", IN_ONE_PROCESS, str(root)],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeats):
            for name, command in commands.items():
                start = time.perf_counter()
                subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
                times[name].append(time.perf_counter() - start)
    isolated, together = (statistics.median(times[name]) for name in commands)
    row = {
        "measure": f"grade-class, {args.students} students ({counts['solved']} solved, "
                   f"{counts['wrong']} wrong, {counts['missing']} missing files), each student "
                   "in a process of their own, vs all in one process",
        "median": f"{isolated:.0f} s vs {together:.0f} s ({args.repeats} runs each)",
        "students per minute": f"{args.students / isolated * 60:.0f} vs "
                               f"{args.students / together * 60:.0f}",
        "result": f"{isolated / together:.2f}x",
        "goal": "<= 1.5x",
    }
    print(row)
    print("wrote", write("class_grading", {"Class grading": [row]}))


if __name__ == "__main__":
    main()
