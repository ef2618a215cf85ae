"""Inside Gradescope's default limits: a time budget for the whole submission, as many
students at once as the container's CPU quota allows, and results.json with the fields and
visibility a teacher chooses."""

import json

import pytest

from kfunc_lessons.classroom.cpus import usable_cpus
from kfunc_lessons.classroom.formats import GRADESCOPE_VISIBILITY, to_gradescope
from kfunc_lessons.classroom.grading import grade_directory
from kfunc_lessons.core.result import CheckResult

LOOP = "while True:\n    pass\n"


def test_the_budget_stops_the_submission_and_says_why_for_each_file(tmp_path):
    for name in ("01_sequential_baseline.py", "02_functional_equivalent.py",
                 "03_residual_add.py"):
        (tmp_path / name).write_text(LOOP)
    results = {r.exercise: r for r in grade_directory(tmp_path, timeout=60, budget=3)}
    first, second = results["sequential_baseline"], results["functional_equivalent"]
    assert first.status == "error" and "time for the whole submission ran out" in first.message
    assert second.status == "error" and second.message.startswith("not run: the time for the "
                                                                   "whole submission (3 s)")
    assert results["residual_add"].message == second.message
    assert results["sequential_blocks"].status == "not_attempted"


def test_a_file_over_its_own_limit_is_told_so_not_the_budget(tmp_path):
    (tmp_path / "01_sequential_baseline.py").write_text(LOOP)
    [first] = [r for r in grade_directory(tmp_path, timeout=2, budget=60)
               if r.exercise == "sequential_baseline"]
    assert "ran longer than 2 s, the time limit" in first.message


def _cgroup(tmp_path, v2=None, quota_us=None, period_us=100000):
    if v2 is not None:
        (tmp_path / "cpu.max").write_text(v2)
    if quota_us is not None:
        (tmp_path / "cpu").mkdir()
        (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text(f"{quota_us}\n")
        (tmp_path / "cpu" / "cpu.cfs_period_us").write_text(f"{period_us}\n")
    return tmp_path


@pytest.mark.parametrize("layout, expected", [
    ({"v2": "50000 100000\n"}, 1),  # Gradescope's default: half a CPU
    ({"v2": "150000 100000\n"}, 1),
    ({"v2": "max 100000\n"}, None),  # no quota: every core it may run on
    ({"quota_us": 50000}, 1),  # cgroup v1
    ({"quota_us": -1}, None),
    ({}, None),  # nothing readable
])
def test_the_cpu_quota_caps_how_many_students_run_at_once(tmp_path, layout, expected):
    import os

    cores = len(os.sched_getaffinity(0))
    assert usable_cpus(_cgroup(tmp_path, **layout)) == (expected or cores)


RESULTS = [CheckResult("sequential_baseline", "passed", "ok"),
           CheckResult("residual_add", "failed", "the skip is missing", step="model")]


@pytest.mark.parametrize("visibility", GRADESCOPE_VISIBILITY)
def test_results_json_carries_the_chosen_visibility_a_summary_and_the_time(visibility):
    report = json.loads(to_gradescope(RESULTS, {"residual_add": 3}, execution_time=41.6,
                                      visibility=visibility))
    assert report["visibility"] == visibility
    assert {t["visibility"] for t in report["tests"]} == {visibility}
    assert report["execution_time"] == 42
    assert report["output"].startswith("1 of 2 exercises passed: 1 of 4 points.")


def test_an_unknown_visibility_is_refused_with_gradescopes_words():
    with pytest.raises(ValueError, match="visible, hidden, after_due_date, after_published"):
        to_gradescope(RESULTS, visibility="later")


def test_two_graders_on_one_machine_never_share_a_learner_uid():
    """As root, each grader holds a range of uids of its own: a second one, started while
    the first runs, takes the next range (one's clean-up ends every process of its uids)."""
    import subprocess
    import sys

    from kfunc_lessons.classroom import sandbox

    if sandbox.learner_user(0) is None:
        pytest.skip("learners run as users of their own only when the grader is root")
    mine = sandbox.learner_user(0).uid
    other = subprocess.run(
        [sys.executable, "-c", "from kfunc_lessons.classroom import sandbox; "
         "print(sandbox.learner_user(0).uid)"], capture_output=True, text=True, check=True)
    theirs = int(other.stdout)
    assert abs(theirs - mine) >= 100_000
