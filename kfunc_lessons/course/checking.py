"""Checking a model for one of the course's exercises: its stored reference, its rules, the
catalogue's words, and the refusal of models that graders could not rebuild."""

from __future__ import annotations

from kfunc_lessons.core.engine import Task, run_check
from kfunc_lessons.core.result import CheckResult
from kfunc_lessons.course.catalogue import explainer
from kfunc_lessons.course.exercises import get_exercise
from kfunc_lessons.course.portable import refuse_code
from kfunc_lessons.course.references import reference


def check_exercise(exercise_id: str, model: object) -> CheckResult:
    """`kfunc_lessons.check`: see there. Raises UnknownExercise for an unknown id."""
    exercise = get_exercise(exercise_id)
    try:
        ref = reference(exercise_id)
    except Exception as exc:
        return CheckResult(exercise_id, "error", "the grader's reference data could not be "
                           "loaded: this is a bug in kfunc_lessons, not in your model.",
                           step="grader", details=[f"{type(exc).__name__}: {exc}"])
    task = Task(exercise_id, ref.graph, ref.probe, ref.expected, ref.weights_of,
                inject_weights=exercise.inject_weights, rules=exercise.rules,
                explain=explainer(exercise))
    return refuse_code(run_check(task, model), model)
