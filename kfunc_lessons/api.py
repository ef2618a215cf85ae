"""The public grader API: list, check, compare, hint and solution."""

from __future__ import annotations

import keras

from kfunc_lessons.core.compatibility import require_supported_versions
from kfunc_lessons.core.engine import Task, run_check
from kfunc_lessons.core.result import CheckResult
from kfunc_lessons.course.catalogue import explain_error, explainer
from kfunc_lessons.course.checking import check_exercise
from kfunc_lessons.course.exercises import active_exercises, hint_text, solution_source
from kfunc_lessons.course.references import live_reference

require_supported_versions()  # before any grader code meets an older Keras


def list_exercises() -> list[str]:
    """The exercise ids, in teaching order (a teacher's own, where they are in use)."""
    return [exercise.id for exercise in active_exercises()]


def check(exercise_id: str, model: object) -> CheckResult:
    """Grade ``model`` for an exercise against its stored reference outputs.

    Args:
        exercise_id: one of `list_exercises()`.
        model: the learner's model. ``...`` (Ellipsis) means "not attempted".

    Returns:
        A `CheckResult`; it never raises for anything passed as ``model``.

    Raises:
        KeyError: for an unknown ``exercise_id`` (the message lists the valid ids).
    """
    return check_exercise(exercise_id, model)


def compare(reference_model: keras.Model, model: object, *, seed: int = 0,
            batch: int | None = None) -> CheckResult:
    """Judge ``model`` against a live ``reference_model`` with the same engine as `check()`.

    The reference model's own weights are mapped onto a copy of ``model`` by graph structure,
    both run on a seeded random probe batch, and their outputs are compared. This is how a
    teacher grades a new exercise in a few lines.

    Args:
        reference_model: a Sequential or Functional Keras model that is right by definition.
            A reference that cannot be traced or run raises ValueError (a teacher's mistake,
            not a learner's).
        model: the model to judge.
        seed: seed of the random probe batch.
        batch: probe batch size; by default 8, or 2 for large inputs such as images.
    """
    ref = live_reference(reference_model, seed, batch)
    task = Task("compare", ref.graph, ref.probe, ref.expected, ref.weights_of,
                explain=explainer(None))
    return run_check(task, model)


def hint(exercise_id: str, level: int = 1, error: BaseException | str | None = None) -> str:
    """A hint for an exercise; higher levels say more. Level 1 never gives the answer away.

    Args:
        exercise_id: one of `list_exercises()`.
        level: 1 (a nudge) up to the number of hints; higher levels are clamped to the last.
        error: an exception (or its message) you hit; known errors, such as the classic
            residual-add shape error, are explained first.
    """
    text = hint_text(exercise_id, level)
    if error is not None and (explained := explain_error(error)):
        text = f"About your error: {explained}\n\n{text}"
    return text


def solution(exercise_id: str) -> str:
    """The reference solution's code for an exercise (opt-in: call it only when stuck)."""
    return solution_source(exercise_id)
