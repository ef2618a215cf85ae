"""What a course insists on beyond the computation, as data the grading core reads. Kept free
of Keras so that the course's exercise list loads without it (``kfunc-lessons list``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras

    from kfunc_lessons.core.graph import CanonicalGraph

# Checked before the structure: (learner model, its canonical graph) -> problem or None.
Requirement = Callable[["keras.Model", "CanonicalGraph"], "str | None"]


@dataclass(frozen=True)
class Rules:
    """What a course insists on beyond computing the reference's function (nothing, for
    `kfunc_lessons.compare`).

    Attributes:
        requirement: a condition on the learner's model, checked before the structure.
        blocks: each nested block of the reference must be a nested ``keras.Sequential``.
        must_keep: which reference layers (by name) must carry their trained weights.
        frozen: names of the reference layers that must be frozen; where any is, every layer
            the learner adds must stay trainable.
        about_weights: the task is about trained weights: pictures badge every layer.
    """

    requirement: Requirement | None = None
    blocks: bool = False
    must_keep: Callable[[str], bool] = lambda _name: False
    frozen: tuple[str, ...] = ()
    about_weights: bool = False
