"""Grade a whole class: each sub-folder of a root folder is one student's copy of `exercises/`.

First the reference solutions are graded as if they were a student (`self_check`): if they
do not all pass, the environment is broken (a memory limit too small for TensorFlow, a
missing package) and no student is blamed for it. Then every student's folder is copied into
a private folder and every file is read before any code runs (`kfunc_lessons.classroom.grading`);
each student's code runs in a process of their own, as a user of their own when the grader
is root, with a time limit per file and a memory limit, students in parallel across the
cores. A student whose code loops, crashes, exits, deletes files or attacks the grader gets
an error for that exercise; the other students, the submissions and the report are never
touched: the report is written by the grader alone, after every process a student's code
started has ended, and each file is replaced whole (never half-written).
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import tempfile
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from kfunc_lessons.classroom import sandbox
from kfunc_lessons.classroom.atomic import write_atomically
from kfunc_lessons.classroom.cpus import usable_cpus
from kfunc_lessons.classroom.exports import (
    Points,
    render_canvas_csv,
    render_grades_csv,
    render_moodle_csv,
)
from kfunc_lessons.classroom.feedback import write_feedback
from kfunc_lessons.classroom.grading import (
    Submission,
    grade_directory,
    grade_submission,
    load_references,
    read_submission,
)
from kfunc_lessons.classroom.isolation import sweep
from kfunc_lessons.classroom.learner_files import DEFAULT_TIMEOUT
from kfunc_lessons.classroom.regrade import VerdictCache, key
from kfunc_lessons.classroom.statistics import causes, histogram_svg, scores
from kfunc_lessons.core.result import CheckResult
from kfunc_lessons.core.safe_text import file_name
from kfunc_lessons.course.exercises import active_exercises, exercises_source
from kfunc_lessons.course.own_exercises import source_digest

DEFAULT_MEMORY_LIMIT = 6 * 2**30  # bytes of address space per learner process


class EnvironmentBroken(RuntimeError):
    """The reference solutions do not pass here: the grading environment is at fault."""


@dataclass
class ClassReport:
    """Every student's verdicts, in teaching order; what each folder's copy left out, and
    which files in it were not graded, with the reason."""

    grades: dict[str, list[CheckResult]]
    skipped: dict[str, list[str]] = field(default_factory=dict)
    ignored: dict[str, list[str]] = field(default_factory=dict)
    reused: int = 0  # verdicts taken from the last run, their files unchanged

    def pass_rate(self, exercise_id: str) -> float:
        verdicts = [r for rs in self.grades.values() for r in rs if r.exercise == exercise_id]
        return sum(r.passed for r in verdicts) / len(verdicts) if verdicts else 0.0

    def common_causes(self, exercise_id: str, top: int = 5) -> list[tuple[str, int]]:
        """The most frequent causes among students who did not pass the exercise."""
        return causes(self.grades, exercise_id).most_common(top)

    @property
    def grader_errors(self) -> int:
        """How many verdicts are the grader's own failures (not the students')."""
        return sum(r.status == "error" and r.step == "grader"
                   for rs in self.grades.values() for r in rs)


def students_in(root: Path) -> list[Path]:
    """The student folders under ``root``, sorted by name: real folders only (hidden ones
    and links, which could name another student's folder, are left out)."""
    return sorted(p for p in root.iterdir()
                  if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))


def _unique_names(students: list[Path]) -> list[str]:
    """Each folder's readable name; names that only differed in unreadable bytes are
    numbered, so no student's row replaces another's."""
    seen: Counter = Counter()
    names = []
    for student in students:
        name = file_name(student.name)
        seen[name] += 1
        names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return names


def self_check(*, timeout: float = DEFAULT_TIMEOUT,
               memory_limit: int | None = DEFAULT_MEMORY_LIMIT) -> list[CheckResult]:
    """Grade the reference solutions exactly as a student is graded; EnvironmentBroken
    unless every one passes."""
    from kfunc_lessons.course.exercises import solution_source

    solved = [e for e in active_exercises() if e.build_reference is None or e.solution]
    with tempfile.TemporaryDirectory(prefix="kfunc-self-check-") as folder:
        for exercise in solved:
            Path(folder, f"{exercise.slug}.py").write_text(solution_source(exercise.id))
        results = [r for r in grade_directory(folder, timeout=timeout,
                                              memory_limit=memory_limit)
                   if r.exercise in {e.id for e in solved}]
    failed = [r for r in results if not r.passed]
    if failed:
        first = failed[0]
        raise EnvironmentBroken(
            f"the reference solutions do not pass in this grading environment ({len(failed)} "
            f"of {len(results)}; {first.exercise}: {first.message.splitlines()[0]}). This is "
            "the environment, not the students: check the memory limit (--memory-limit), "
            "the installed packages (kfunc-lessons needs its declared Keras and TensorFlow) "
            "and the time limit (--timeout). No student was graded.")
    return results


