"""Ready-made autograder set-ups: a Gradescope zip, a Classroom 50 autograder, and a GitHub
Actions workflow (for teachers who only want CI checks: GitHub Classroom itself was
discontinued in August 2026).

Each installs this same version of the package (a release pins it; a development version
installs from the repository) and grade with `kfunc-lessons grade`, so what a teacher tests
locally is what grades the class.
"""

from __future__ import annotations

import base64
import json
import shlex
import zipfile
from importlib import resources
from pathlib import Path

from kfunc_lessons import __version__
from kfunc_lessons.core.links import install_requirement, repository_url

GRADESCOPE_SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image (Ubuntu, as root). It
# installs the versions this package was tested with on the image's Python (the profiles in
# constraints/: Ubuntu 22.04's Python 3.10 gets the `oldest` pins); a Python no profile pins
# gets the newest releases, as the `latest` profile tests them.
set -euxo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${{KFUNC_VENV:-/opt/kfunc}}"  # a test installs elsewhere
apt-get update
apt-get install -y python3 python3-pip python3-venv graphviz git
python=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
profile="$here/constraints/latest.txt"
for name in {pinned}; do
    if grep -qx "# python: $python" "$here/constraints/$name.txt"; then
        profile="$here/constraints/$name.txt"
        break
    fi
done
echo "kfunc-lessons: installing for Python $python under $(basename "$profile" .txt)'s versions"
python3 -m venv "$venv"
"$venv/bin/pip" install --upgrade pip
"$venv/bin/pip" install -c "$profile" {requirement}
"""

PROFILES = ("oldest", "colab", "latest")  # kfunc_lessons/constraints/, pinned ones first

# AUTOGRADER_ROOT and KFUNC_LESSONS let a test run this script in a temporary layout.
GRADESCOPE_RUN = """#!/usr/bin/env bash
# Gradescope runs this for each submission, as root: grade /autograder/submission into
# /autograder/results/results.json. The students' code runs as a user of its own, which can
# write neither the results folder nor signal the grader. Only a results.json that the
# grader wrote and then ended by itself (exit status 0: all passed, 1: some did not) is
# kept; any other ending (killed, crashed) replaces it with one visible failed test saying
# what went wrong.
set -u
root="${{AUTOGRADER_ROOT:-/autograder}}"
grader="${{KFUNC_LESSONS:-/opt/kfunc/bin/kfunc-lessons}}"
results="$root/results/results.json"
mkdir -p "$root/results"
rm -f "$results"
# A teacher's exercises hold their solutions: readable by the grader (root) alone.
if [ -d "$root/source/teacher" ]; then chmod -R go-rwx "$root/source/teacher"; fi
"$grader" grade "$root/submission" --format gradescope --output "$results" {options} \\
    {exercises}< /dev/null > "$root/results/grader-stdout.txt" 2> "$root/results/grader-stderr.txt"
status=$?
if [ "$status" -gt 1 ] || [ ! -s "$results" ]; then
    python3 - "$results" "$status" "$root/results/grader-stderr.txt" <<'PY'
import json, sys
path, status, stderr = sys.argv[1], sys.argv[2], open(sys.argv[3], errors="replace").read()
output = ("The grader could not produce a verdict (exit status " + status + "). "
          "Tell your teacher; this is not about your code.\\n" + stderr[-2000:])
json.dump({{"score": 0.0, "output": output, "tests": [{{"name": "grader", "score": 0.0,
          "max_score": 0.0, "status": "failed", "output": output, "visibility": "visible"}}]}},
          open(path, "w"))
PY
fi
exit 0
"""

CLASSROOM_WORKFLOW = """# GitHub Classroom autograding for a student repository that holds the
# course's exercises/ folder. Written by `kfunc-lessons autograder classroom`
# (kfunc-lessons {version}).
name: Autograding
on:
  push:
  workflow_dispatch:
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  autograding:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install the grader
        run: |
          sudo apt-get update && sudo apt-get install -y graphviz
          pip install {requirement}
      - name: Grade the exercises
        id: kfunc
        # As root, so that the students' code runs as a user of its own: it can neither
        # write the grader's output nor signal it. Only the file the grader wrote is read,
        # and only when the grader ended by itself (0: all passed, 1: some did not).
        run: |
          result="$RUNNER_TEMP/kfunc-result"
          as_root=$([ "$(id -u)" = 0 ] || echo sudo)
          status=0
          $as_root "$(command -v kfunc-lessons)" grade exercises --format classroom \\
            --base64 --output "$result"{options} < /dev/null > /dev/null || status=$?
          if [ "$status" -gt 1 ] || [ ! -s "$result" ]; then
            echo "::error::the grader itself failed (exit status $status)"
            exit 1
          fi
          echo "result=$(cat "$result")" >> "$GITHUB_OUTPUT"
      - name: Report the points
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
          KFUNC_RESULTS: "${{{{ steps.kfunc.outputs.result }}}}"
        with:
          runners: kfunc
