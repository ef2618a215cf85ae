"""The verdict of a check: plain text for terminals, escaped HTML for notebooks, JSON for tools."""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from typing import Literal

Status = Literal["passed", "failed", "not_attempted", "error"]

_HEADINGS = {
    "passed": ("Correct", "#1b7f3b"),
    "failed": ("Incorrect", "#b3261e"),
    "not_attempted": ("Not attempted", "#6b6b6b"),
    "error": ("Error", "#8a5a00"),
}
_GRADER_ERROR = "Grader error"


@dataclass
class CheckResult:
    """What `kfunc_lessons.check()` decided, and why.

    Attributes:
        exercise: the exercise id, or ``"compare"`` for `kfunc_lessons.compare()`.
        status: ``"passed"``, ``"failed"``, ``"not_attempted"`` or ``"error"``: no verdict
            on the model could be reached, because the learner's code could not be run to
            the end (step ``"run"``) or the grader itself failed (step ``"grader"``).
        message: the feedback, in plain words; the first place the model diverges.
        step: the check step that decided (``"run"``, ``"attempted"``, ``"model"``, ``"io"``,
            ``"requirements"``, ``"structure"``, ``"numbers"``, ``"done"``).
        details: further lines (tolerances, largest differences).
        max_abs_diff: the largest absolute output difference, when outputs were compared.
        tolerance: ``{"rtol": ..., "atol": ...}`` used for the comparison.
    """

    exercise: str
    status: Status
    message: str
    step: str = "done"
    details: list[str] = field(default_factory=list)
    max_abs_diff: float | None = None
    tolerance: dict | None = None

    @property
    def passed(self) -> bool:
        """True only when the model computes what the exercise asks."""
        return self.status == "passed"

    def __bool__(self) -> bool:
        return self.passed

    @property
    def heading(self) -> str:
        """The one-word verdict shown before the message."""
        if self.status == "error" and self.step == "grader":
            return _GRADER_ERROR
        return _HEADINGS[self.status][0]

    def __str__(self) -> str:
        heading = self.heading
        lines = [f"{heading}: {self.message}", *(f"  {d}" for d in self.details)]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        heading, colour = self.heading, _HEADINGS[self.status][1]
        details = "".join(f"<li>{html.escape(d)}</li>" for d in self.details)
        # The colour marks the border only: the text keeps the page's own colour, so it
        # stays readable on light and dark backgrounds (Jupyter, Colab and the site).
        return (
            f'<div style="border-left:6px solid {colour};padding:4px 10px">'
            f"<strong>{html.escape(heading)}</strong>: "
            f"{html.escape(self.message)}"
            + (f"<ul>{details}</ul>" if details else "")
            + "</div>"
        )

    def to_dict(self) -> dict:
        """A JSON-serialisable form of the verdict."""
        data = asdict(self)
        data["passed"] = self.passed
        return data

    @classmethod
    def from_dict(cls, data: dict) -> CheckResult:
        """The result that `to_dict()` described (raises ValueError for anything else)."""
        if not isinstance(data, dict) or data.get("status") not in _HEADINGS:
            raise ValueError("not a CheckResult dictionary")
        fields = {key: data[key] for key in ("exercise", "status", "message", "step",
                                             "details", "max_abs_diff", "tolerance")
                  if key in data}
        if not all(isinstance(fields.get(key), str) for key in ("exercise", "message")):
            raise ValueError("not a CheckResult dictionary")
        return cls(**fields)
