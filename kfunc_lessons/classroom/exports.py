"""A class's grades as spreadsheets: `grades.csv` for the teacher, and the CSV files that an
LMS gradebook imports (Canvas, Moodle), one total per student.

- Canvas's gradebook import reads ``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID`` and
  ``Section`` and then one column per assignment, with an optional ``Points Possible`` row
  first. Students are matched by an identifier; here the folder name is given as the SIS
  Login ID (name the folders by login, as Classroom 50, GitHub and Gradescope exports do).
- Moodle's "Import grades from CSV" lets the teacher map a column to a user field
  (username, email or ID number) and each other column to a grade item or its feedback;
  the file holds ``Username``, the grade, and a one-line feedback.

Every cell a spreadsheet would run as a formula is neutralised.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from kfunc_lessons.classroom.formats import points_for
from kfunc_lessons.core.result import CheckResult
from kfunc_lessons.core.safe_text import csv_cell

Points = float | Mapping[str, float]
CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")


def totals(results: Sequence[CheckResult], points: Points = 1.0) -> tuple[float, float]:
    """(points earned, points possible) for one student."""
    worth = points_for(results, points)
    return sum(worth[r.exercise] for r in results if r.passed), sum(worth.values())


def _number(value: float) -> str:
    return f"{value:g}"


def _csv(rows: list[list]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def render_grades_csv(grades: Mapping[str, Sequence[CheckResult]],
                      exercise_ids: Sequence[str], points: Points = 1.0) -> str:
    """One row per student: each exercise's status, then the number passed, the points,
    the points possible and the percentage."""
    rows: list[list] = [["student", *exercise_ids, "passed", "points", "out_of", "percent"]]
    for student, results in grades.items():
        earned, possible = totals(results, points)
        percent = 100 * earned / possible if possible else 0.0
        rows.append([csv_cell(student), *(r.status for r in results),
                     sum(r.passed for r in results), _number(earned), _number(possible),
                     f"{percent:.1f}"])
    return _csv(rows)


def render_canvas_csv(grades: Mapping[str, Sequence[CheckResult]], assignment: str,
                      points: Points = 1.0) -> str:
    """Canvas's gradebook import: one assignment column, its points possible first."""
    possible = max((totals(rs, points)[1] for rs in grades.values()), default=0.0)
    rows: list[list] = [[*CANVAS_IDENTITY, csv_cell(assignment)],
                        ["Points Possible", "", "", "", "", _number(possible)]]
    for student, results in grades.items():
        rows.append([csv_cell(student), "", "", csv_cell(student), "",
                     _number(totals(results, points)[0])])
    return _csv(rows)


def render_moodle_csv(grades: Mapping[str, Sequence[CheckResult]], item: str,
                      points: Points = 1.0) -> str:
    """Moodle's CSV grade import: the username, the grade, and its feedback."""
    rows: list[list] = [["Username", csv_cell(item), csv_cell(f"{item} feedback")]]
    for student, results in grades.items():
        earned = totals(results, points)[0]
        failed = [r.exercise for r in results if not r.passed]
        feedback = (f"{sum(r.passed for r in results)} of {len(results)} exercises passed"
                    + (f"; not yet: {', '.join(failed)}" if failed else ""))
        rows.append([csv_cell(student), _number(earned), csv_cell(feedback)])
    return _csv(rows)
