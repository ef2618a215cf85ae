"""`kfunc-lessons grade-class` on a synthetic class, against grading the same notebooks one
after another in one process (no isolation at all: the yardstick).

Usage: python benchmarks/class_grading.py [--students 60] [--repeats 3] [--regrade 200]

The class is fixed by a seed: per student and exercise, half solved, a quarter wrong (the
solution with one activation changed) and a quarter not attempted (no file). Both sides are
whole commands, run alternately, so both pay their imports and share the machine's noise.
Reports students per minute and the ratio; goal: within 1.5x of the yardstick.

The regrade: a class of 200 (as above, and a fifth of the students hand in a GitHub download
with the notebooks two folders down, named as Colab names copies) is graded from scratch
(`--fresh`), then 10 % of its files are edited (one more activation swapped in each, each
edit unique) and the class graded again into the same report folder, which reuses the
verdicts of unchanged files. Goal: the regrade at most 0.15x of the first run.
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


def make_class(root: Path, students: int, seed: int = 0, misplaced: float = 0.0,
               ) -> dict[str, int]:
    import nbformat

    from kfunc_lessons.course.exercises import EXERCISES

    rng = random.Random(seed)
    counts = {"solved": 0, "wrong": 0, "missing": 0}
    solved = {e.id: solved_notebook(e) for e in EXERCISES}
    for number in range(students):
        folder = root / f"student{number:03d}"
        moved = rng.random() < misplaced
        if moved:  # a GitHub download, exercises two folders down, as Colab names copies
            folder = folder / "kfunc-lessons-main" / "exercises"
            counts["misplaced"] = counts.get("misplaced", 0) + 1
        folder.mkdir(parents=True)
        for exercise in EXERCISES:
            kind = rng.choices(["solved", "wrong", "missing"], [2, 1, 1])[0]
            counts[kind] += 1
            if kind == "missing":
                continue
            notebook = nbformat.from_dict(solved[exercise.id])
            if kind == "wrong":
                cell = next(c for c in notebook.cells if "exercise" in c.metadata.get("tags", []))
                cell.source = wrong(cell.source)
            name = f"Copy of {exercise.slug}.ipynb" if moved else f"{exercise.slug}.ipynb"
            nbformat.write(notebook, folder / name)
    return counts


def edit_files(root: Path, share: float, seed: int) -> int:
    """Edit ``share`` of the class's exercise files: one more activation swapped in the
    exercise cell, and a numbered comment."""
    import nbformat

    files = sorted(root.rglob("*.ipynb"))
    chosen = random.Random(seed).sample(files, round(len(files) * share))
    for number, path in enumerate(chosen):
        notebook = nbformat.read(path, as_version=4)
        cell = next(c for c in notebook.cells if "exercise" in c.metadata.get("tags", []))
        # numbered, so that no edited file is byte for byte another student's (whose
        # verdict the regrade would rightly reuse)
        cell.source = wrong(cell.source) + f"\n# edit {seed}.{number}\n"
        nbformat.write(notebook, path)
    return len(chosen)


def regrade_row(students: int, repeats: int) -> dict:
    """A class graded from scratch, then again after 10 % of its files changed."""
    with tempfile.TemporaryDirectory() as work:
        root, out = Path(work) / "class", Path(work) / "report"
        root.mkdir()
        counts = make_class(root, students, seed=1, misplaced=0.2)
        command = [sys.executable, "-m", "kfunc_lessons.cli", "grade-class", str(root),
                   "--out", str(out)]
        first, again, said = [], [], ""
        for repeat in range(repeats):
            start = time.perf_counter()
            subprocess.run([*command, "--fresh"], check=True, capture_output=True, cwd=ROOT)
            first.append(time.perf_counter() - start)
            edited = edit_files(root, 0.10, seed=repeat)
            start = time.perf_counter()
            done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
            again.append(time.perf_counter() - start)
            said = " ".join(done.stdout.split())
        reused = said.split("reused ", 1)[1].split(" ", 1)[0] if "reused " in said else "0"
    full, regrade = statistics.median(first), statistics.median(again)
    return {
        "measure": f"grade-class, {students} students ({counts['solved']} solved, "
                   f"{counts['wrong']} wrong, {counts['missing']} missing files; "
                   f"{counts.get('misplaced', 0)} students' files two folders down, named "
                   f"as Colab copies), then again after {edited} files (10 %) changed",
        "median": f"{full:.0f} s first, {regrade:.1f} s regrade ({repeats} runs each; "
                  f"{reused} verdicts reused)",
        "students per minute": f"{students / full * 60:.0f} first run",
        "result": f"{regrade / full:.2f}x",
        "goal": "<= 0.15x",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--regrade", type=int, default=200, metavar="STUDENTS",
                        help="the class size of the regrade measure (0: skip it)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        root, out = Path(work) / "class", Path(work) / "report"
        root.mkdir()
        counts = make_class(root, args.students)
        commands = {
            "grade-class": [sys.executable, "-m", "kfunc_lessons.cli", "grade-class",
                            str(root), "--out", str(out), "--fresh"],
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
    rows = [row]
    if args.regrade:
        rows.append(regrade_row(args.regrade, args.repeats))
        print(rows[-1])
    print("wrote", write("class_grading", {"Class grading": rows}))


if __name__ == "__main__":
    main()
