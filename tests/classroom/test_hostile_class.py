"""Grades no student can forge, and no broken submission can take the class down.

One class of hostile and careless students is graded once, as root (as Gradescope and CI
runners grade), with two students at a time; each attack's student gets the verdict their
own model earns, every other row is unchanged, and the report and CSV are complete and
well-formed. Attacks on the platform set-ups and on an unprivileged grader follow.
"""

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

import kfunc_lessons as kl
from kfunc_lessons.classroom import sandbox
from kfunc_lessons.cli import main
from kfunc_lessons.course.exercises import EXERCISES
from scripts.solved_exercises import write_solved

pytestmark = pytest.mark.skipif(not sandbox.privileged(), reason="grades as root")

SOLVED = {e.id: e for e in EXERCISES}
PACKAGE = Path(kl.__file__).resolve().parent
SOLUTION = kl.solution("residual_add")
WRONG = SOLUTION.replace("64", "32")  # a wrong model: it must stay "failed" whatever else



def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# Appended to a reference solution, this would run in the grading process when the
# reference is built, and pass every model.
FORGING_REFERENCE = (
    "\nimport kfunc_lessons.api as _api\nfrom kfunc_lessons.core.result import CheckResult as _R\n"
    "_api.run_check = lambda task, model: _R('residual_add', 'passed', 'forged')\n")


def _attack(code: str) -> str:
    return textwrap.dedent(code) + "\n" + WRONG