def _helpers(submission: Submission) -> str:
    """A digest of the folder's files that are not exercise files (what an exercise file
    could import), by relative path and bytes."""
    exercise_files = set(submission.found.files.values())
    digest = hashlib.sha256()
    for path in sorted(p for p in submission.copy.rglob("*") if p.is_file()):
        relative = path.relative_to(submission.copy)
        if relative not in exercise_files:
            with contextlib.suppress(OSError):
                digest.update(relative.as_posix().encode("utf-8", "surrogateescape") + b"\0"
                              + path.read_bytes())
    return digest.hexdigest()


@dataclass
class _Known:
    """One student's exercise files' keys, and the verdict the cache holds for each, if any
    (`read_submission` then does not read that file)."""

    cache: VerdictCache
    context: str
    keys: dict[str, str] = field(default_factory=dict)
    helpers: str | None = None

    def __call__(self, submission: Submission, exercise_id: str) -> CheckResult | None:
        relative = submission.found.files[exercise_id]
        try:
            content = (submission.copy / relative).read_bytes()
        except OSError:
            return None
        self.helpers = self.helpers or _helpers(submission)
        self.keys[exercise_id] = key(exercise_id, content, submission.name,
                                     relative.as_posix(), self.helpers, self.context)
        return self.cache.get(self.keys[exercise_id])


def grade_class(root: Path | str, *, timeout: float = DEFAULT_TIMEOUT,
                memory_limit: int | None = DEFAULT_MEMORY_LIMIT, workers: int | None = None,
                on_student_done: Callable[[str], None] | None = None,
                check_first: bool = True, cache: VerdictCache | None = None) -> ClassReport:
    """Grade every student folder under ``root``; see the module's description. With
    ``cache``, a file whose verdict it holds is not run again (`kfunc_lessons.classroom.regrade`);
    the cache then holds this run's verdicts (``cache.save()`` writes them).

    Raises:
        EnvironmentBroken: with ``check_first``, when the reference solutions fail here.
    """
    load_references([e.id for e in active_exercises()])
    students = students_in(Path(root))
    names = _unique_names(students)
    # A verdict also depends on the limits, and on a teacher's exercises where in use.
    context = f"{timeout} {memory_limit} {source_digest(exercises_source())}"
    submissions: dict[str, Submission] = {}
    known: dict[str, _Known] = {}
    try:
        # Every folder is copied and every file read before any student's code runs; the
        # self-check runs the reference solutions meanwhile, and passes before any does.
        with ThreadPoolExecutor(max_workers=1) as first:
            checked = first.submit(self_check, timeout=timeout, memory_limit=memory_limit) \
                if check_first else None
            for slot, (name, student) in enumerate(zip(names, students), start=1):
                if cache is not None:
                    known[name] = _Known(cache, context)
                submissions[name] = read_submission(student, user=sandbox.learner_user(slot),
                                                    known=known.get(name))
            if checked is not None:
                checked.result()

        def grade(name: str) -> list[CheckResult]:
            results = grade_submission(submissions[name], timeout=timeout,
                                       memory_limit=memory_limit)
            if on_student_done is not None:
                on_student_done(name)
            return results

        with ThreadPoolExecutor(max_workers=workers or usable_cpus()) as pool:
            graded = dict(zip(names, pool.map(grade, names)))
    finally:
        sandbox.end_user_processes(*(s.user for s in submissions.values()))
        sweep()
        for submission in submissions.values():
            submission.close()
    for name, seen in known.items():
        for result in graded[name]:
            if result.exercise in seen.keys:
                seen.cache.put(seen.keys[result.exercise], result)
    return ClassReport(graded, {n: s.skipped for n, s in submissions.items() if s.skipped},
                       {n: s.found.lines() for n, s in submissions.items() if s.found.ignored},
                       reused=cache.reused if cache is not None else 0)


_STYLE = """body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:84rem;
padding:0 1rem;color:#1f2328;background:#fff}table{border-collapse:collapse;margin:1rem 0}
th,td{border:1px solid #d0d7de;padding:.3rem .45rem;text-align:left;vertical-align:top}
.grades td,.grades th{font-size:13px}.grades th{writing-mode:sideways-lr;max-height:12rem}
.passed{background:#dafbe1}.failed{background:#ffebe9}.not_attempted{background:#fff8c5}
.error{background:#f3e8ff}.feedback dd{margin:0 0 .6rem 1.2rem;white-space:pre-wrap}
a{color:#0550ae}@media (prefers-color-scheme:dark){body{background:#0d1117;color:#e6edf3}
th,td{border-color:#30363d}.passed{background:#12361f}.failed{background:#4a1d1d}
.not_attempted{background:#3d3413}.error{background:#2f1f4a}a{color:#79c0ff}}"""


