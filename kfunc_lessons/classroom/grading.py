"""Grade learners' exercise files: one file, or a folder holding a copy of `exercises/`.

In this order, for every submission: every reference is loaded (its checksums verified);
the learner's folder is copied into a private folder (`classroom.private_copy`) and
every exercise file is read; only then does any of their code run, all of one learner's
files one after another in a process of their own (`classroom.isolation`), as a user of
their own when the grader is root (`classroom.sandbox`). The verdicts are computed here,
from the models that process handed over, once every process it started has ended.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kfunc_lessons.classroom import sandbox
from kfunc_lessons.classroom.discovery import Found, find_exercise_files
from kfunc_lessons.classroom.isolation import DEFAULT_TIMEOUT, Handover, Job, run_isolated_batch
from kfunc_lessons.classroom.learner_files import Chunk, LearnerFileError, read_chunks
from kfunc_lessons.classroom.private_copy import private_copy
from kfunc_lessons.classroom.sandbox import LearnerUser
from kfunc_lessons.core.result import CheckResult
from kfunc_lessons.core.safe_text import file_name
from kfunc_lessons.course.exercises import Exercise, active_exercises


def load_references(exercise_ids: list[str]) -> None:
    """Build every reference these exercises need now, before any learner code runs, so
    that nothing a learner's code writes afterwards can reach a verdict (a failure here is
    reported by each check as the grader's error)."""
    from kfunc_lessons.course.references import reference

    for exercise_id in exercise_ids:
        with contextlib.suppress(Exception):  # check() then words the grader's own error
            reference(exercise_id)


def _read(exercise_id: str, path: Path) -> list[Chunk] | CheckResult:
    try:
        return read_chunks(path)
    except LearnerFileError as exc:
        return CheckResult(exercise_id, "error", str(exc), step="run")


@dataclass
class Submission:
    """One learner's folder: copied, every exercise file read, none of its code run yet."""

    name: str  # the folder's name, readable
    workspace: Path  # the private folder that holds the copy; removed by `close`
    code: dict[str, list[Chunk] | CheckResult] = field(default_factory=dict)
    found: Found = field(default_factory=Found)  # each exercise's file; what was ignored
    skipped: list[str] = field(default_factory=list)
    error: str | None = None
    user: LearnerUser | None = None

    @property
    def copy(self) -> Path:
        return self.workspace / "submission"

    def close(self) -> None:
        shutil.rmtree(self.workspace, ignore_errors=True)


def read_submission(folder: Path, exercises: Sequence[Exercise] | None = None,
                    user: LearnerUser | None = None,
                    known: Callable[[Submission, str], CheckResult | None] | None = None,
                    ) -> Submission:
    """Copy ``folder`` privately and read the files of ``exercises`` (None: those in use);
    never raises for what the folder holds: a folder that cannot be copied is
    `Submission.error`. ``known``: the verdict already known for an exercise's file in the
    copy (a regrade's, `kfunc_lessons.classroom.regrade`), or None; a file with one is not
    read, and its code does not run."""
    submission = Submission(file_name(folder.name), Path(tempfile.mkdtemp(prefix="kfunc-")),
                            user=user)
    copied = private_copy(folder, submission.copy)
    submission.skipped, submission.error = copied.skipped, copied.error
    if copied.error is None:
        submission.found = find_exercise_files(
            submission.copy, active_exercises() if exercises is None else exercises)
        for exercise_id, relative in submission.found.files.items():
            verdict = known(submission, exercise_id) if known is not None else None
            submission.code[exercise_id] = (_read(exercise_id, submission.copy / relative)
                                            if verdict is None else verdict)
    sandbox.give_to(submission.workspace, user)
    return submission


def run_submission(submission: Submission, *, timeout: float = DEFAULT_TIMEOUT,
                   memory_limit: int | None = None,
                   budget: float | None = None) -> dict[str, Handover]:
    """Run the submission's code (`kfunc_lessons.classroom.isolation.run_isolated_batch`); one
    `Handover` per exercise whose file was found."""
    ready = {i: Handover(result=c) for i, c in submission.code.items()
             if isinstance(c, CheckResult)}
    files = submission.found.files
    jobs = [Job(i, c, files[i].name, files[i].parent.as_posix())
            for i, c in submission.code.items() if not isinstance(c, CheckResult)]
    if jobs:
        done = run_isolated_batch(jobs, submission.copy, timeout=timeout,
                                  memory_limit=memory_limit, user=submission.user,
                                  budget=budget)
        ready.update({job.exercise_id: handover for job, handover in zip(jobs, done)})
    return ready


