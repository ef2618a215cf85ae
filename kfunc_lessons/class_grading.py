"""Grade a whole class: each sub-folder of a root folder is one student's copy of `exercises/`.

Every student's folder is copied into a private temporary folder, every file is read before
any code runs, and each student's code runs in a process of its own
(`kfunc_lessons.isolation.run_isolated_batch`: each file in a fresh namespace, with its own
time limit) with a memory limit, students in parallel across all cores. A student whose code
loops, crashes, exits or deletes files gets an error for that exercise; the other students,
the submissions and the report are never touched. Writes `grades.csv` and a self-contained
`report.html`.
"""

from __future__ import annotations

import csv
import html
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from kfunc_lessons.exercises import EXERCISES
from kfunc_lessons.grading import collect_directory, submit_directory
from kfunc_lessons.learner_files import DEFAULT_TIMEOUT
from kfunc_lessons.result import CheckResult

DEFAULT_MEMORY_LIMIT = 6 * 2**30  # bytes of address space per learner process


@dataclass
class ClassReport:
    """Every student's verdicts, in teaching order."""

    grades: dict[str, list[CheckResult]]

    def pass_rate(self, exercise_id: str) -> float:
        verdicts = [r for rs in self.grades.values() for r in rs if r.exercise == exercise_id]
        return sum(r.passed for r in verdicts) / len(verdicts) if verdicts else 0.0

    def common_failures(self, exercise_id: str, top: int = 5) -> list[tuple[str, int]]:
        """The most frequent feedback for the exercise among students who did not pass."""
        messages = Counter(
            r.heading if r.status == "not_attempted" else f"{r.heading}: {r.message}"
            for rs in self.grades.values() for r in rs
            if r.exercise == exercise_id and not r.passed)
        return messages.most_common(top)


def students_in(root: Path) -> list[Path]:
    """The student folders under ``root`` (hidden folders left out), sorted by name."""
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def grade_class(root: Path | str, *, timeout: float = DEFAULT_TIMEOUT,
                memory_limit: int | None = DEFAULT_MEMORY_LIMIT, workers: int | None = None,
                on_student_done: Callable[[str], None] | None = None) -> ClassReport:
    """Grade every student folder under ``root``; see the module's description."""
    students = students_in(Path(root))
    grades: dict[str, list[CheckResult]] = {}
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
        copies, submitted = {}, {}
        for student in students:
            # One private folder per student: code that deletes "..", or anything relative
            # to where it runs, reaches only its own copy.
            private = Path(tempfile.mkdtemp(prefix="kfunc-student-"))
            copies[student.name] = shutil.copytree(student, private / "exercises",
                                                   symlinks=True)
            submitted[student.name] = submit_directory(
                pool, copies[student.name], timeout=timeout, memory_limit=memory_limit,
                one_process=True)
        try:
            for student in students:
                grades[student.name] = list(collect_directory(student, submitted[student.name]))
                if on_student_done is not None:
                    on_student_done(student.name)
        finally:
            for copy in copies.values():
                shutil.rmtree(copy.parent, ignore_errors=True)
    return ClassReport(grades)


def write_grades_csv(report: ClassReport, path: Path) -> None:
    """One row per student: each exercise's status, then the number passed."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *(e.id for e in EXERCISES), "passed"])
        for student, results in report.grades.items():
            writer.writerow([student, *(r.status for r in results),
                             sum(r.passed for r in results)])


_STYLE = """body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;
padding:0 1rem;color:#1f2328;background:#fff}table{border-collapse:collapse;margin:1rem 0}
th,td{border:1px solid #d0d7de;padding:.3rem .55rem;text-align:left;vertical-align:top}
.passed{background:#dafbe1}.failed{background:#ffebe9}.not_attempted{background:#fff8c5}
.error{background:#f3e8ff}@media (prefers-color-scheme:dark){body{background:#0d1117;
color:#e6edf3}th,td{border-color:#30363d}.passed{background:#12361f}.failed{background:#4a1d1d}
.not_attempted{background:#3d3413}.error{background:#2f1f4a}}"""


def render_report_html(report: ClassReport) -> str:
    """A self-contained page (no scripts, no external files); all text is escaped."""
    e = html.escape
    count = len(report.grades)
    rates = "".join(
        f"<tr><td>{e(x.id)}</td><td>{report.pass_rate(x.id):.0%}</td></tr>" for x in EXERCISES)
    failures = []
    for exercise in EXERCISES:
        items = "".join(f"<li>{n} × {e(text)}</li>"
                        for text, n in report.common_failures(exercise.id))
        if items:
            failures.append(f"<h3>{e(exercise.id)}</h3><ol>{items}</ol>")
    header = "".join(f"<th>{e(x.id)}</th>" for x in EXERCISES)
    rows = "".join(
        f"<tr><td>{e(student)}</td>"
        + "".join(f'<td class="{r.status}" title="{e(r.message)}">{e(r.heading)}</td>'
                  for r in results)
        + f"<td>{sum(r.passed for r in results)}/{len(results)}</td></tr>"
        for student, results in report.grades.items())
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>Class report</title><style>{_STYLE}</style>"
        f"<h1>Class report</h1><p>{count} students, {len(EXERCISES)} exercises.</p>"
        f"<h2>Pass rate per exercise</h2><table><tr><th>exercise</th><th>passed</th></tr>"
        f"{rates}</table>"
        "<h2>Most common feedback</h2>"
        + ("".join(failures) or "<p>Every student passed every exercise.</p>")
        + "<h2>Students</h2><table><tr><th>student</th>" + header + "<th>passed</th></tr>"
        + rows + "</table></html>\n")


def write_report(report: ClassReport, out: Path) -> tuple[Path, Path]:
    """Write ``grades.csv`` and ``report.html`` into ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    write_grades_csv(report, out / "grades.csv")
    (out / "report.html").write_text(render_report_html(report))
    return out / "grades.csv", out / "report.html"
