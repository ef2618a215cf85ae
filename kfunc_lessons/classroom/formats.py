"""Verdicts in the formats that grading platforms read: one test per exercise.

- `gradescope`: Gradescope's ``results.json`` (the autograder specification);
- `classroom`: the JSON a GitHub Classroom runner step hands to
  ``classroom-resources/autograding-grading-reporter`` (base64 for ``$GITHUB_OUTPUT``);
- `classroom50`: Classroom 50's ``result.json`` (schema ``classroom50/result/v1``), the
  submission's facts read from the environment its runner gives the autograder;
- `junit`: JUnit XML, as CI systems read it (the ``junit-10.xsd`` layout).

Every format is complete whatever the verdicts: "not attempted" and errors are failed tests
with their message, never missing entries.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone

from kfunc_lessons.core.result import CheckResult

FORMATS = ("json", "gradescope", "classroom", "classroom50", "junit")
CLASSROOM50_SCHEMA = "classroom50/result/v1"  # as text; the CLI also draws a table


def points_for(results: Sequence[CheckResult],
               points: float | Mapping[str, float] = 1.0) -> dict[str, float]:
    """Points per exercise: one number for all, or a mapping (exercises it omits get 1)."""
    if isinstance(points, Mapping):
        return {r.exercise: float(points.get(r.exercise, 1.0)) for r in results}
    return {r.exercise: float(points) for r in results}


def _output(result: CheckResult) -> str:
    return str(result)  # the heading, the message and its details


def to_json(results: Sequence[CheckResult]) -> str:
    passed = sum(r.passed for r in results)
    return json.dumps({"passed": passed, "total": len(results),
                       "results": [r.to_dict() for r in results]}, indent=2)


GRADESCOPE_VISIBILITY = ("visible", "hidden", "after_due_date", "after_published")


def to_gradescope(results: Sequence[CheckResult],
                  points: float | Mapping[str, float] = 1.0,
                  execution_time: float | None = None, visibility: str = "visible") -> str:
    """Gradescope's results.json: ``score`` is the sum of the tests' scores; ``output`` (shown
    above the tests) sums the verdicts up; ``visibility`` (one of `GRADESCOPE_VISIBILITY`)
    says when students see the tests and the score; ``execution_time`` is in seconds."""
    if visibility not in GRADESCOPE_VISIBILITY:
        raise ValueError(f"unknown visibility {visibility!r}; Gradescope's are: "
                         + ", ".join(GRADESCOPE_VISIBILITY))
    worth = points_for(results, points)
    tests = [{
        "name": r.exercise,
        "number": str(number),
        "score": worth[r.exercise] if r.passed else 0.0,
        "max_score": worth[r.exercise],
        "status": "passed" if r.passed else "failed",
        "output": _output(r),
        "visibility": visibility,
    } for number, r in enumerate(results, start=1)]
    score = sum(t["score"] for t in tests)
    passed = sum(r.passed for r in results)
    output = (f"{passed} of {len(results)} exercises passed: {score:g} of "
              f"{sum(worth.values()):g} points. Each exercise's feedback is below.")
    report: dict = {"score": score, "output": output, "tests": tests,
                    "visibility": visibility, "stdout_visibility": "hidden"}
    if execution_time is not None:
        report["execution_time"] = round(execution_time)
    return json.dumps(report, indent=2)


def to_classroom(results: Sequence[CheckResult],
                 points: float | Mapping[str, float] = 1.0) -> dict:
    """The runner result the grading reporter reads from ``<RUNNER>_RESULTS``.

    The reporter records the sum of the tests' ``score`` against ``max_score`` (the sum of
    the points); its console table scales ``max_score`` by the share of tests passed, which
    is the same figure when every exercise is worth the same.
    """
    worth = points_for(results, points)
    status = ("error" if any(r.status == "error" for r in results)
              else "pass" if all(r.passed for r in results) else "fail")
    return {
        "version": 1,
        "status": status,
        "max_score": sum(worth.values()),
        "tests": [{
            "name": r.exercise,
            "status": "pass" if r.passed else "error" if r.status == "error" else "fail",
            "score": worth[r.exercise] if r.passed else 0.0,
            "message": _output(r),
            "line_no": 0,
            "test_code": f"kfunc-lessons check {r.exercise} FILE",
        } for r in results],
    }


def to_classroom_text(results: Sequence[CheckResult],
                      points: float | Mapping[str, float] = 1.0,
                      encode: bool = False) -> str:
    text = json.dumps(to_classroom(results, points))
    return base64.b64encode(text.encode()).decode() if encode else text


def whole_points(worth: Mapping[str, float]) -> dict[str, int]:
    """Classroom 50 keeps scores as whole numbers: the points, or ValueError naming the first
    exercise whose points are not whole."""
    for exercise_id, value in worth.items():
        if not float(value).is_integer():
            raise ValueError(f"Classroom 50 scores are whole numbers; {exercise_id} is worth "
                             f"{value:g}")
    return {exercise_id: int(value) for exercise_id, value in worth.items()}


def to_classroom50(results: Sequence[CheckResult], points: float | Mapping[str, float] = 1.0,
                   environ: Mapping[str, str] = os.environ) -> dict:
    """Classroom 50's result: one test per exercise (``test-name``, ``passed``, ``score``,
    ``max-score``, and the feedback as ``message``), the submission's facts from the variables
    its runner sets. The runner stamps ``owner``, ``assignment_type`` and ``datetime`` again
    itself; they are written here too, so the file is complete on its own."""
    worth = whole_points(points_for(results, points))
    tests = [{"test-name": r.exercise, "passed": r.passed,
              "score": worth[r.exercise] if r.passed else 0, "max-score": worth[r.exercise],
              "message": _output(r)} for r in results]
    commit = environ.get("COMMIT_URL", "")
    return {
        "schema": CLASSROOM50_SCHEMA,
        "classroom": environ.get("CLASSROOM", ""),
        "assignment": environ.get("ASSIGNMENT", ""),
        "assignment_type": environ.get("ASSIGNMENT_TYPE") or "individual",
        "owner": environ.get("OWNER") or environ.get("USERNAME", ""),
        "submission": environ.get("SUBMISSION_TAG", ""),
        "commit": commit,
        "release": environ.get("RELEASE_URL", ""),
        "review": environ.get("REVIEW_URL") or commit,
        "datetime": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "score": sum(t["score"] for t in tests),
        "max-score": sum(t["max-score"] for t in tests),
        "tests": tests,
    }


def to_junit(results: Sequence[CheckResult], suite: str = "kfunc-lessons") -> str:
    """JUnit XML: one ``testcase`` per exercise; incorrect and not attempted are
    ``failure``, errors (the learner's code or the grader) are ``error``."""
    failures = sum(r.status in ("failed", "not_attempted") for r in results)
    errors = sum(r.status == "error" for r in results)
    root = ET.Element("testsuites", name=suite, tests=str(len(results)),
                      failures=str(failures), errors=str(errors))
    testsuite = ET.SubElement(
        root, "testsuite", name=suite, tests=str(len(results)), failures=str(failures),
        errors=str(errors), skipped="0", hostname=socket.gethostname(),
        timestamp=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"))
    for r in results:
        case = ET.SubElement(testsuite, "testcase", name=r.exercise, classname=suite)
        if not r.passed:
            tag = "error" if r.status == "error" else "failure"
            ET.SubElement(case, tag, message=r.heading, type=r.status).text = "\n".join(
                [r.message, *r.details])
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def parse_points(text: str) -> float | dict[str, float]:
    """``--points``: ``2`` (every exercise) or ``residual_add=3,branch_merge=2``."""
    if "=" not in text:
        return float(text)
    pairs = (item.split("=", 1) for item in text.split(",") if item.strip())
    return {name.strip(): float(value) for name, value in pairs}


def render(format_name: str, results: Sequence[CheckResult],
           points: float | Mapping[str, float] = 1.0, encode: bool = False,
           execution_time: float | None = None, visibility: str = "visible") -> str:
    """The verdicts as text in one of `FORMATS` (``execution_time`` and ``visibility``:
    Gradescope's only)."""
    if format_name == "json":
        return to_json(results)
    if format_name == "gradescope":
        return to_gradescope(results, points, execution_time, visibility)
    if format_name == "classroom":
        return to_classroom_text(results, points, encode)
    if format_name == "classroom50":
        return json.dumps(to_classroom50(results, points), indent=2)
    if format_name == "junit":
        return to_junit(results)
    raise ValueError(f"unknown format {format_name!r}; the formats are: {', '.join(FORMATS)}")
