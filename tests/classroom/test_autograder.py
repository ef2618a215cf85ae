"""The Gradescope zip and the GitHub Classroom workflow, run the way the platforms run them:
the zip's `run_autograder` in a temporary folder laid out like /autograder, the workflow's
grading step in bash with a `$GITHUB_OUTPUT` file."""

import base64
import json
import os
import re
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
import yaml

from kfunc_lessons.classroom.autograder import classroom_workflow, requirement, write_gradescope_zip
from kfunc_lessons.course.exercises import EXERCISES
from scripts.solved_exercises import write_solved

SOLVED = ("sequential_baseline", "residual_add")
BIN = Path(sys.executable).parent  # where this environment's kfunc-lessons script lives


def _schema(root, name):
    return json.loads((root / "tests" / "schemas" / name).read_text())


def _class_folder(folder: Path) -> Path:
    folder.mkdir(parents=True)
    write_solved(folder, [e for e in EXERCISES if e.id in SOLVED])
    (folder / "08_branch_merge.py").write_text("while True:\n    pass\n")
    return folder


def _unpacked_autograder(tmp_path, **options) -> Path:
    archive = write_gradescope_zip(tmp_path / "autograder.zip", **options)
    source = tmp_path / "source"
    with zipfile.ZipFile(archive) as zipped:
        assert sorted(zipped.namelist()) == [
            "constraints/colab.txt", "constraints/latest.txt", "constraints/oldest.txt",
            "kfunc-lessons.json", "run_autograder", "setup.sh"]
        for info in zipped.infolist():
            script = info.filename in ("setup.sh", "run_autograder")
            assert stat.S_IMODE(info.external_attr >> 16) == (0o755 if script else 0o644)
        zipped.extractall(source)
    return source


def _run_autograder(source: Path, root: Path, grader: Path) -> dict:
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "KFUNC_LESSONS": str(grader)}
    done = subprocess.run(["bash", str(source / "run_autograder")], env=env, timeout=600,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads((root / "results" / "results.json").read_text())


def test_the_gradescope_zip_grades_a_submission_into_a_valid_results_json(root, tmp_path):
    source = _unpacked_autograder(tmp_path, points="residual_add=3", timeout=10, budget=120,
                                  visibility="after_published")
    assert requirement() in (source / "setup.sh").read_text().replace("'", "")
    layout = tmp_path / "autograder"
    _class_folder(layout / "submission")
    report = _run_autograder(source, layout, BIN / "kfunc-lessons")
    jsonschema.validate(report, _schema(root, "gradescope.schema.json"))
    statuses = {t["name"]: t["status"] for t in report["tests"]}
    assert statuses == {e.id: "passed" if e.id in SOLVED else "failed" for e in EXERCISES}
    assert report["score"] == 4.0
    assert report["output"].startswith("2 of 9 exercises passed: 4 of 11 points.")
    assert report["visibility"] == "after_published" and report["execution_time"] >= 10
    assert {t["visibility"] for t in report["tests"]} == {"after_published"}
    looping = next(t for t in report["tests"] if t["name"] == "branch_merge")
    assert "ran longer than 10 s" in looping["output"]


FAKE_PYTHON = """#!/bin/sh
# python3 on a fake image: reports $FAKE_VERSION; its venv's pip records what it installs
if [ "$1" = "-c" ]; then echo "$FAKE_VERSION"; exit 0; fi
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
    mkdir -p "$3/bin"
    printf '#!/bin/sh\\necho "$@" >> "%s/pip-calls"\\n' "$3" > "$3/bin/pip"
    chmod +x "$3/bin/pip"
fi
"""


@pytest.mark.parametrize("version, profile", [("3.10", "oldest"), ("3.13", "colab"),
                                              ("3.12", "latest")])
def test_setup_installs_the_tested_versions_for_the_images_python(tmp_path, version, profile):
    """setup.sh as Gradescope runs it, on a fake image (apt-get and python3 stubbed): the
    package installs under the profile tested on that Python, the newest releases else."""
    source = _unpacked_autograder(tmp_path)
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "apt-get").write_text("#!/bin/sh\nexit 0\n")
    (tools / "python3").write_text(FAKE_PYTHON)
    for tool in tools.iterdir():
        tool.chmod(0o755)
    venv = tmp_path / "venv"
    env = {**os.environ, "PATH": f"{tools}:{os.environ['PATH']}", "FAKE_VERSION": version,
           "KFUNC_VENV": str(venv)}
    done = subprocess.run(["bash", str(source / "setup.sh")], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"installing for Python {version} under {profile}'s versions" in done.stdout
    calls = (venv / "pip-calls").read_text().splitlines()
    assert calls[-1] == f"install -c {source}/constraints/{profile}.txt {requirement()}"


def test_a_grader_that_crashes_still_writes_a_visible_failed_test(root, tmp_path):
    source = _unpacked_autograder(tmp_path)
    broken = tmp_path / "broken-grader"
    broken.write_text("#!/bin/sh\necho 'ImportError: no module named keras' >&2\nexit 1\n")
    broken.chmod(0o755)
    layout = tmp_path / "autograder"
    (layout / "submission").mkdir(parents=True)
    report = _run_autograder(source, layout, broken)
    jsonschema.validate(report, _schema(root, "gradescope.schema.json"))
    [test] = report["tests"]
    assert test["status"] == "failed" and test["visibility"] == "visible"
    assert "exit status 1" in test["output"] and "no module named keras" in test["output"]
    assert report["output"] == test["output"]


def test_the_classroom_workflow_feeds_the_grading_reporter_what_it_reads(root, tmp_path):
    workflow = yaml.safe_load(classroom_workflow(points="2", timeout=10))
    steps = workflow["jobs"]["autograding"]["steps"]
    grading = next(s for s in steps if s.get("id") == "kfunc")
    reporter = next(s for s in steps
                    if s.get("uses", "").startswith("classroom-resources/autograding-grading"))
    runners = reporter["with"]["runners"]
    # The reporter reads <RUNNER>_RESULTS for each runner id (letters and digits only).
    assert re.fullmatch(r"([a-zA-Z0-9]+,)*[a-zA-Z0-9]+", runners)
    assert reporter["env"] == {f"{runners.upper()}_RESULTS":
                               "${{ steps.kfunc.outputs.result }}"}

    repository = tmp_path / "student"
    _class_folder(repository / "exercises")
    output = tmp_path / "github-output"
    env = {**os.environ, "GITHUB_OUTPUT": str(output),
           "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-e", "-c", grading["run"]], cwd=repository, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr  # failures are points, not a failed step
    name, value = output.read_text().strip().split("=", 1)
    assert name == "result"
    results = json.loads(base64.b64decode(value))
    jsonschema.validate(results, _schema(root, "classroom.schema.json"))
    assert results["max_score"] == 2 * len(EXERCISES)
    assert sum(t["score"] for t in results["tests"]) == 2 * len(SOLVED)
    assert results["status"] == "error"  # the endless loop is an error, not a failure