ATTACKS = {
    # 1. rewrite the installed reference so that the wrong model would match it
    "rewriter": _attack(f"""\
        try:
            with open({str(PACKAGE / "course" / "solutions" / "residual_add.py")!r}, "a") as f:
                f.write({FORGING_REFERENCE!r})
        except OSError:
            pass
        """),
    # 2. find the grader through /proc, forge its outputs, then kill it
    "forger": _attack("""\
        import os, signal
        for pid in filter(str.isdigit, os.listdir("/proc")):
            if int(pid) == os.getpid():
                continue
            try:
                words = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")
            except OSError:
                continue
            for word in words:
                if word.endswith(b"report"):
                    for name in ("grades.csv", "report.html"):
                        try:
                            open(os.path.join(word.decode(), name), "w").write("forged")
                        except OSError:
                            pass
            try:
                os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass
        """),
    # 3. a grandchild in a session of its own that outlives the grader to rewrite the report
    "lurker": _attack("""\
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(4)
                for root, _, files in os.walk("/tmp"):
                    for name in files:
                        if name == "grades.csv":
                            open(os.path.join(root, name), "w").write("rewritten")
            os._exit(0)
        """),
    # 4. overwrite every other hand-over it can find, turning passes into errors
    "neighbour": _attack("""\
        import glob, json
        for path in glob.glob("/tmp/kfunc-handover-*/jobs/*/handover.json"):
            try:
                open(path, "w").write(json.dumps({"handover": "error", "message": "gone"}))
            except OSError:
                pass
        """),
    # 5. write into another student's folder through a link in its own
    "linker": _attack("""\
        try:
            open("peer/03_residual_add.py", "w").write("model = None\\n")
        except OSError:
            pass
        """),
    # 7. control characters and terminal escapes in its exception
    "escaper": "raise ValueError('\\x1b[2J\\x1b[31mred\\x0c\\x00 and <b>bold</b>')\n",
    "surrogate": "raise ValueError('lone \\udce9 surrogate')\n",
}
BAD_NOTEBOOKS = {
    "number-source": {"cells": [{"cell_type": "code", "source": 42, "metadata": {},
                                 "outputs": [], "execution_count": None}],
                      "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
    "null-source": {"cells": [{"cell_type": "code", "source": None, "metadata": {},
                               "outputs": [], "execution_count": None}],
                    "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
}


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile") / "class"
    root.mkdir()
    honest = ("alice", "bob", "zoe")
    for student in honest:
        (root / student).mkdir()
        write_solved(root / student, [SOLVED["sequential_baseline"], SOLVED["residual_add"]])
    for student, code in ATTACKS.items():
        (root / student).mkdir()
        (root / student / "03_residual_add.py").write_text(code)
    (root / "linker" / "peer").symlink_to(root / "alice")
    secret = root.parent / "secret.txt"
    secret.write_text("TOP-SECRET-LINE\n")
    (root / "leaker").mkdir()
    (root / "leaker" / "03_residual_add.py").symlink_to(secret)
    # 6. bad input of every shape
    for student, notebook in BAD_NOTEBOOKS.items():
        (root / student).mkdir()
        (root / student / "03_residual_add.ipynb").write_text(json.dumps(notebook))
    (root / "deep").mkdir()
    (root / "deep" / "03_residual_add.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    (root / "digits").mkdir()
    (root / "digits" / "03_residual_add.ipynb").write_text('{"cells": ' + "9" * 5000 + "}")
    (root / "pipe").mkdir()
    os.mkfifo(root / "pipe" / "03_residual_add.py")
    write_solved(root / "pipe", [SOLVED["sequential_baseline"]])
    latin = os.fsencode(root) + b"/caf\xe9"
    os.mkdir(latin)
    write_solved(Path(os.fsdecode(latin)), [SOLVED["residual_add"]])
    (root / "=2+5").mkdir()
    (root / "=2+5" / "03_residual_add.py").write_text(SOLUTION)
    # 9. two files in one process: Keras's automatic names start afresh in each
    (root / "names").mkdir()
    write_solved(root / "names", [SOLVED["sequential_baseline"]])
    (root / "names" / "03_residual_add.py").write_text(WRONG)

    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and not p.is_symlink()}
    reference = _digest(PACKAGE / "course" / "solutions" / "residual_add.py")
    out = root.parent / "report"
    started = time.monotonic()
    code = main(["grade-class", str(root), "--out", str(out), "--timeout", "60",
                 "--jobs", "2"])
    took = time.monotonic() - started
    time.sleep(5)  # the lurker's moment, had it survived
    with (out / "grades.csv").open(newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    return {"root": root, "out": out, "code": code, "rows": rows, "before": before,
            "reference": reference, "took": took}


def test_the_whole_class_is_graded_and_only_each_attacker_is_touched(hostile_class):
    rows = hostile_class["rows"]
    assert hostile_class["code"] == 0
    for student in ("alice", "bob", "zoe"):
        assert rows[student]["residual_add"] == rows[student]["sequential_baseline"] == "passed"
        assert rows[student]["passed"] == "2"
    for student in ("rewriter", "forger", "lurker", "neighbour", "linker"):
        assert rows[student]["residual_add"] == "failed", student  # WRONG, as written


def test_the_reference_and_every_submission_are_unchanged(hostile_class):
    reference = PACKAGE / "course" / "solutions" / "residual_add.py"
    assert _digest(reference) == hostile_class["reference"]
    for path, content in hostile_class["before"].items():
        assert path.read_bytes() == content, path


def test_nothing_the_students_started_is_still_running(hostile_class):
    first = sandbox.learner_user(0).uid  # this grader's range (another grader has another)
    left = [pid for pid, _, uid in sandbox._live_processes() if first <= uid < first + 100]
    assert left == []
    assert "rewritten" not in (hostile_class["out"] / "grades.csv").read_text()


def test_one_clean_up_ends_every_named_learner_and_no_one_else():
    # What a class's final clean-up asks: many learners' processes ended with one look at
    # the process table per round, detached ones included, and only theirs.
    ended, spared = [sandbox.learner_user(slot) for slot in (97, 98)], sandbox.learner_user(99)
    if spared is None:
        pytest.skip("learners' users are not in use here (Python is not readable by all)")
    started = {user.uid: subprocess.Popen(["sleep", "60"], user=user.uid, group=user.gid,
                                          extra_groups=[], start_new_session=True)
               for user in (*ended, spared)}
    try:
        assert sandbox.end_user_processes(*ended, None)
        for user in ended:
            assert started[user.uid].wait(timeout=10) == -9
        assert started[spared.uid].poll() is None
    finally:
        for process in started.values():
            process.kill()
            process.wait()


def test_links_out_of_a_folder_are_neither_followed_nor_leaked(hostile_class):
    rows, out = hostile_class["rows"], hostile_class["out"]
    assert rows["leaker"]["residual_add"] == "not_attempted"
    page = (out / "report.html").read_text()
    assert "TOP-SECRET" not in page
    assert "03_residual_add.py: a link to outside the folder" in page
    assert "peer: a link to outside the folder" in page


def test_bad_input_is_one_students_one_line_error(hostile_class):
    rows, page = hostile_class["rows"], (hostile_class["out"] / "report.html").read_text()
    for student in ("number-source", "null-source", "deep", "digits"):
        assert rows[student]["residual_add"] == "error", student
    assert "cell 1 of the notebook has no text as its source (found int)" in page
    assert "nested too deeply" in page and "cannot be read" in page
    assert rows["pipe"]["residual_add"] == "not_attempted"
    assert rows["pipe"]["sequential_baseline"] == "passed"
    assert "not a regular file" in page
    assert rows["caf\ufffd"]["residual_add"] == "passed"
    assert rows["escaper"]["residual_add"] == rows["surrogate"]["residual_add"] == "error"


def test_the_report_and_csv_are_safe_to_open(hostile_class):
    out = hostile_class["out"]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "\x1b" not in page and "\x0c" not in page and "\x00" not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "lone \ufffd surrogate" in page
    text = (out / "grades.csv").read_text(encoding="utf-8")
    assert "'=2+5," in text and "\n=2+5" not in text
    assert hostile_class["rows"]["'=2+5"]["residual_add"] == "passed"


def test_each_file_starts_with_keras_automatic_names_afresh(hostile_class):
    page = (hostile_class["out"] / "report.html").read_text()
    row = page[page.index("<h3>names</h3>"):].split("</dl>")[0]  # the student's feedback
    # The wrong file's second Dense: 'dense_1' counted afresh ('dense_3' after the first file)
    assert "your layer &#x27;dense_1&#x27; (Dense) has units=32" in row, row


# ---- the grader's own environment ---------------------------------------------------------

def test_a_broken_environment_stops_before_any_student_is_blamed(tmp_path, capsys):
    root = tmp_path / "class"
    (root / "alice").mkdir(parents=True)
    write_solved(root / "alice", [SOLVED["residual_add"]])
    code = main(["grade-class", str(root), "--out", str(tmp_path / "out"),
                 "--memory-limit", "0.05", "--timeout", "60"])
    said = capsys.readouterr().out
    assert code == 3
    assert "the reference solutions do not pass in this grading environment" in said
    assert "not the students" in said and not (tmp_path / "out").exists()


# ---- the platform set-ups -------------------------------------------------------------------

FORGE_GRADESCOPE = textwrap.dedent("""\
    import json, os, signal
    tests = [{"name": n, "score": 1.0, "max_score": 1.0, "status": "passed"} for n in range(9)]
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            words = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")
        except OSError:
            continue
        if b"--output" in words:
            path = words[words.index(b"--output") + 1].decode()
            try:
                json.dump({"score": 9.0, "tests": tests}, open(path, "w"))
            except OSError:
                pass
            try:
                os.write(os.open(f"/proc/{pid}/fd/1", os.O_WRONLY), b"Zm9yZ2Vk\\n")
            except OSError:
                pass
            try:
                os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass
    """) + WRONG


def test_a_submission_cannot_forge_gradescope_results(tmp_path):
    from tests.classroom.test_autograder import BIN, _run_autograder, _unpacked_autograder

    source = _unpacked_autograder(tmp_path, timeout=60)
    layout = tmp_path / "autograder"
    (layout / "submission").mkdir(parents=True)
    write_solved(layout / "submission", [SOLVED["sequential_baseline"]])
    (layout / "submission" / "03_residual_add.py").write_text(FORGE_GRADESCOPE)
    report = _run_autograder(source, layout, BIN / "kfunc-lessons")
    statuses = {t["name"]: t["status"] for t in report["tests"]}
    assert statuses["sequential_baseline"] == "passed"
    assert statuses["residual_add"] == "failed" and report["score"] == 1.0


def test_a_grader_killed_mid_run_leaves_only_the_fallback_result(tmp_path):
    from tests.classroom.test_autograder import _run_autograder, _unpacked_autograder

    source = _unpacked_autograder(tmp_path)
    forged = {"score": 9.0, "tests": [{"name": "x", "score": 9.0, "status": "passed"}]}
    killed = tmp_path / "killed-grader"
    killed.write_text("#!/bin/sh\nfor a; do [ \"$prev\" = --output ] && out=$a; prev=$a; done\n"
                      f"echo '{json.dumps(forged)}' > \"$out\"\nkill -9 $$\n")
    killed.chmod(0o755)
    layout = tmp_path / "autograder"
    (layout / "submission").mkdir(parents=True)
    report = _run_autograder(source, layout, killed)
    [test] = report["tests"]
    assert report["score"] == 0.0 and test["name"] == "grader" and "137" in test["output"]


def test_the_actions_step_reads_only_what_the_grader_wrote(tmp_path):
    import base64

    import yaml

    from kfunc_lessons.classroom.autograder import classroom_workflow
    from tests.classroom.test_autograder import BIN

    workflow = yaml.safe_load(classroom_workflow(timeout=60))
    grading = next(s for s in workflow["jobs"]["autograding"]["steps"] if s.get("id") == "kfunc")
    repository = tmp_path / "student"
    (repository / "exercises").mkdir(parents=True)
    (repository / "exercises" / "03_residual_add.py").write_text(FORGE_GRADESCOPE)
    output = tmp_path / "github-output"
    env = {**os.environ, "GITHUB_OUTPUT": str(output), "RUNNER_TEMP": str(tmp_path),
           "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-e", "-c", grading["run"]], cwd=repository, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    [line] = output.read_text().splitlines()
    results = json.loads(base64.b64decode(line.split("=", 1)[1]))
    assert sum(t["score"] for t in results["tests"]) == 0.0
    assert next(t for t in results["tests"] if t["name"] == "residual_add")["status"] == "fail"


# ---- one verdict everywhere ----------------------------------------------------------------

LAMBDA_MODEL = textwrap.dedent("""\
    import keras
    from keras import layers
    inputs = keras.Input((10,))
    hidden = layers.Dense(64, activation="relu")(inputs)
    merged = layers.Lambda(lambda pair: pair[0] + pair[1])([hidden, layers.Dense(64)(inputs)])
    model = keras.Model(inputs, layers.Dense(10, activation="softmax")(merged))
    """)


def test_a_lambda_model_gets_the_same_verdict_in_the_notebook_and_the_grader(tmp_path):
    import keras

    from kfunc_lessons.classroom.grading import grade_file

    keras.backend.clear_session(free_memory=False)  # names as in a fresh notebook kernel
    namespace: dict = {}
    exec(LAMBDA_MODEL, namespace)
    in_notebook = kl.check("residual_add", namespace["model"])
    (tmp_path / "03_residual_add.py").write_text(LAMBDA_MODEL)
    graded = grade_file("residual_add", tmp_path / "03_residual_add.py", timeout=60)
    assert in_notebook.status == graded.status == "failed"
    assert in_notebook.message == graded.message
    assert "run Python code of your own" in graded.message and "'lambda'" in graded.message


# ---- an unprivileged grader ------------------------------------------------------------------

NOBODY = 65534


def _as_nobody(args: list[str], cwd: Path, pythonpath: str = "") -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3", "HOME": str(cwd),
           "PYTHONPATH": pythonpath}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, user=NOBODY,
                          group=NOBODY, extra_groups=[], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def nobodys_folder():
    folder = Path(tempfile.mkdtemp(prefix="kfunc-test-nobody-"))
    os.chown(folder, NOBODY, NOBODY)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_unprivileged_the_references_are_loaded_before_any_learner_code(nobodys_folder):
    """A teacher's own account: the learner's code can write the package (it runs as the
    teacher), but the references were loaded before it ran, so the rewrite reaches no
    verdict."""
    home = nobodys_folder
    shutil.copytree(PACKAGE, home / "kfunc_lessons",
                    ignore=shutil.ignore_patterns("__pycache__"))
    submission = home / "submission"
    submission.mkdir()
    target = home / "kfunc_lessons" / "course" / "solutions" / "residual_add.py"
    appended = FORGING_REFERENCE
    (submission / "03_residual_add.py").write_text(_attack(f"""\
        with open({str(target)!r}, "a") as f:
            f.write({appended!r})
        """))
    subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", str(home)], check=True)
    done = _as_nobody(["-m", "kfunc_lessons.cli", "grade", str(submission), "--json"], home,
                      pythonpath=str(home))
    verdicts = {r["exercise"]: r["status"] for r in json.loads(done.stdout)["results"]}
    assert verdicts["residual_add"] == "failed", done.stdout + done.stderr
    assert FORGING_REFERENCE in target.read_text()  # the attack itself did happen


def test_unprivileged_every_process_the_code_started_is_ended(nobodys_folder):
    home = nobodys_folder
    (home / "03_residual_add.py").write_text(_attack("""\
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.execvp("sleep", ["sleep", "7777"])
            os._exit(0)
        time.sleep(0.5)
        """))
    done = _as_nobody(["-m", "kfunc_lessons.cli", "check", "residual_add",
                       str(home / "03_residual_add.py")], home)
    assert done.returncode == 1 and "Incorrect" in done.stdout, done.stdout + done.stderr
    left = subprocess.run(["pgrep", "-f", "sleep 7777"], capture_output=True, text=True)
    assert left.stdout == ""


def test_notebooks_read_as_one_line_errors(tmp_path):
    from kfunc_lessons.classroom.learner_files import LearnerFileError, read_chunks

    for name, text in {"a.ipynb": "[" * 100_000, "b.ipynb": "{\"x\": " + "1" * 5000 + "}",
                       "c.ipynb": json.dumps(BAD_NOTEBOOKS["null-source"])}.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(LearnerFileError) as raised:
            read_chunks(tmp_path / name)
        assert len(str(raised.value).splitlines()) == 1, str(raised.value)
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "ok.ipynb")


def test_platform_files_stay_well_formed_whatever_the_student_wrote(tmp_path, capsys):
    import xml.etree.ElementTree as ET

    from kfunc_lessons.classroom.formats import render

    (tmp_path / "03_residual_add.py").write_text(ATTACKS["escaper"])
    code = main(["grade", str(tmp_path), "--timeout", "60"])
    table = capsys.readouterr().out
    assert code == 1 and "\x1b[2J" not in table and "\x1b[31m" not in table
    assert "red" in table and "<b>bold</b>" in table  # the words stay, the escapes go
    from kfunc_lessons.classroom.grading import grade_directory

    results = list(grade_directory(tmp_path, timeout=60))
    for name in ("junit", "gradescope", "classroom", "json"):
        text = render(name, results)
        assert "\x1b" not in text and "\x0c" not in text
    ET.fromstring(render("junit", results).encode())  # well-formed XML 1.0


@pytest.mark.parametrize("result", [
    {"exercise": "residual_add", "status": "failed", "message": "x", "details": [1, {"a": 2}]},
    {"exercise": "residual_add", "status": "failed", "message": "x", "details": "abc"},
    {"exercise": "residual_add", "status": "failed", "message": ["x"]},
    {"exercise": "residual_add", "status": "failed", "message": "x", "tolerance": {"a": "b"}},
    {"exercise": "residual_add", "status": "passed", "message": "I passed"},
    "not even a dict",
])
def test_a_forged_hand_over_is_an_error_never_a_crash(tmp_path, result):
    from kfunc_lessons.classroom.formats import render
    from kfunc_lessons.classroom.isolation import _read_handover

    folder = tmp_path / "0"
    folder.mkdir()
    (folder / "handover.json").write_text(json.dumps({"handover": "verdict",
                                                      "result": result}))
    verdict = _read_handover("residual_add", folder, exitcode=0).result
    assert verdict.status == "error" and not verdict.passed, verdict
    for name in ("junit", "gradescope", "classroom", "json"):
        render(name, [verdict])


def test_a_hand_over_that_is_a_link_is_not_followed(tmp_path):
    from kfunc_lessons.classroom.isolation import _read_handover

    folder = tmp_path / "0"
    folder.mkdir()
    secret = tmp_path / "elsewhere.json"
    secret.write_text(json.dumps({"handover": "error", "message": "TOP-SECRET"}))
    (folder / "handover.json").symlink_to(secret)
    verdict = _read_handover("residual_add", folder, exitcode=0).result
    assert verdict.status == "error" and "TOP-SECRET" not in verdict.message
