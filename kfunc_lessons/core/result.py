"""The verdict of a check: plain text for terminals, escaped HTML for notebooks, JSON for tools."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from kfunc_lessons.core.safe_text import clean

if TYPE_CHECKING:
    from kfunc_lessons.core.picture import Picture

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
        mistake: the id of the known mistake recognised in the model (see the grading
            guide's catalogue), or None.
        learn_more: the lesson section that teaches it, or None.
        picture: where the model differs, to be drawn (see `diagram()`), or None.
        drawing: that picture as SVG once drawn (a regraded class keeps it), or None.
    """

    exercise: str
    status: Status
    message: str
    step: str = "done"
    details: list[str] = field(default_factory=list)
    max_abs_diff: float | None = None
    tolerance: dict | None = None
    mistake: str | None = None
    learn_more: str | None = None
    picture: Picture | None = field(default=None, repr=False, compare=False)
    drawing: str | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Messages quote the learner's exceptions and layer names: make them safe for every
        # report, terminal and platform file once, here.
        self.message = clean(self.message)
        self.details = [clean(line) for line in self.details]

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

    def diagram(self) -> str | None:
        """Where the model differs, as SVG text: your graph beside the exercise's, the first
        difference marked in both. None when the check passed or there is no graph to draw
        (the model could not be read).

        Raises:
            kfunc_lessons.core.picture.DiagramUnavailable: Graphviz's ``dot`` is not installed
                (the message says how to get it).
        """
        if self.passed or (self.picture is None and self.drawing is None):
            return None
        if self.drawing is None:
            self.drawing = self.picture.svg()  # type: ignore[union-attr]
        return self.drawing

    def _repr_html_(self) -> str:
        heading, colour = self.heading, _HEADINGS[self.status][1]
        details = "".join(f"<li>{_linked(html.escape(d))}</li>" for d in self.details)
        # The colour marks the border only: the text keeps the page's own colour, so it
        # stays readable on light and dark backgrounds (Jupyter, Colab and the site).
        return (
            f'<div style="border-left:6px solid {colour};padding:4px 10px">'
            f"<strong>{html.escape(heading)}</strong>: "
            f"{html.escape(self.message)}"
            + (f"<ul>{details}</ul>" if details else "")
            + self._picture_html()
            + "</div>"
        )

    def _picture_html(self) -> str:
        from kfunc_lessons.core.picture import DiagramUnavailable

        try:
            svg = self.diagram()
        except DiagramUnavailable as exc:
            return f"<p><em>{html.escape(str(exc))}</em></p>"
        if svg is None:
            return ""
        # Graphviz's SVG, made from escaped labels; the white card keeps it legible in the
        # dark theme, and the box scrolls sideways rather than widening a phone's page.
        return ('<figure class="kfunc-diagram" style="margin:8px 0">'
                '<div style="overflow-x:auto;background:#fff;padding:4px" tabindex="0" '
                'role="region" aria-label="Graph diagram">' + svg + "</div><figcaption>Left: "
                "your model. Right: the exercise. The first difference is marked in both."
                "</figcaption></figure>")

    def to_dict(self) -> dict:
        """A JSON-serialisable form of the verdict (the picture is left out: see diagram())."""
        data = {key: getattr(self, key) for key in _FIELDS}
        data["details"] = list(self.details)
        data["tolerance"] = dict(self.tolerance) if self.tolerance is not None else None
        data["passed"] = self.passed
        return data

    @classmethod
    def from_dict(cls, data: object) -> CheckResult:
        """The result that `to_dict()` described; ValueError for anything else (a hand-over
        from a learner's process is read with it, so every field's type is checked)."""
        if not isinstance(data, dict) or data.get("status") not in _HEADINGS:
            raise ValueError("not a CheckResult dictionary")
        fields = {key: data[key] for key in _FIELDS if key in data}
        for key, kinds in _FIELD_TYPES.items():
            if key in fields and not isinstance(fields[key], kinds):
                raise ValueError(f"not a CheckResult dictionary ({key})")
        if not all(isinstance(line, str) for line in fields.get("details", [])):
            raise ValueError("not a CheckResult dictionary (details)")
        if not all(isinstance(key, str) and isinstance(value, (int, float))
                   for key, value in (fields.get("tolerance") or {}).items()):
            raise ValueError("not a CheckResult dictionary (tolerance)")
        if isinstance(fields.get("max_abs_diff"), bool):
            raise ValueError("not a CheckResult dictionary (max_abs_diff)")
        return cls(**fields)


_FIELDS = ("exercise", "status", "message", "step", "details", "max_abs_diff", "tolerance",
           "mistake", "learn_more")
_FIELD_TYPES = {
    "exercise": str, "message": str, "step": str, "details": list,
    "max_abs_diff": (int, float, type(None)), "tolerance": (dict, type(None)),
    "mistake": (str, type(None)), "learn_more": (str, type(None)),
}
_URL = re.compile(r"https://[^\s<>\"')]+")


def _linked(escaped: str) -> str:
    """Make the web addresses in already-escaped text clickable."""
    return _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