def render_report_html(report: ClassReport, feedback: dict[str, str] | None = None) -> str:
    """A self-contained page (no scripts, no external files); all text is escaped.
    ``feedback``: each student's feedback file stem, linked from their row."""
    e = html.escape
    feedback = feedback or {}
    count = len(report.grades)
    exercises = active_exercises()
    rates = "".join(
        f"<tr><td>{e(x.id)}</td><td>{report.pass_rate(x.id):.0%}</td></tr>" for x in exercises)
    failures = []
    for exercise in exercises:
        items = "".join(f"<li>{n} × {e(text)}</li>"
                        for text, n in report.common_causes(exercise.id))
        if items:
            failures.append(f"<h3>{e(exercise.id)}</h3><ol>{items}</ol>")
    header = "".join(f"<th>{e(x.id)}</th>" for x in exercises)
    rows = "".join(
        f"<tr><td>{_student_link(student, feedback)}</td>"
        + "".join(f'<td class="{r.status}">{e(r.heading)}</td>' for r in results)
        + f"<td>{sum(r.passed for r in results)}/{len(results)}</td></tr>"
        for student, results in report.grades.items())
    histogram = histogram_svg(scores(report.grades), len(exercises))
    reused = (f" {report.reused} verdicts reused from the last run (their files unchanged)."
              if report.reused else "")
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>Class report</title><style>{_STYLE}</style>"
        f"<h1>Class report</h1><p>{count} students, {len(exercises)} exercises.{reused}</p>"
        f"<h2>Pass rate per exercise</h2><table><tr><th>exercise</th><th>passed</th></tr>"
        f"{rates}</table>"
        f"<h2>Exercises passed per student</h2><figure>{histogram}</figure>"
        "<h2>Most common causes</h2>"
        + ("".join(failures) or "<p>Every student passed every exercise.</p>")
        + '<h2>Students</h2><table class="grades"><tr><th>student</th>' + header
        + "<th>passed</th></tr>" + rows + "</table>" + _feedback_html(report)
        + _left_out_html("Left out of the copies", report.skipped)
        + _left_out_html("Files not graded", report.ignored) + "</html>\n")


def _student_link(student: str, feedback: dict[str, str]) -> str:
    name = html.escape(student)
    if student not in feedback:
        return name
    return f'<a href="feedback/{html.escape(feedback[student])}.html">{name}</a>'


def _feedback_html(report: ClassReport) -> str:
    """Every verdict that did not pass, with its message, per student: visible on the page,
    not only in a tooltip."""
    e = html.escape
    blocks = []
    for student, results in report.grades.items():
        items = "".join(f'<dt class="{r.status}">{e(r.exercise)}: {e(r.heading)}</dt>'
                        f"<dd>{e(r.message)}</dd>" for r in results
                        if not r.passed and r.status != "not_attempted")
        if items:
            blocks.append(f"<h3>{e(student)}</h3><dl>{items}</dl>")
    if not blocks:
        return ""
    return '<h2>Feedback</h2><div class="feedback">' + "".join(blocks) + "</div>"


def _left_out_html(title: str, lines_by_student: dict[str, list[str]]) -> str:
    """What was left out, per student, with the reason."""
    if not lines_by_student:
        return ""
    e = html.escape
    items = "".join(f"<li>{e(student)}: {e('; '.join(lines))}</li>"
                    for student, lines in lines_by_student.items())
    return f"<h2>{e(title)}</h2><ul>{items}</ul>"


def write_report(report: ClassReport, out: Path, points: Points = 1.0,
                 assignment: str = "kfunc-lessons") -> list[Path]:
    """Write into ``out``: ``grades.csv``, ``canvas.csv`` and ``moodle.csv`` (for an LMS
    gradebook, one total per student, the column named ``assignment``), one feedback page
    per student in ``feedback/``, and ``report.html``. Return the paths, in that order."""
    out.mkdir(parents=True, exist_ok=True)
    ids = [e.id for e in active_exercises()]
    files = {"grades.csv": render_grades_csv(report.grades, ids, points),
             "canvas.csv": render_canvas_csv(report.grades, assignment, points),
             "moodle.csv": render_moodle_csv(report.grades, assignment, points)}
    for name, text in files.items():
        write_atomically(out / name, text)
    stems = write_feedback(report.grades, out / "feedback")
    write_atomically(out / "report.html", render_report_html(report, stems))
    return [*(out / name for name in files), out / "feedback", out / "report.html"]