def _verdict(exercise_id: str, handover: Handover) -> CheckResult:
    if handover.result is not None:
        return handover.result
    from kfunc_lessons.course.checking import check_exercise as check

    return check(exercise_id, handover.model)


def verdicts(submission: Submission, handovers: dict[str, Handover],
             on_start: Callable[[Exercise], None] | None = None) -> Iterator[CheckResult]:
    """The verdicts on a submission, in teaching order, computed here."""
    for exercise in active_exercises():
        if on_start is not None:
            on_start(exercise)
        if submission.error is not None:
            yield CheckResult(exercise.id, "error", f"{submission.error}; nothing in it was "
                              "graded.", step="run")
        elif exercise.id not in handovers:
            yield CheckResult(exercise.id, "not_attempted", _not_found(submission, exercise),
                              step="run")
        else:
            yield _verdict(exercise.id, handovers[exercise.id])


def _not_found(submission: Submission, exercise: Exercise) -> str:
    message = (f"no file for this exercise in {submission.name}: no notebook carries its id "
               f"and none is named {exercise.slug}.ipynb or .py")
    ignored = submission.found.ignored
    if ignored:
        message += (f"; {len(ignored)} other file{'s' if len(ignored) > 1 else ''} ignored ("
                    + "; ".join(submission.found.lines()[:3])
                    + ("; ..." if len(ignored) > 3 else "") + ")")
    return message


def grade_submission(submission: Submission, *, timeout: float = DEFAULT_TIMEOUT,
                     memory_limit: int | None = None,
                     on_start: Callable[[Exercise], None] | None = None,
                     budget: float | None = None) -> list[CheckResult]:
    """Run a submission's code, then give its verdicts, in teaching order. ``budget``:
    seconds all its files together may run (None: no limit)."""
    handovers = run_submission(submission, timeout=timeout, memory_limit=memory_limit,
                               budget=budget)
    return list(verdicts(submission, handovers, on_start=on_start))


def grade_file(exercise_id: str, path: Path | str, *, timeout: float = DEFAULT_TIMEOUT,
               memory_limit: int | None = None) -> CheckResult:
    """The verdict on the ``model`` that the file at ``path`` defines; never raises for
    anything in the file. Its code runs in a private copy of the file's folder.

    Args:
        exercise_id: one of `kfunc_lessons.list_exercises()`.
        path: an exercise ``.py`` or ``.ipynb`` file.
        timeout: seconds the learner's code may run.
        memory_limit: bytes of address space the learner's process may use (None: no limit).
    """
    path = Path(path)
    load_references([exercise_id])
    code = _read(exercise_id, path)
    if isinstance(code, CheckResult):
        return code
    submission = read_submission(path.parent, exercises=[], user=sandbox.learner_user(0))
    try:
        if submission.error is not None:
            return CheckResult(exercise_id, "error", submission.error, step="run")
        submission.code = {exercise_id: code}
        submission.found = Found(files={exercise_id: Path(path.name)})
        handover = run_submission(submission, timeout=timeout,
                                  memory_limit=memory_limit)[exercise_id]
    finally:
        submission.close()
    return _verdict(exercise_id, handover)


def grade_directory(directory: Path | str, *, timeout: float = DEFAULT_TIMEOUT,
                    memory_limit: int | None = None,
                    on_start: Callable[[Exercise], None] | None = None,
                    budget: float | None = None) -> Iterator[CheckResult]:
    """Verdicts for every exercise, in teaching order; a missing file is not attempted.

    ``on_start`` is called with each exercise as its grading begins (for progress displays).
    ``budget``: seconds all the files together may run (None: no limit; each file has
    ``timeout``).
    """
    load_references([e.id for e in active_exercises()])
    submission = read_submission(Path(directory), user=sandbox.learner_user(0))
    try:
        results = grade_submission(submission, timeout=timeout, memory_limit=memory_limit,
                                   on_start=on_start, budget=budget)
    finally:
        submission.close()
    yield from results
