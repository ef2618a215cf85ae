"""The ``kfunc-lessons`` command: list, check, grade, hint, solution."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_STYLE = {"passed": "green", "failed": "red", "not_attempted": "yellow", "error": "magenta"}


@contextlib.contextmanager
def _native_stderr_silenced():
    """Hide what native code writes to stderr inside the block (Python's own is kept)."""
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _start_backend_quietly(isolation: bool) -> None:
    """Load Keras and its backend without TensorFlow's C++ start-up lines (oneDNN, CUDA
    probing), which ignore TF_CPP_MIN_LOG_LEVEL and would bury the verdicts. With
    ``isolation``, also start the server that learners' code runs under (it inherits the
    silenced stderr, and its imports overlap this process's)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _native_stderr_silenced():
        if isolation:
            from kfunc_lessons.isolation import warm_up

            warm_up()
        import keras

        keras.ops.convert_to_numpy(keras.ops.ones((1,)))  # device set-up logs here


def _console() -> Console:
    # rich drops colour and live displays by itself when stdout is not a terminal.
    return Console(highlight=False, soft_wrap=True)


def cmd_list(args, console: Console) -> int:
    from kfunc_lessons.exercises import EXERCISES

    table = Table("#", "id", "title")
    for exercise in EXERCISES:
        table.add_row(f"{exercise.number:02d}", exercise.id, exercise.title)
    console.print(table)
    return EXIT_OK


def cmd_check(args, console: Console) -> int:
    from kfunc_lessons.exercises import get_exercise
    from kfunc_lessons.grading import grade_file

    get_exercise(args.exercise_id)
    result = grade_file(args.exercise_id, args.file, timeout=args.timeout)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        console.print(str(result), style=_STYLE[result.status], markup=False)
    return EXIT_OK if result.passed else EXIT_FAILED


def cmd_grade(args, console: Console) -> int:
    from kfunc_lessons.exercises import EXERCISES
    from kfunc_lessons.grading import grade_directory

    directory = Path(args.directory)
    if not directory.is_dir():
        what = "does not exist" if not directory.exists() else "is not a directory"
        console.print(f"{directory} {what}; give the directory that holds your exercise "
                      "notebooks", style="red", markup=False)
        return EXIT_FAILED
    with Progress(console=console, transient=True, disable=args.json) as progress:
        task = progress.add_task("Grading", total=len(EXERCISES))

        def on_start(exercise):
            progress.update(task, description=f"Grading {exercise.id}")

        results = []
        for result in grade_directory(directory, timeout=args.timeout, on_start=on_start):
            results.append(result)
            progress.advance(task)
    passed = sum(r.passed for r in results)
    if args.json:
        print(json.dumps({"passed": passed, "total": len(results),
                          "results": [r.to_dict() for r in results]}, indent=2))
    else:
        table = Table("exercise", "status", "feedback", title=f"{passed}/{len(results)} passed")
        for r in results:
            table.add_row(r.exercise, f"[{_STYLE[r.status]}]{r.status}[/]",
                          r.message.replace("[", r"\["))
        console.print(table)
    return EXIT_OK if passed == len(results) else EXIT_FAILED


def cmd_hint(args, console: Console) -> int:
    from kfunc_lessons.api import hint

    console.print(hint(args.exercise_id, level=args.level), markup=False)
    return EXIT_OK


def cmd_solution(args, console: Console) -> int:
    from kfunc_lessons.api import solution

    print(solution(args.exercise_id), end="")
    return EXIT_OK


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _timeout_option(parser: argparse.ArgumentParser) -> None:
    from kfunc_lessons.learner_files import DEFAULT_TIMEOUT

    parser.add_argument("--timeout", type=_positive_seconds, default=DEFAULT_TIMEOUT,
                        metavar="SECONDS", help="stop a learner's code that runs longer "
                        f"(default {DEFAULT_TIMEOUT})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kfunc-lessons", description="Grade Keras Functional API exercises.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the exercises, in teaching order").set_defaults(run=cmd_list)
    check = sub.add_parser("check", help="grade the `model` of one exercise file")
    check.add_argument("exercise_id")
    check.add_argument("file", help="an exercise .py or .ipynb")
    check.add_argument("--json", action="store_true", help="print the verdict as JSON")
    _timeout_option(check)
    check.set_defaults(run=cmd_check)
    grade = sub.add_parser("grade", help="grade every exercise in a directory")
    grade.add_argument("directory", nargs="?", default="exercises")
    grade.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    _timeout_option(grade)
    grade.set_defaults(run=cmd_grade)
    hint = sub.add_parser("hint", help="a hint for an exercise")
    hint.add_argument("exercise_id")
    hint.add_argument("--level", type=int, default=1)
    hint.set_defaults(run=cmd_hint)
    solution = sub.add_parser("solution", help="the reference solution's code (opt-in)")
    solution.add_argument("exercise_id")
    solution.set_defaults(run=cmd_solution)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``kfunc-lessons`` console script."""
    args = build_parser().parse_args(argv)
    _start_backend_quietly(isolation=args.run in (cmd_check, cmd_grade))
    console = _console()
    from kfunc_lessons.exercises import UnknownExercise

    try:
        return args.run(args, console)
    except UnknownExercise as exc:
        console.print(str(exc), style="red", markup=False)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
