"""The graded exercises: ids, titles, layered hints, and what each one insists on.

The course's nine are `EXERCISES`; a teacher's own replace them for a run
(`kfunc_lessons.course.own_exercises`), and every grader looks exercises up here.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from kfunc_lessons.core.rules import Requirement, Rules

if TYPE_CHECKING:
    import keras

    from kfunc_lessons.core.graph import CanonicalGraph

NEW_HEAD_BACKBONE = ("conv_1", "conv_2")  # the trained layers that exercise 09 keeps, frozen


@dataclass(frozen=True)
class Exercise:
    """One graded exercise.

    Attributes:
        id: the exercise id used by `kfunc_lessons.check()`.
        number: its place in the learning path (the lesson number).
        title: a short title.
        hints: hints from gentle (level 1) to specific; level 1 never gives the answer away.
        requirement: what the exercise insists on beyond computing the right function.
        inject_weights: map the reference weights onto the learner's model before comparing
            outputs. False where the learner's own (trained) weights are part of the task.
        blocks: the learner must build the model from nested ``keras.Sequential`` blocks.
        keep_trained: names of the reference's trained layers whose weights the learner's
            model must carry unchanged (with ``inject_weights=False``: all of them).
        frozen: names of the reference's layers that must be frozen (``trainable=False``)
            in the learner's model.
        drop: names of the starter's layers that the learner's model must no longer hold.
        build_reference: a teacher's exercise: a function returning the reference model,
            right by definition, with the weights to grade against (the course's nine leave
            it None: their weights and outputs are stored).
        solution: a teacher's exercise: the solution's code, a script that defines
            ``model``; `kfunc-lessons solution` shows it and grading's self-check runs it.
    """

    id: str
    number: int
    title: str
    hints: tuple[str, ...]
    requirement: Requirement | None = None
    inject_weights: bool = True
    blocks: bool = False
    keep_trained: tuple[str, ...] = ()
    frozen: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    build_reference: Callable[[], keras.Model] | None = field(default=None, compare=False,
                                                              repr=False)
    solution: str | None = field(default=None, repr=False)

    def must_keep(self, layer_name: str) -> bool:
        """Whether the reference layer ``layer_name`` must carry its trained weights, unchanged,
        in the learner's model."""
        return layer_name in self.keep_trained if self.keep_trained else not self.inject_weights

    @property
    def rules(self) -> Rules:
        """What the grading core must insist on for this exercise, as data."""
        return Rules(requirement=self.requirement, blocks=self.blocks, must_keep=self.must_keep,
                     frozen=self.frozen, about_weights=bool(
                         self.frozen or self.keep_trained or not self.inject_weights))

    @property
    def slug(self) -> str:
        """The file stem of the exercise notebook, e.g. ``03_residual_add``."""
        return f"{self.number:02d}_{self.id}"


def must_be_sequential(model: keras.Model, _graph: CanonicalGraph) -> str | None:
    """A requirement: the model is a ``keras.Sequential``."""
    import keras

    if isinstance(model, keras.Sequential):
        return None
    return ("This exercise asks for a keras.Sequential model; yours is a "
            f"{type(model).__name__}. Build it as keras.Sequential([keras.Input(...), ...]).")


def must_be_functional(model: keras.Model, _graph: CanonicalGraph) -> str | None:
    """A requirement: the model is built with the Functional API, not a ``keras.Sequential``."""
    import keras

    if not isinstance(model, keras.Sequential):
        return None
    return ("Your model is a keras.Sequential. It may compute the right thing, but this exercise "
            "is about the Functional API: create keras.Input, call each layer on a tensor, and "
            "finish with keras.Model(inputs, outputs).")