"""


CLASSROOM50_AUTOGRADER = """#!/usr/bin/env python3
# Classroom 50 autograder for the kfunc-lessons exercises, written by
# `kfunc-lessons autograder classroom50` (kfunc-lessons {version}). Commit it as
# CLASSROOM/autograder.py (every assignment) or CLASSROOM/autograders/SLUG/autograder.py, and
# set the classroom's runtime to a Python that TensorFlow supports (python: "3.12").
#
# The runner runs this file in the student's checkout. It installs the grader, grades every
# exercise it finds there (in any folder, under any name Colab gives a copy) as root where
# it can, so that the students' code runs as a user of its own and can write neither the
# verdicts nor this process, and writes result.json (classroom50/result/v1), release-body.md
# and $GITHUB_OUTPUT's status and summary. It exits 0 when it graded, whatever the verdicts,
# and 1 when the grader itself failed (the runner then records an error, not a score).

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REQUIREMENT = {requirement!r}
OPTIONS = {options!r}
# The teacher's own exercises, when given: their module's files (base64), by relative path.
EXERCISES = {exercises!r}


def grader():
    installed = os.environ.get("KFUNC_LESSONS")  # an installation of your own (tests)
    if installed:
        return [installed]
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", REQUIREMENT],
                   check=True)
    return [sys.executable, "-m", "kfunc_lessons.cli"]


def as_root(command):
    if os.geteuid() == 0 or shutil.which("sudo") is None:
        return command
    return ["sudo", "-E", "env", "PATH=" + os.environ.get("PATH", ""), *command]


def release_body(result):
    passed = sum(test["passed"] for test in result["tests"])
    lines = ["### kfunc-lessons: %d/%d points" % (result["score"], result["max-score"]), "",
             "%d of %d exercises passed." % (passed, len(result["tests"])), "",
             "| Exercise | Result | Points |", "| --- | --- | --- |"]
    for test in result["tests"]:
        verdict = "PASS" if test["passed"] else "FAIL"
        lines.append("| %s | %s | %d / %d |" % (test["test-name"], verdict, test["score"],
                                                 test["max-score"]))
    for test in result["tests"]:
        if not test["passed"]:  # an indented block: Markdown shows the text as it is
            lines += ["", "#### " + test["test-name"], ""]
            lines += ["    " + line for line in test["message"].splitlines()]
    return "\\n".join(lines) + "\\n"


def teacher_exercises(folder):
    if not EXERCISES:
        return []
    try:  # it holds the teacher's solutions: root's and the runner's alone
        os.chmod(__file__, 0o600)
    except OSError:
        pass
    for name, data in EXERCISES.items():
        path = folder / "exercises" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
    return ["--exercises", str(folder / "exercises" / next(iter(EXERCISES)).split("/")[0])]


