"""Grade learners' exercise files: one file, or a directory holding a copy of `exercises/`.

Each file's code runs in its own process (`kfunc_lessons.isolation`); the verdict is computed
here, from the model that process handed over. Files run concurrently (one per core) while
this process grades the models in teaching order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from kfunc_lessons.exercises import EXERCISES, Exercise
from kfunc_lessons.isolation import DEFAULT_TIMEOUT, Handover, run_isolated
from kfunc_lessons.learner_files import SUFFIXES, LearnerFileError, read_chunks
from kfunc_lessons.result import CheckResult


def exercise_file(directory: Path, exercise: Exercise) -> Path | None:
    """The learner's file for an exercise in ``directory`` (the notebook first), or None."""
    for suffix in SUFFIXES:
        candidate = directory / f"{exercise.slug}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _run(exercise_id: str, path: Path, timeout: float, memory_limit: int | None) -> Handover:
    try:
        chunks = read_chunks(path)
    except LearnerFileError as exc:
        return Handover(result=CheckResult(exercise_id, "error", str(exc), step="run"))
    return run_isolated(exercise_id, chunks, path.name, path.resolve().parent,
                        timeout=timeout, memory_limit=memory_limit)


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


def grade_directory(directory: Path | str, *, timeout: float = DEFAULT_TIMEOUT,
                    memory_limit: int | None = None,
                    on_start: Callable[[Exercise], None] | None = None,
                    ) -> Iterator[CheckResult]:
    """Verdicts for every exercise, in teaching order; a missing file is not attempted.

    ``on_start`` is called with each exercise as its grading begins (for progress displays).
    """
    directory = Path(directory)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        started: dict[str, Future] = {
            exercise.id: pool.submit(_run, exercise.id, path, timeout, memory_limit)
            for exercise in EXERCISES if (path := exercise_file(directory, exercise))
        }
        for exercise in EXERCISES:
            if on_start is not None:
                on_start(exercise)
            if exercise.id not in started:
                yield CheckResult(exercise.id, "not_attempted", f"no {exercise.slug}.ipynb or "
                                  f".py in {directory}", step="run")
                continue
            yield _verdict(exercise.id, started[exercise.id].result())
