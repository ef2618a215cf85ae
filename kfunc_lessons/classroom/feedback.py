"""Feedback to hand back: one page per student, in HTML (self-contained, pictures inline)
and in Markdown (pictures beside it as SVG files), each exercise's verdict, its message and,
where the check failed, the picture of where the model differs."""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kfunc_lessons.classroom.atomic import write_atomically
from kfunc_lessons.classroom.cpus import usable_cpus
from kfunc_lessons.core.picture import DiagramUnavailable
from kfunc_lessons.core.result import CheckResult

_STYLE = """body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;
padding:0 1rem;color:#1f2328;background:#fff}section{border-left:6px solid #d0d7de;
padding:.2rem 1rem;margin:1rem 0}.passed{border-color:#1b7f3b}.failed{border-color:#b3261e}
.not_attempted{border-color:#9a6700}.error{border-color:#8250df}figure{margin:.5rem 0}
figure div{overflow-x:auto;background:#fff;padding:4px}pre{white-space:pre-wrap}
@media (prefers-color-scheme:dark){body{background:#0d1117;color:#e6edf3}}"""


def file_stems(students: Sequence[str]) -> dict[str, str]:
    """A file name for each student's feedback: their name with anything a file system or
    a shell would trip on replaced, numbered where two would be the same."""
    seen: Counter = Counter()
    stems = {}
    for student in students:
        stem = re.sub(r"[^\w.-]+", "_", student).strip("._") or "student"
        seen[stem.lower()] += 1
        stems[student] = stem if seen[stem.lower()] == 1 else f"{stem}_{seen[stem.lower()]}"
    return stems


def _svg(result: CheckResult) -> tuple[str | None, str | None]:
    """(the picture as SVG, or why there is none) for a verdict that did not pass."""
    try:
        return result.diagram(), None
    except DiagramUnavailable as exc:
        return None, str(exc)


def _draw_all(results: Iterable[CheckResult]) -> None:
    """Draw every picture not drawn yet, as many at once as there are cores (each drawing is
    a Graphviz process of its own)."""
    undrawn = [r for r in results if not r.passed and r.picture is not None and r.drawing is None]
    if undrawn:
        with ThreadPoolExecutor(max_workers=usable_cpus()) as pool:
            list(pool.map(_svg, undrawn))


def render_html(student: str, results: Sequence[CheckResult]) -> str:
    e = html.escape
    passed = sum(r.passed for r in results)
    sections = []
    for r in results:
        svg, missing = (None, None) if r.passed else _svg(r)
        details = "".join(f"<li>{e(d)}</li>" for d in r.details)
        figure = (f'<figure><div role="region" tabindex="0" aria-label="Where the model '
                  f'differs">{svg}</div><figcaption>Left: your model. Right: the exercise. '
                  "The first difference is marked in both.</figcaption></figure>" if svg
                  else f"<p><em>{e(missing)}</em></p>" if missing else "")
        sections.append(f'<section class="{r.status}"><h2>{e(r.exercise)}: {e(r.heading)}'
                        f"</h2><pre>{e(r.message)}</pre>"
                        + (f"<ul>{details}</ul>" if details else "") + figure + "</section>")
    return ("<!doctype html><html lang=en><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width,initial-scale=1'>"
            f"<title>Feedback for {e(student)}</title><style>{_STYLE}</style>"
            f"<h1>Feedback for {e(student)}</h1><p>{passed} of {len(results)} exercises "
            "passed.</p>" + "".join(sections) + "</html>\n")


def render_markdown(student: str, results: Sequence[CheckResult],
                    pictures: Mapping[str, str]) -> str:
    """``pictures``: exercise id -> the SVG file's path relative to the Markdown file."""
    passed = sum(r.passed for r in results)
    lines = [f"# Feedback for {_md(student)}", "",
             f"{passed} of {len(results)} exercises passed.", ""]
    for r in results:
        lines += [f"## {r.exercise}: {r.heading}", "", "```text", r.message.replace("```", "'''"),
                  *r.details, "```", ""]
        if r.exercise in pictures:
            lines += [f"![Where your model differs from the exercise]({pictures[r.exercise]})",
                      ""]
    return "\n".join(lines)


def _md(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]<>()#+!|])", r"\\\1", text)


def write_feedback(grades: Mapping[str, Sequence[CheckResult]], folder: Path) -> dict[str, str]:
    """Write ``<student>.html``, ``<student>.md`` and its pictures into ``folder``; return
    each student's file stem."""
    stems = file_stems(list(grades))
    folder.mkdir(parents=True, exist_ok=True)
    _draw_all(r for results in grades.values() for r in results)
    for student, results in grades.items():
        stem = stems[student]
        pictures = {}
        for r in results:
            svg = None if r.passed else _svg(r)[0]
            if svg:
                (folder / stem).mkdir(exist_ok=True)
                name = f"{stem}/{r.exercise}.svg"
                write_atomically(folder / name, svg)
                pictures[r.exercise] = name
        write_atomically(folder / f"{stem}.html", render_html(student, results))
        write_atomically(folder / f"{stem}.md", render_markdown(student, results, pictures))
    return stems