def main():
    folder = Path(tempfile.mkdtemp(prefix="kfunc-", dir=os.environ.get("RUNNER_TEMP")))
    verdicts = folder / "result.json"
    done = subprocess.run(as_root([*grader(), "grade", ".", "--format", "classroom50",
                                   "--output", str(verdicts), *OPTIONS,
                                   *teacher_exercises(folder)]),
                          stdin=subprocess.DEVNULL)
    if done.returncode > 1 or not verdicts.is_file():
        print("::error::the grader itself failed (exit status %d)" % done.returncode)
        return 1
    result = json.loads(verdicts.read_text(encoding="utf-8"))
    Path("result.json").write_text(json.dumps(result, indent=2) + "\\n", encoding="utf-8")
    Path("release-body.md").write_text(release_body(result), encoding="utf-8")
    passed = sum(test["passed"] for test in result["tests"])
    summary = "kfunc-lessons: %d of %d exercises passed (%d/%d points)" % (
        passed, len(result["tests"]), result["score"], result["max-score"])
    if os.environ.get("GITHUB_OUTPUT"):
        status = "success" if passed == len(result["tests"]) else "failure"
        with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as output:
            output.write("status=%s\\nsummary=%s\\n" % (status, summary))
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
"""


def constraints(profile: str) -> str:
    """A tested version profile (``kfunc_lessons/constraints/PROFILE.txt``), as text."""
    return (resources.files("kfunc_lessons") / "constraints" / f"{profile}.txt").read_text()


def requirement() -> str:
    """What the set-ups install: this release, or the repository for a development version."""
    return install_requirement(__version__, repository_url()
                               or "https://github.com/kfunc-lessons/kfunc-lessons")


def _options(points: str | None, timeout: float | None, budget: float | None = None,
             visibility: str | None = None) -> str:
    options = []
    if points:
        options += ["--points", points]
    if timeout:
        options += ["--timeout", f"{timeout:g}"]
    if budget:
        options += ["--budget", f"{budget:g}"]
    if visibility:
        options += ["--visibility", visibility]
    return "".join(f" {shlex.quote(o)}" for o in options)


def _teacher_files(exercises: Path | str | None) -> dict[str, bytes]:
    """A teacher's exercise module's files, by path relative to its parent folder."""
    from kfunc_lessons.course.own_exercises import source_files

    return {} if exercises is None else source_files(Path(exercises))


def write_gradescope_zip(out: Path | str, points: str | None = None,
                         timeout: float | None = None, budget: float | None = None,
                         visibility: str = "visible",
                         exercises: Path | str | None = None) -> Path:
    """Write the zip Gradescope's "Zip file upload" takes: `setup.sh` and `run_autograder`
    at its root, executable. ``budget``: seconds a whole submission's code may run;
    ``visibility``: when students see the tests (Gradescope's ``visibility``);
    ``exercises``: a teacher's exercise module (file or package folder), carried in
    ``teacher/`` and graded instead of the course's."""
    out = Path(out)
    teacher = {f"teacher/{name}": data for name, data in _teacher_files(exercises).items()}
    files = {
        "setup.sh": GRADESCOPE_SETUP.format(requirement=shlex.quote(requirement()),
                                            pinned=" ".join(PROFILES[:-1])),
        "run_autograder": GRADESCOPE_RUN.format(
            options=_options(points, timeout, budget, visibility).strip(),
            exercises=f'--exercises "$root/source/teacher/"{shlex.quote(Path(exercises).name)} '
            if teacher else ""),
        "kfunc-lessons.json": json.dumps({"kfunc-lessons": __version__,
                                          "requirement": requirement()}, indent=2) + "\n",
        **{f"constraints/{name}.txt": constraints(name) for name in PROFILES},
        **teacher,
    }
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name)
            mode = 0o755 if name in ("setup.sh", "run_autograder") else 0o644  # these run
            info.external_attr = (0o100000 | mode) << 16  # a regular file
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)
    return out


def write_classroom50_autograder(folder: Path | str, points: str | None = None,
                                 timeout: float | None = None,
                                 exercises: Path | str | None = None) -> Path:
    """Write ``autograder.py`` for Classroom 50 into ``folder``; return its path.
    ``exercises``: a teacher's exercise module, carried inside it (commit it to the
    classroom's repository, which students cannot read)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    options = shlex.split(_options(points, timeout))
    path = folder / "autograder.py"
    path.write_text(CLASSROOM50_AUTOGRADER.format(version=__version__,
                                                  requirement=requirement(), options=options,
                                                  exercises={
        name: base64.b64encode(data).decode() for name, data in _teacher_files(exercises).items()}))
    path.chmod(0o755)
    return path


def classroom_workflow(points: str | None = None, timeout: float | None = None) -> str:
    """The workflow file (`.github/workflows/classroom.yml`) for a student repository. It
    carries no teacher's exercises: it lives in the students' repositories, where they could
    read them."""
    return CLASSROOM_WORKFLOW.format(version=__version__,
                                     requirement=shlex.quote(requirement()),
                                     options=_options(points, timeout))
