"""The Classroom 50 autograder, run the way its runner runs it: `python3 autograder.py` in the
student's checkout, with the environment the runner documents, a `$GITHUB_OUTPUT` file and
`$RUNNER_TEMP`. Its result.json is checked against a schema written from the runner's
contract (tests/schemas/classroom50-result.schema.json) and the runner's own rules."""

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from kfunc_lessons.classroom.autograder import write_classroom50_autograder
from kfunc_lessons.cli import main
from kfunc_lessons.course.exercises import EXERCISES
from scripts.solved_exercises import write_solved

BIN = Path(sys.executable).parent
TAG = "submit/2026-12-02T09-00-00Z"
REPO = "https://github.com/cs-keras/lab1-keras-alice"


def _runner_env(tmp_path: Path) -> dict:
    """What the runner sets before it runs the autograder (runner.py's run_entrypoint)."""
    (tmp_path / "runner-temp").mkdir(exist_ok=True)
    return {**os.environ, "CLASSROOM": "cs-keras", "ASSIGNMENT": "lab1", "MODE": "individual",
            "ASSIGNMENT_TYPE": "individual", "USERNAME": "alice", "OWNER": "alice",
            "SUBMISSION_TAG": TAG, "COMMIT_URL": f"{REPO}/commit/0123abc",
            "RELEASE_URL": f"{REPO}/releases/tag/submit%2F2026-12-02T09-00-00Z",
            "REVIEW_URL": f"{REPO}/compare/base...0123abc",
            "GITHUB_OUTPUT": str(tmp_path / "github-output"),
            "RUNNER_TEMP": str(tmp_path / "runner-temp"),
            "KFUNC_LESSONS": str(BIN / "kfunc-lessons")}


def _runner_accepts(result: dict) -> None:
    """The rules runner.py's validate_result applies beyond the schema."""
    assert result["score"] <= result["max-score"]
    for test in result["tests"]:
        assert not isinstance(test["score"], bool) and test["score"] <= test["max-score"]


def _grade(tmp_path: Path, checkout: Path, root: Path, points: str = "2") -> tuple[dict, dict]:
    script = write_classroom50_autograder(tmp_path / "classroom", points=points, timeout=20)
    done = subprocess.run([sys.executable, str(script)], cwd=checkout, env=_runner_env(tmp_path),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((checkout / "result.json").read_text())
    schema = json.loads((root / "tests" / "schemas" / "classroom50-result.schema.json")
                        .read_text())
    jsonschema.validate(result, schema)
    _runner_accepts(result)
    outputs = dict(line.split("=", 1) for line in
                   (tmp_path / "github-output").read_text().splitlines())
    return result, outputs


def test_a_right_submission_scores_every_point(root, tmp_path):
    checkout = tmp_path / "lab1-keras-alice"
    (checkout / "exercises").mkdir(parents=True)
    write_solved(checkout / "exercises")
    result, outputs = _grade(tmp_path, checkout, root)
    assert (result["score"], result["max-score"]) == (18, 18)
    assert [t["test-name"] for t in result["tests"]] == [e.id for e in EXERCISES]
    assert (result["classroom"], result["assignment"], result["owner"], result["submission"]) \
        == ("cs-keras", "lab1", "alice", TAG)
    assert outputs == {"status": "success",
                       "summary": "kfunc-lessons: 9 of 9 exercises passed (18/18 points)"}
    body = (checkout / "release-body.md").read_text()
    assert body.startswith("### kfunc-lessons: 18/18 points\n")
    assert "| residual_add | PASS | 2 / 2 |" in body


def test_a_mixed_submission_scores_what_passed_and_says_why_the_rest_did_not(root, tmp_path):
    checkout = tmp_path / "lab1-keras-alice"
    checkout.mkdir()
    write_solved(checkout, [e for e in EXERCISES if e.id == "residual_add"])
    (checkout / "08_branch_merge.py").write_text("raise ValueError('not yet')\n")
    result, outputs = _grade(tmp_path, checkout, root, points="residual_add=3")
    assert (result["score"], result["max-score"]) == (3, 11)
    tests = {t["test-name"]: t for t in result["tests"]}
    assert tests["residual_add"]["passed"] and tests["residual_add"]["score"] == 3
    assert not tests["branch_merge"]["passed"]
    assert "ValueError: not yet" in tests["branch_merge"]["message"]
    assert outputs["status"] == "failure"
    assert outputs["summary"] == "kfunc-lessons: 1 of 9 exercises passed (3/11 points)"
    body = (checkout / "release-body.md").read_text()
    assert "| branch_merge | FAIL | 0 / 1 |" in body and "    Error: your code raised" in body


def test_an_empty_submission_is_a_score_of_zero_not_an_error(root, tmp_path):
    checkout = tmp_path / "lab1-keras-alice"
    checkout.mkdir()
    (checkout / "README.md").write_text("nothing yet\n")
    result, outputs = _grade(tmp_path, checkout, root)
    assert (result["score"], result["max-score"]) == (0, 18)
    assert all(not t["passed"] for t in result["tests"])
    assert outputs["status"] == "failure"


def test_a_grader_that_cannot_run_is_an_infrastructure_failure(tmp_path):
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    broken = tmp_path / "broken-grader"
    broken.write_text("#!/bin/sh\necho 'ImportError: no module named keras' >&2\nexit 3\n")
    broken.chmod(0o755)
    script = write_classroom50_autograder(tmp_path / "classroom")
    env = {**_runner_env(tmp_path), "KFUNC_LESSONS": str(broken)}
    done = subprocess.run([sys.executable, str(script)], cwd=checkout, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "the grader itself failed (exit status 3)" in done.stdout
    assert not (checkout / "result.json").exists()  # the runner synthesises status=error


@pytest.mark.parametrize("command", [
    ["autograder", "classroom50", "OUT", "--points", "1.5"],
    ["grade", "EMPTY", "--format", "classroom50", "--points", "residual_add=0.5"],
])
def test_fractional_points_are_refused_before_anything_is_graded(tmp_path, capsys, command):
    (tmp_path / "empty").mkdir()
    args = [str(tmp_path / "out") if a == "OUT" else str(tmp_path / "empty") if a == "EMPTY"
            else a for a in command]
    assert main(args) == 2
    assert "Classroom 50 scores are whole numbers" in capsys.readouterr().out
    assert not (tmp_path / "out").exists()
