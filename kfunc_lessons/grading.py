"""Grade learners' exercise files: one file, or a directory holding a copy of `exercises/`.

Each file's code runs in its own process (`kfunc_lessons.isolation`); the verdict is computed
here, from the model that process handed over. Files run concurrently (one per core) while
this process grades the models in teaching order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path

from kfunc_lessons.exercises import EXERCISES, Exercise
from kfunc_lessons.isolation import (
    DEFAULT_TIMEOUT,
    Handover,
    Job,
    run_isolated,
    run_isolated_batch,
)
from kfunc_lessons.learner_files import SUFFIXES, Chunk, LearnerFileError, read_chunks
from kfunc_lessons.result import CheckResult


def exercise_file(directory: Path, exercise: Exercise) -> Path | None:
    """The learner's file for an exercise in ``directory`` (the notebook first), or None."""
    for suffix in SUFFIXES:
        candidate = directory / f"{exercise.slug}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _read(exercise_id: str, path: Path) -> list[Chunk] | CheckResult:
    try:
        return read_chunks(path)
    except LearnerFileError as exc:
        return CheckResult(exercise_id, "error", str(exc), step="run")


def _execute(exercise_id: str, code: list[Chunk] | CheckResult, path: Path, timeout: float,
             memory_limit: int | None) -> Handover:
    if isinstance(code, CheckResult):
        return Handover(result=code)
    return run_isolated(exercise_id, code, path.name, path.resolve().parent,
                        timeout=timeout, memory_limit=memory_limit)


def _run(exercise_id: str, path: Path, timeout: float, memory_limit: int | None) -> Handover:
    return _execute(exercise_id, _read(exercise_id, path), path, timeout, memory_limit)


def _verdict(exercise_id: str, handover: Handover) -> CheckResult:
    if handover.result is not None:
        return handover.result
    from kfunc_lessons.api import check

    return check(exercise_id, handover.model)


def grade_file(exercise_id: str, path: Path | str, *, timeout: float = DEFAULT_TIMEOUT,
               memory_limit: int | None = None) -> CheckResult:
    """The verdict on the ``model`` that the file at ``path`` defines; never raises for
    anything in the file.

    Args:
        exercise_id: one of `kfunc_lessons.list_exercises()`.
        path: an exercise ``.py`` or ``.ipynb`` file.
        timeout: seconds the learner's code may run.
        memory_limit: bytes of address space the learner's process may use (None: no limit).
    """
    return _verdict(exercise_id, _run(exercise_id, Path(path), timeout, memory_limit))


Submitted = dict[str, Callable[[], Handover]]


def submit_directory(pool: Executor, directory: Path, *, timeout: float,
                     memory_limit: int | None, one_process: bool = False) -> Submitted:
    """Read every exercise file in ``directory`` now, then queue its code on ``pool``: each
    file in a process of its own, or with ``one_process`` all of them one after another in
    one process (a student's files, in `grade-class`: much faster, still never in the
    process that grades).

    Reading first means that code which deletes or rewrites files cannot change what the
    other exercises are graded on. Returns, per exercise found, a call that waits for its
    `Handover`.
    """
    files = {exercise.id: path for exercise in EXERCISES
             if (path := exercise_file(directory, exercise))}
    code = {exercise_id: _read(exercise_id, path) for exercise_id, path in files.items()}
    if not one_process:
        return {exercise_id: pool.submit(_execute, exercise_id, code[exercise_id], path,
                                         timeout, memory_limit).result
                for exercise_id, path in files.items()}
    ready = {i: Handover(result=c) for i, c in code.items() if isinstance(c, CheckResult)}
    jobs = [Job(i, c, files[i].name) for i, c in code.items() if not isinstance(c, CheckResult)]
    batch: Future[list[Handover]] = pool.submit(
        run_isolated_batch, jobs, directory.resolve(), timeout=timeout,
        memory_limit=memory_limit)
    waits: Submitted = {i: (lambda h=h: h) for i, h in ready.items()}
    for index, job in enumerate(jobs):
        waits[job.exercise_id] = lambda index=index: batch.result()[index]
    return waits


def collect_directory(directory: Path, submitted: Submitted,
                      on_start: Callable[[Exercise], None] | None = None,
                      ) -> Iterator[CheckResult]:
    """The verdicts for what `submit_directory` queued, in teaching order, computed here."""
    for exercise in EXERCISES:
        if on_start is not None:
            on_start(exercise)
        if exercise.id not in submitted:
            yield CheckResult(exercise.id, "not_attempted", f"no {exercise.slug}.ipynb or "
                              f".py in {directory}", step="run")
            continue
        yield _verdict(exercise.id, submitted[exercise.id]())


def grade_directory(directory: Path | str, *, timeout: float = DEFAULT_TIMEOUT,
                    memory_limit: int | None = None,
                    on_start: Callable[[Exercise], None] | None = None,
                    ) -> Iterator[CheckResult]:
    """Verdicts for every exercise, in teaching order; a missing file is not attempted.

    ``on_start`` is called with each exercise as its grading begins (for progress displays).
    """
    directory = Path(directory)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        submitted = submit_directory(pool, directory, timeout=timeout,
                                     memory_limit=memory_limit)
        yield from collect_directory(directory, submitted, on_start)