EXERCISES: tuple[Exercise, ...] = (
    Exercise(
        "sequential_baseline", 1, "A Sequential baseline",
        (
            "A keras.Sequential takes a list of layers; start the list with keras.Input.",
            "Three entries: an Input of shape (10,), a Dense layer of 64 units with ReLU, "
            "and a Dense layer of 10 units with softmax.",
            "keras.Sequential([keras.Input(shape=(10,)), layers.Dense(64, activation='relu'), "
            "layers.Dense(10, activation='softmax')])",
        ),
        requirement=must_be_sequential,
    ),
    Exercise(
        "functional_equivalent", 2, "The same model, Functional",
        (
            "In the Functional API you call each layer on a tensor and get a tensor back.",
            "inputs = keras.Input(shape=(10,)); pass it through Dense(64, relu), then "
            "Dense(10, softmax); finish with keras.Model(inputs, outputs).",
            "hidden = layers.Dense(64, activation='relu')(inputs); "
            "outputs = layers.Dense(10, activation='softmax')(hidden)",
        ),
        requirement=must_be_functional,
    ),
    Exercise(
        "residual_add", 3, "A residual add with a projection shortcut",
        (
            "You can only add tensors of the same shape. What is the width of the input, "
            "and of the Dense(64) output?",
            "Project the shortcut: pass the input through a linear Dense(64) (no activation) "
            "and add that to the Dense(64, relu) output.",
            "merged = layers.add([hidden, layers.Dense(64)(inputs)]); then "
            "Dense(10, softmax) on merged.",
        ),
        requirement=must_be_functional,
    ),
    Exercise(
        "sequential_blocks", 4, "Reusable Sequential blocks",
        (
            "A keras.Sequential is itself a layer: you can call it on a tensor.",
            "block1 = Sequential of Dense(32, relu) and Dense(16, relu); block2 = Sequential "
            "of Dense(64, relu) and Dense(32, relu). Call block1 on the input, block2 on "
            "its output.",
            "x = block2(block1(inputs)); outputs = layers.Dense(10, activation='softmax')(x)",
        ),
        blocks=True,
    ),
    Exercise(
        "replace_intermediate", 5, "Wrap a trained layer in a residual connection",
        (
            "Don't create new Dense layers: reuse the trained ones with "
            "trained.get_layer(name) and call them on new tensors.",
            "h = hidden(inputs); then add h to middle(h); feed the sum to classifier.",
            "merged = layers.add([h, trained.get_layer('middle')(h)]); "
            "outputs = trained.get_layer('classifier')(merged)",
        ),
        requirement=must_be_functional,
        inject_weights=False,
    ),
    Exercise(
        "shared_layers", 6, "One encoder, two inputs",
        (
            "A layer called twice is ONE set of weights used twice.",
            "Create Dense(32, relu) once, call it on 'left' and on 'right', concatenate the "
            "two results in that order, then Dense(1, sigmoid).",
            "encoder = layers.Dense(32, activation='relu'); "
            "merged = layers.concatenate([encoder(left), encoder(right)])",
        ),
    ),
    Exercise(
        "multi_input_output", 7, "Two inputs, two outputs",
        (
            "Name the inputs 'series' and 'features' and the output layers 'label' and "
            "'value': the grader matches them by name.",
            "series -> LSTM(16); features -> Dense(16, relu); concatenate; Dense(32, relu); "
            "then two heads: Dense(3, softmax) named 'label' and Dense(1) named 'value'.",
            "label = layers.Dense(3, activation='softmax', name='label')(hidden); "
            "value = layers.Dense(1, name='value')(hidden)",
        ),
    ),
    Exercise(
        "branch_merge", 8, "Branch and merge convolutions",
        (
            "Two Conv2D layers read the same image; their outputs are stacked on the channel "
            "axis.",
            "a = Conv2D(8, 3, padding='same', relu)(image); b = Conv2D(8, 5, padding='same', "
            "relu)(image); concatenate [a, b]; GlobalAveragePooling2D; Dense(10, softmax).",
            "merged = layers.concatenate([a, b]); "
            "outputs = layers.Dense(10, activation='softmax')"
            "(layers.GlobalAveragePooling2D()(merged))",
        ),
    ),
    Exercise(
        "new_head", 9, "A new head on a trained, frozen backbone",
        (
            "Keep the trained layers: build a backbone model from trained.inputs to the "
            "output of the 'pool' layer, and freeze it before adding anything.",
            "backbone = keras.Model(trained.inputs, trained.get_layer('pool').output); "
            "backbone.trainable = False; then call it on a new keras.Input((8, 8, 1)) and add "
            "Dropout(0.2), Dense(32, relu) and Dense(2, softmax).",
            "features = backbone(inputs); x = layers.Dropout(0.2)(features); "
            "x = layers.Dense(32, activation='relu')(x); "
            "outputs = layers.Dense(2, activation='softmax')(x)",
        ),
        requirement=must_be_functional,
        keep_trained=NEW_HEAD_BACKBONE,
        frozen=NEW_HEAD_BACKBONE,
        drop=("digit",),
    ),
)

_active: dict[str, Exercise] = {exercise.id: exercise for exercise in EXERCISES}
_source: list[Path] = []  # where the exercises in use came from, when a teacher's


def active_exercises() -> tuple[Exercise, ...]:
    """The exercises graded now, in teaching order: the course's, or a teacher's own."""
    return tuple(_active.values())


def exercises_source() -> Path | None:
    """The file or package folder the exercises in use came from (None: the course's)."""
    return _source[0] if _source else None


def use_exercises(exercises: Sequence[Exercise], source: Path | None = None) -> None:
    """Grade ``exercises`` from now on, in this process (the course's: `EXERCISES`);
    ``source``: the module they came from, which a teacher's exercises need (what grades a
    file is then known by it). `kfunc_lessons.course.own_exercises.load_exercises` calls
    this."""
    if source is None and any(e.build_reference is not None for e in exercises):
        raise ValueError("a teacher's exercises are used with the module they came from")
    _active.clear()
    _active.update((exercise.id, exercise) for exercise in exercises)
    _source[:] = [source] if source is not None else []
    references = sys.modules.get("kfunc_lessons.course.references")  # not imported: no Keras
    if references is not None:  # those built for the exercises in use before
        references.reference.cache_clear()


class UnknownExercise(KeyError):
    """Raised for an exercise id that does not exist; the message lists the valid ids."""

    def __str__(self) -> str:
        return str(self.args[0])


def get_exercise(exercise_id: str) -> Exercise:
    """The exercise with this id, or UnknownExercise naming the valid ids."""
    try:
        return _active[exercise_id]
    except (KeyError, TypeError):
        valid = ", ".join(_active)
        raise UnknownExercise(f"No exercise {exercise_id!r}. Valid ids: {valid}.") from None


def hint_text(exercise_id: str, level: int = 1) -> str:
    """`kfunc_lessons.hint` without an error: the hint at ``level``, clamped to the levels."""
    exercise = get_exercise(exercise_id)
    level = max(1, min(int(level), len(exercise.hints)))
    return f"Hint {level}/{len(exercise.hints)}: {exercise.hints[level - 1]}"


def solution_source(exercise_id: str) -> str:
    """The reference solution's code for an exercise (UnknownExercise for a teacher's
    exercise that came without one)."""
    exercise = get_exercise(exercise_id)
    if exercise.solution is not None:
        return exercise.solution
    if exercise.build_reference is not None:
        raise UnknownExercise(f"The exercise {exercise_id!r} came without a solution.")
    return (resources.files("kfunc_lessons.course.solutions") / f"{exercise_id}.py").read_text()
