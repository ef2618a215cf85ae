"""Regrade only what changed: a second `grade-class` over the same folders runs only the files
that changed and reuses the verdicts (pictures included) of the others; errors, a damaged
cache and a cache from another grader are never reused."""

import csv
import json
import os

import kfunc_lessons as kl
from kfunc_lessons.classroom import regrade
from kfunc_lessons.classroom.regrade import VerdictCache, key
from kfunc_lessons.cli import main
from kfunc_lessons.core.result import CheckResult
from kfunc_lessons.course.exercises import EXERCISES
from scripts.solved_exercises import write_solved

SOLVED = {e.id: e for e in EXERCISES}
RIGHT = kl.solution("residual_add")
WRONG = RIGHT.replace("64", "32")


def _grades(out) -> dict[str, dict[str, str]]:
    with open(out / "grades.csv", newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def test_a_second_run_runs_only_the_changed_files(tmp_path, capsys):
    root, out = tmp_path / "class", tmp_path / "report"
    for student in ("alice", "bob", "carl"):
        (root / student).mkdir(parents=True)
    write_solved(root / "alice", [SOLVED["sequential_baseline"], SOLVED["residual_add"]])
    (root / "bob" / "03_residual_add.py").write_text(WRONG)
    (root / "carl" / "03_residual_add.py").write_text(WRONG)
    command = ["grade-class", str(root), "--out", str(out), "--timeout", "30"]
    main(command)
    assert "reused" not in capsys.readouterr().out
    first = _grades(out)
    assert first["bob"]["residual_add"] == first["carl"]["residual_add"] == "failed"

    (root / "bob" / "03_residual_add.py").write_text(RIGHT)  # bob fixed his; nobody else
    main(command)
    said = " ".join(capsys.readouterr().out.split())
    assert "reused 3 verdicts of unchanged files" in said  # alice's two, carl's one
    second = _grades(out)
    assert second["bob"]["residual_add"] == "passed"
    assert {k: v for k, v in second.items() if k != "bob"} == {
        k: v for k, v in first.items() if k != "bob"}
    assert "3 verdicts reused from the last run" in (out / "report.html").read_text()
    # carl's reused failure still shows where his model differs
    assert "<svg" in (out / "feedback" / "carl.html").read_text()

    (out / regrade.FILE_NAME).write_text("{not json")  # a damaged cache: graded afresh
    main([*command, "--fresh"])
    assert "reused" not in capsys.readouterr().out
    assert _grades(out) == second


def test_errors_are_not_kept_and_other_graders_verdicts_are_not_read(tmp_path):
    cache = VerdictCache(tmp_path)
    failed = CheckResult("residual_add", "failed", "the skip is missing", step="model")
    timed_out = CheckResult("residual_add", "error", "ran past 30 s", step="run")
    cache.put("a", failed)
    cache.put("b", timed_out)
    cache.save()
    again = VerdictCache(tmp_path)
    assert again.get("a") == failed and again.get("b") is None and again.reused == 1
    assert VerdictCache(tmp_path, reuse=False).get("a") is None

    stored = json.loads((tmp_path / regrade.FILE_NAME).read_text())
    stored["grader"] = "kfunc-lessons 0.1.0 keras 3.0.0 tensorflow"
    (tmp_path / regrade.FILE_NAME).write_text(json.dumps(stored))
    assert VerdictCache(tmp_path).get("a") is None


def test_the_key_changes_with_the_exercise_and_every_byte_of_the_file():
    code = RIGHT.encode()
    assert key("residual_add", code) == key("residual_add", code)
    assert key("residual_add", code) != key("residual_add", code + b" ")
    assert key("residual_add", code) != key("sequential_blocks", code)
    # the student and their folder's other files count: the same bytes beside a planted
    # keras.py in another student's folder must not hand that student's verdict over
    assert key("residual_add", code, "alice", "h1") != key("residual_add", code, "bob", "h1")
    assert key("residual_add", code, "alice", "h1") != key("residual_add", code, "alice", "h2")


def test_a_file_name_that_is_not_utf8_is_keyed_by_its_bytes(tmp_path, capsys):
    """A helper file whose name is not UTF-8 (a zip from another system): the student is
    graded, and graded from the cache the second time."""
    root, out = tmp_path / "class", tmp_path / "report"
    (root / "dana").mkdir(parents=True)
    (root / "dana" / "03_residual_add.py").write_text(RIGHT)
    (root / "dana" / os.fsdecode(b"notes-\xff.txt")).write_text("mine")
    command = ["grade-class", str(root), "--out", str(out), "--timeout", "30"]
    assert main(command) == 0
    assert _grades(out)["dana"]["residual_add"] == "passed"
    capsys.readouterr()
    assert main(command) == 0
    assert "reused 1 verdicts" in " ".join(capsys.readouterr().out.split())
