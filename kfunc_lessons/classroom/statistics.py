"""A class's results counted by cause: which known mistake (the catalogue's entry), or which
check step stopped a model the catalogue has no name for. Messages name each student's own
layers, so counting messages would split one mistake into as many lines as students; a
cause is the same words for everyone."""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import cache

from kfunc_lessons.core.result import CheckResult

# A verdict the catalogue does not name, by the check step that decided it.
_BY_STEP = {
    "run": "The code did not run to the end",
    "model": "Not a Keras model the grader can read",
    "io": "Inputs or outputs differ from the exercise's",
    "requirements": "A requirement of the exercise is not met",
    "structure": "The layers differ from the exercise's (no known mistake named)",
    "numbers": "The structure matches but the numbers differ",
    "grader": "The grader's own error (not the student's)",
}


def cause(result: CheckResult) -> str | None:
    """The cause of a verdict that did not pass, in words every student shares; None for a
    pass."""
    if result.passed:
        return None
    if result.status == "not_attempted":
        return "Not attempted"
    if result.mistake is not None:
        return _titles().get(result.mistake, result.mistake)
    return _BY_STEP.get(result.step, f"Stopped at the {result.step} step")


@cache
def _titles() -> dict[str, str]:
    from kfunc_lessons.course.catalogue import CATALOGUE

    return {mistake.id: mistake.title for mistake in CATALOGUE}


def causes(grades: Mapping[str, Sequence[CheckResult]], exercise_id: str) -> Counter:
    """How many students each cause stopped, for one exercise."""
    return Counter(c for results in grades.values() for r in results
                   if r.exercise == exercise_id and (c := cause(r)) is not None)


def scores(grades: Mapping[str, Sequence[CheckResult]]) -> Counter:
    """How many students passed 0, 1, ... exercises."""
    return Counter(sum(r.passed for r in results) for results in grades.values())


def histogram_svg(counts: Mapping[int, int], most: int) -> str:
    """A bar chart of ``counts`` (students per number of exercises passed, 0 to ``most``), as
    an inline SVG with its numbers written on the bars and a text alternative."""
    width, height, left, bottom, top = 40 * (most + 1) + 60, 220, 40, 40, 20
    bar = (width - left - 20) / (most + 1)
    tallest = max(counts.values(), default=0) or 1
    parts = []
    for passed in range(most + 1):
        n = counts.get(passed, 0)
        h = (height - top - bottom) * n / tallest
        x = left + passed * bar
        y = height - bottom - h
        parts.append(f'<rect x="{x + 4:.1f}" y="{y:.1f}" width="{bar - 8:.1f}" '
                     f'height="{h:.1f}" fill="#2f6fde"/>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle">'
                     f"{n}</text>")
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 16:.1f}" '
                     f'text-anchor="middle">{passed}</text>')
    described = ", ".join(f"{counts.get(p, 0)} passed {p}" for p in range(most + 1))
    label = html.escape(f"Students by exercises passed: {described}", quote=True)
    return (f'<svg role="img" aria-label="{label}" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            'font-family="system-ui,sans-serif" font-size="12" fill="currentColor">'
            f"<title>{label}</title>"
            f'<line x1="{left}" y1="{height - bottom}" x2="{width - 20}" '
            f'y2="{height - bottom}" stroke="currentColor"/>' + "".join(parts)
            + f'<text x="{(left + width - 20) / 2:.1f}" y="{height - 6}" '
            'text-anchor="middle">exercises passed</text></svg>')
