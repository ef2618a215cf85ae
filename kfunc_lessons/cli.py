"""The ``kfunc-lessons`` command: list, check, grade, hint, solution."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import NoReturn

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from kfunc_lessons.classroom.formats import FORMATS, GRADESCOPE_VISIBILITY, parse_points, render

# 3: the grader or its environment failed (never the students' code).
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_GRADER = 0, 1, 2, 3
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
            from kfunc_lessons.classroom.isolation import warm_up

            warm_up()
        import keras

        keras.ops.convert_to_numpy(keras.ops.ones((1,)))  # device set-up logs here


def _console() -> Console:
    # rich drops colour and live displays by itself when stdout is not a terminal.
    return Console(highlight=False, soft_wrap=True)


def cmd_list(args, console: Console) -> int:
    from kfunc_lessons.course.exercises import active_exercises

    table = Table("#", "id", "title")
    for exercise in active_exercises():
        table.add_row(f"{exercise.number:02d}", exercise.id, exercise.title)
    console.print(table)
    return EXIT_OK


def cmd_check(args, console: Console) -> int:
    from kfunc_lessons.classroom.grading import grade_file
    from kfunc_lessons.course.exercises import get_exercise

    get_exercise(args.exercise_id)
    result = grade_file(args.exercise_id, args.file, timeout=args.timeout)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        console.print(str(result), style=_STYLE[result.status], markup=False)
    if args.diagram is not None:
        _write_diagram(result, args.diagram)
    return EXIT_OK if result.passed else EXIT_FAILED


def _write_diagram(result, path: Path) -> None:
    """Save the graph-diff picture; say why there is none (stderr, so --json stays JSON)."""
    from kfunc_lessons.core.picture import DiagramUnavailable

    try:
        svg = result.diagram()
    except DiagramUnavailable as exc:
        print(f"No diagram written: {exc}", file=sys.stderr)
        return
    if svg is None:
        why = "the check passed" if result.passed else "there is no model graph to draw"
        print(f"No diagram written: {why}.", file=sys.stderr)
        return
    path.write_text(svg, encoding="utf-8")
    print(f"Diagram written to {path}", file=sys.stderr)


def cmd_grade(args, console: Console) -> int:
    from kfunc_lessons.classroom.grading import grade_directory
    from kfunc_lessons.course.exercises import active_exercises

    _check_point_ids(args.points)
    if args.format == "classroom50" and (problem := _not_whole(args.points)):
        console.print(problem, style="red", markup=False)
        return EXIT_USAGE
    directory = Path(args.directory)
    if not directory.is_dir():
        what = "does not exist" if not directory.exists() else "is not a directory"
        console.print(f"{directory} {what}; give the directory that holds your exercise "
                      "notebooks", style="red", markup=False)
        return EXIT_USAGE  # as grade-class: a wrong command line, not a failed exercise
    if args.json:
        args.format = "json"
    began = time.monotonic()
    if args.format != "table":
        # No progress display at all: even a disabled one writes a newline on rich 13.0,
        # which would corrupt the output that $GITHUB_OUTPUT and parsers read.
        results = list(grade_directory(directory, timeout=args.timeout, budget=args.budget))
    else:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Grading", total=len(active_exercises()))

            def on_start(exercise):
                progress.update(task, description=f"Grading {exercise.id}")

            results = []
            for result in grade_directory(directory, timeout=args.timeout, on_start=on_start,
                                          budget=args.budget):
                results.append(result)
                progress.advance(task)
    if args.format == "table":
        passed = sum(r.passed for r in results)
        table = Table("exercise", "status", "feedback", title=f"{passed}/{len(results)} passed")
        for r in results:
            table.add_row(r.exercise, f"[{_STYLE[r.status]}]{r.status}[/]",
                          r.message.replace("[", r"\["))
        console.print(table)
    else:
        text = render(args.format, results, args.points, args.base64,
                      execution_time=time.monotonic() - began, visibility=args.visibility)
        if args.output:
            from kfunc_lessons.classroom.atomic import write_atomically

            write_atomically(args.output, text if text.endswith("\n") else text + "\n")
        else:
            print(text)
    return EXIT_OK if all(r.passed for r in results) else EXIT_FAILED


def cmd_grade_class(args, console: Console) -> int:
    from kfunc_lessons.classroom.class_grading import (
        EnvironmentBroken,
        grade_class,
        students_in,
        write_report,
    )
    from kfunc_lessons.classroom.regrade import VerdictCache
    from kfunc_lessons.core.safe_text import file_name

    _check_point_ids(args.points)
    root = Path(args.root)
    if not root.is_dir():
        console.print(f"{file_name(root)} is not a directory; give the folder that holds one "
                      "folder per student", style="red", markup=False)
        return EXIT_USAGE
    students = students_in(root)
    if not students:
        console.print(f"{file_name(root)} holds no student folders", style="red", markup=False)
        return EXIT_USAGE
    cache = VerdictCache(args.out, reuse=not args.fresh)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Grading the class", total=len(students))
        try:
            report = grade_class(root, timeout=args.timeout,
                                 memory_limit=int(args.memory_limit * 2**30) or None,
                                 workers=args.jobs, cache=cache,
                                 on_student_done=lambda _: progress.advance(task))
        except EnvironmentBroken as exc:
            progress.stop()
            console.print(f"Grading stopped: {exc}", style="red", markup=False)
            return EXIT_GRADER
    written = write_report(report, Path(args.out), points=args.points,
                           assignment=args.assignment)
    cache.save()
    table = Table("exercise", "passed", title=f"{len(students)} students")
    for exercise_id in {r.exercise: None for rs in report.grades.values() for r in rs}:
        table.add_row(exercise_id, f"{report.pass_rate(exercise_id):.0%}")
    console.print(table)
    console.print("wrote " + ", ".join(file_name(p) for p in written), markup=False)
    if report.reused:
        console.print(f"reused {report.reused} verdicts of unchanged files from the last run "
                      "(--fresh grades every file again)", markup=False)
    if report.grader_errors:
        console.print(f"{report.grader_errors} verdict(s) are the grader's own errors, not "
                      "the students': see report.html", style="red", markup=False)
        return EXIT_GRADER
    return EXIT_OK


def _not_whole(points: float | dict[str, float]) -> str | None:
    """Why Classroom 50 cannot take these points (it keeps whole numbers), or None."""
    from kfunc_lessons.classroom.formats import whole_points

    values = points if isinstance(points, dict) else {"every exercise": points}
    try:
        whole_points(values)
    except ValueError as exc:
        return f"{exc}: give whole points (--points 2, or residual_add=3,...)"
    return None


def cmd_autograder(args, console: Console) -> int:
    from kfunc_lessons.classroom.autograder import (
        classroom_workflow,
        write_classroom50_autograder,
        write_gradescope_zip,
    )

    points = args.points_text
    if points:
        _check_point_ids(parse_points(points))
    from kfunc_lessons.course.exercises import exercises_source

    exercises = exercises_source()
    if args.platform == "classroom50":
        if points and (problem := _not_whole(parse_points(points))):
            console.print(problem, style="red", markup=False)
            return EXIT_USAGE
        path = write_classroom50_autograder(args.out, points=points, timeout=args.timeout,
                                            exercises=exercises)
        console.print(f"wrote {path}: commit it as CLASSROOM/autograder.py (or "
                      "CLASSROOM/autograders/SLUG/autograder.py) in the classroom's repository, "
                      'with the runtime\'s python set to "3.12"', markup=False)
        return EXIT_OK
    if args.platform == "gradescope":
        write_gradescope_zip(args.out, points=points, timeout=args.timeout,
                             budget=args.budget, visibility=args.visibility,
                             exercises=exercises)
        what = "upload it in Gradescope's Configure Autograder page (Zip file upload)"
    else:
        Path(args.out).write_text(classroom_workflow(points=points, timeout=args.timeout))
        what = ("commit it as .github/workflows/classroom.yml in the assignment's template "
                "repository")
    console.print(f"wrote {args.out}: {what}", markup=False)
    return EXIT_OK


def cmd_hint(args, console: Console) -> int:
    from kfunc_lessons.course.exercises import hint_text  # the course data alone: no Keras

    console.print(hint_text(args.exercise_id, level=args.level), markup=False)
    return EXIT_OK


def cmd_solution(args, console: Console) -> int:
    from kfunc_lessons.course.exercises import solution_source

    print(solution_source(args.exercise_id), end="")
    return EXIT_OK


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _points(text: str) -> float | dict[str, float]:
    try:
        points = parse_points(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number or id=number,..., got {text!r}") from None
    values = points.values() if isinstance(points, dict) else [points]
    if any(v < 0 for v in values):
        raise argparse.ArgumentTypeError("points cannot be negative")
    return points


def _points_text(text: str) -> str:
    _points(text)  # the same checks; the set-ups pass the text on to `grade`
    return text


def _check_point_ids(points: float | dict[str, float]) -> None:
    """Points for an unknown exercise id: the usage error that names the valid ids (checked
    here, after Keras has started quietly, not while the arguments are parsed)."""
    from kfunc_lessons.course.exercises import get_exercise

    for exercise_id in points if isinstance(points, dict) else ():
        get_exercise(exercise_id)


def _timeout_option(parser: argparse.ArgumentParser) -> None:
    from kfunc_lessons.classroom.learner_files import DEFAULT_TIMEOUT

    parser.add_argument("--timeout", type=_positive_seconds, default=DEFAULT_TIMEOUT,
                        metavar="SECONDS", help="stop a learner's code that runs longer "
                        f"(default {DEFAULT_TIMEOUT})")


GRADESCOPE_BUDGET = 480  # of Gradescope's default 10 minutes: the rest starts and reports


def _visibility_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--visibility", choices=GRADESCOPE_VISIBILITY, default="visible",
                        help="gradescope: when students see the tests and the score "
                        "(default visible)")


def _budget_option(parser: argparse.ArgumentParser, default: float | None) -> None:
    parser.add_argument("--budget", type=_positive_seconds, default=default, metavar="SECONDS",
                        help="seconds all of a submission's files together may run "
                        + (f"(default {default:g}, for Gradescope's 10-minute limit)" if default
                           else "(default: no limit beyond --timeout per file)"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kfunc-lessons", description="Grade Keras Functional API exercises.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the exercises, in teaching order").set_defaults(run=cmd_list)
    check = sub.add_parser("check", help="grade the `model` of one exercise file")
    check.add_argument("exercise_id")
    check.add_argument("file", help="an exercise .py or .ipynb")
    check.add_argument("--json", action="store_true", help="print the verdict as JSON")
    check.add_argument("--diagram", type=Path, metavar="OUT.svg",
                       help="save a picture of where the model differs (needs Graphviz)")
    _timeout_option(check)
    check.set_defaults(run=cmd_check)
    grade = sub.add_parser("grade", help="grade every exercise in a directory")
    grade.add_argument("directory", nargs="?", default="exercises")
    grade.add_argument("--format", choices=("table", *FORMATS), default="table",
                       help="table (default), json, gradescope (results.json), classroom "
                       "(GitHub Actions grading-reporter result), classroom50 (Classroom 50's "
                       "result.json), junit (JUnit XML)")
    grade.add_argument("--json", action="store_true", help="the same as --format json")
    grade.add_argument("--points", type=_points, default=1.0, metavar="POINTS",
                       help="points per exercise for gradescope/classroom: a number for "
                       "every exercise, or id=points,... (others get 1)")
    grade.add_argument("--base64", action="store_true",
                       help="classroom: base64-encode, as $GITHUB_OUTPUT needs")
    grade.add_argument("--output", metavar="FILE", help="write the verdicts to FILE")
    _visibility_option(grade)
    _timeout_option(grade)
    _budget_option(grade, None)
    grade.set_defaults(run=cmd_grade)
    grade_class = sub.add_parser(
        "grade-class", help="grade every student folder under ROOT; write grades.csv, LMS "
        "exports, feedback per student and report.html")
    grade_class.add_argument("root", help="a folder holding one folder per student, each a "
                             "copy of exercises/")
    grade_class.add_argument("--out", default="class-report", help="where to write "
                             "grades.csv and report.html (default: class-report)")
    grade_class.add_argument("--memory-limit", type=float, default=6.0, metavar="GB",
                             help="address space per learner process, in GiB (default 6; "
                             "0 for none)")
    grade_class.add_argument("--points", type=_points, default=1.0, metavar="POINTS",
                             help="points per exercise, as for grade: the totals in "
                             "grades.csv, canvas.csv and moodle.csv")
    grade_class.add_argument("--assignment", default="kfunc-lessons", metavar="NAME",
                             help="the gradebook column canvas.csv and moodle.csv fill "
                             "(default: kfunc-lessons)")
    grade_class.add_argument("--fresh", action="store_true",
                             help="grade every file again, even those unchanged since the "
                             "last run into the same --out folder")
    grade_class.add_argument("--jobs", type=int, default=None,
                             help="students graded at once (default: one per CPU the "
                             "container may use)")
    _timeout_option(grade_class)
    grade_class.set_defaults(run=cmd_grade_class)
    autograder = sub.add_parser(
        "autograder", help="write a Gradescope autograder zip, a Classroom 50 autograder, or a "
        "GitHub Actions workflow")
    autograder.add_argument("platform", choices=("gradescope", "classroom50", "classroom"))
    autograder.add_argument("out", help="the .zip (gradescope), the folder for autograder.py "
                            "(classroom50) or the .yml (classroom) to write")
    autograder.add_argument("--points", dest="points_text", type=_points_text, default=None,
                            metavar="POINTS", help="points per exercise, as for grade")
    _visibility_option(autograder)
    _timeout_option(autograder)
    _budget_option(autograder, GRADESCOPE_BUDGET)
    autograder.set_defaults(run=cmd_autograder)
    hint = sub.add_parser("hint", help="a hint for an exercise")
    hint.add_argument("exercise_id")
    hint.add_argument("--level", type=int, default=1)
    hint.set_defaults(run=cmd_hint)
    solution = sub.add_parser("solution", help="the reference solution's code (opt-in)")
    solution.add_argument("exercise_id")
    solution.set_defaults(run=cmd_solution)
    for command in sub.choices.values():
        command.add_argument("--exercises", metavar="PATH_OR_MODULE",
                             help="a teacher's own exercises: a .py file, a package folder "
                             "or a module that defines EXERCISES (default: the course's)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """The command line (``argv``: its arguments; None: ``sys.argv``); the exit status."""
    args = build_parser().parse_args(argv)
    grading = args.run in (cmd_check, cmd_grade, cmd_grade_class)
    # A teacher's references are built before any grading, and before a set-up carries them.
    building = grading or (args.run is cmd_autograder and args.exercises is not None
                           and args.platform != "classroom")  # which refuses them
    if building:  # list, hint, solution and autograder answer from the course data: no Keras
        from kfunc_lessons.core.compatibility import version_problem

        if problem := version_problem():
            print(problem, file=sys.stderr)
            return EXIT_USAGE
        _start_backend_quietly(isolation=grading)
    console = _console()
    from kfunc_lessons.course.exercises import UnknownExercise

    if args.exercises is not None:
        from kfunc_lessons.course.own_exercises import (
            ExercisesError,
            build_references,
            load_exercises,
        )

        try:
            if getattr(args, "platform", None) == "classroom":
                raise ExercisesError("the Actions workflow lives in the students' own "
                                     "repositories, where they could read your exercises; "
                                     "use the classroom50 or gradescope set-up")
            load_exercises(args.exercises)
            if building:  # before any learner's code runs
                build_references()
        except ExercisesError as exc:
            console.print(f"--exercises: {exc}", style="red", markup=False)
            return EXIT_USAGE

    try:
        return args.run(args, console)
    except UnknownExercise as exc:
        console.print(str(exc), style="red", markup=False)
        return EXIT_USAGE


def run() -> NoReturn:
    """The ``kfunc-lessons`` console script: `main`, then its exit status. Once TensorFlow
    is loaded, the process ends as soon as the exit handlers have run (every file is written
    by then): the interpreter's own teardown, TensorFlow's included, adds about 2 s after
    grading a class and changes nothing; the server that learners' code ran under
    ends with it."""
    status = main()
    if "tensorflow" not in sys.modules:
        sys.exit(status)
    atexit._run_exitfuncs()  # (private, but the one way to run them before os._exit)
    if "kfunc_lessons.classroom.isolation" in sys.modules:
        from kfunc_lessons.classroom.isolation import stop_server

        stop_server()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError):  # no stream (pythonw), a reader gone (| head)
            status = status or EXIT_FAILED
    os._exit(status)


if __name__ == "__main__":
    run()
