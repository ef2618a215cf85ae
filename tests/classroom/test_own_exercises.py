"""A teacher's own exercises (the grading guide's worked example, docs/examples/
teacher_exercises.py) graded by every entry point: `check`, `grade` (run by the Gradescope
zip and the Classroom 50 autograder, which carry the module), and `grade-class`; with the
same isolation; and modules that cannot be used refused in one line."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from kfunc_lessons.classroom.autograder import write_classroom50_autograder, write_gradescope_zip
from kfunc_lessons.cli import main
from kfunc_lessons.course.exercises import EXERCISES, active_exercises, use_exercises
from kfunc_lessons.course.own_exercises import ExercisesError, load_exercises, source_digest
from tests.conftest import ROOT

BIN = Path(sys.executable).parent
MODULE = ROOT / "docs" / "examples" / "teacher_exercises.py"
RIGHT = """import keras
from keras import layers

inputs = keras.Input(shape=(8,))
model = keras.Model(inputs, inputs * layers.Dense(8, activation="sigmoid")(inputs))
"""
WRONG = RIGHT.replace("inputs * layers", "inputs + layers")  # adds where it multiplies
NOT_A_MODEL = "model = 42\n"  # cannot travel: its own process checks it, with the module


@pytest.fixture
def course_restored():
    yield
    use_exercises(EXERCISES)


@pytest.fixture
def module(tmp_path) -> Path:
    """The example, where the grader keeps it: readable by the teacher alone (as root, the
    grader refuses a module the students' users could read)."""
    copy = tmp_path / "teacher" / MODULE.name
    copy.parent.mkdir()
    shutil.copy(MODULE, copy)
    copy.chmod(0o600)
    return copy


def _kfunc(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "kfunc-lessons"), *args], capture_output=True, text=True,
                          timeout=600, cwd=cwd)


def _folder(path: Path, code: str, name: str = "10_gated_skip.py") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / name).write_text(code)
    return path


def test_the_module_puts_its_exercises_in_use_without_importing_keras(module):
    code = (f"from kfunc_lessons.course.own_exercises import load_exercises\n"
            f"load_exercises({str(module)!r})\n"
            "import sys\n"
            "from kfunc_lessons.course.exercises import active_exercises\n"
            "print([e.id for e in active_exercises()], 'keras' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "['sequential_baseline', 'gated_skip'] False"


def test_check_grades_a_file(tmp_path, module):
    right = _folder(tmp_path / "right", RIGHT) / "10_gated_skip.py"
    passed = _kfunc("check", "gated_skip", str(right), "--json", "--exercises", str(module))
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert json.loads(passed.stdout)["status"] == "passed"


STEAL = """import sys
from kfunc_lessons.course import exercises

assert not [name for name in sys.modules if "teacher" in name]
model = exercises.get_exercise("gated_skip").build_reference()
"""


def test_grade_class_grades_a_class_self_checks_the_solution_and_regrades(tmp_path, module):
    root = tmp_path / "class"
    _folder(root / "alice", RIGHT)
    _folder(root / "bob", WRONG)
    _folder(root / "carol", NOT_A_MODEL)
    (root / "dan").mkdir()
    _folder(root / "mallory", STEAL)  # reaches for the teacher's reference in its process
    out = tmp_path / "report"
    done = _kfunc("grade-class", str(root), "--out", str(out), "--exercises", str(module))
    assert done.returncode == 0, done.stdout + done.stderr
    rows = (out / "grades.csv").read_text().splitlines()
    assert rows[0].startswith("student,sequential_baseline,gated_skip,")
    status = {row.split(",")[0]: row.split(",")[2] for row in rows[1:]}
    assert status == {"alice": "passed", "bob": "failed", "carol": "failed",
                      "dan": "not_attempted", "mallory": "error"}
    bob = (out / "feedback" / "bob.md").read_text()
    assert "adds its inputs" in bob and "multiplies" in bob
    mallory = (out / "feedback" / "mallory.md").read_text()
    assert "No exercise 'gated_skip'" in mallory  # the assert before it held
    carol = (out / "feedback" / "carol.md").read_text()
    assert "`model` is a int, not a Keras model" in carol
    again = _kfunc("grade-class", str(root), "--out", str(out), "--exercises", str(module))
    assert "reused 3 verdicts" in again.stdout


def test_a_changed_module_is_a_different_grader(tmp_path):
    copy = tmp_path / "teacher_exercises.py"
    shutil.copy(MODULE, copy)
    before = source_digest(copy)
    copy.write_text(copy.read_text().replace("Dense(8, activation", "Dense(8,  activation"))
    assert source_digest(copy) != before != source_digest(None)


def _unpacked(tmp_path: Path, root: Path, **options) -> Path:
    archive = write_gradescope_zip(tmp_path / "autograder.zip", exercises=MODULE, **options)
    with zipfile.ZipFile(archive) as zipped:
        assert "teacher/teacher_exercises.py" in zipped.namelist()
        zipped.extractall(root / "source")
    return root / "source"


def test_the_gradescope_zip_carries_the_module_and_grades_with_it(tmp_path):
    root = tmp_path / "autograder"
    source = _unpacked(tmp_path, root, points="gated_skip=4", timeout=20)
    _folder(root / "submission" / "repo", RIGHT)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "KFUNC_LESSONS": str(BIN / "kfunc-lessons")}
    done = subprocess.run(["bash", str(source / "run_autograder")], env=env, timeout=600,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    report = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(report, json.loads(
        (ROOT / "tests" / "schemas" / "gradescope.schema.json").read_text()))
    assert {t["name"]: t["status"] for t in report["tests"]} == {
        "sequential_baseline": "failed", "gated_skip": "passed"}
    assert report["score"] == 4.0


@pytest.mark.skipif(os.geteuid() != 0, reason="learners run as users of their own only as root")
def test_a_learner_cannot_read_the_teachers_solution_on_gradescope(tmp_path):
    import tempfile

    # As /autograder: every user may pass through (pytest's own folder is root's alone).
    root = Path(tempfile.mkdtemp(dir="/tmp")) / "autograder"
    try:
        os.chmod(root.parent, 0o755)
        source = _unpacked(tmp_path, root, timeout=20)
        # The set-up script beside it can be read; the teacher's module cannot.
        readable, stolen = source / "setup.sh", source / "teacher" / "teacher_exercises.py"
        _folder(root / "submission", f"open({str(readable)!r}).read()\n"
                f"open({str(stolen)!r}).read()\n" + RIGHT)
        env = {**os.environ, "AUTOGRADER_ROOT": str(root),
               "KFUNC_LESSONS": str(BIN / "kfunc-lessons")}
        subprocess.run(["bash", str(source / "run_autograder")], env=env, timeout=600,
                       check=True)
        report = json.loads((root / "results" / "results.json").read_text())
    finally:
        shutil.rmtree(root.parent)
    gated = next(t for t in report["tests"] if t["name"] == "gated_skip")
    assert gated["status"] == "failed", gated
    assert "PermissionError" in gated["output"] and "teacher_exercises.py" in gated["output"]


def test_the_classroom50_autograder_carries_the_module(tmp_path):
    from tests.classroom.test_classroom50 import _runner_accepts, _runner_env

    script = write_classroom50_autograder(tmp_path / "classroom", points="3", timeout=20,
                                          exercises=MODULE)
    assert "teacher_exercises.py" in script.read_text()
    checkout = _folder(tmp_path / "lab1-keras-alice", WRONG)
    done = subprocess.run([sys.executable, str(script)], cwd=checkout,
                          env=_runner_env(tmp_path), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((checkout / "result.json").read_text())
    jsonschema.validate(result, json.loads(
        (ROOT / "tests" / "schemas" / "classroom50-result.schema.json").read_text()))
    _runner_accepts(result)
    assert [(t["test-name"], t["passed"]) for t in result["tests"]] == [
        ("sequential_baseline", False), ("gated_skip", False)]
    assert "multiplies" in result["tests"][1]["message"]


def test_the_workflow_set_up_refuses_a_teachers_exercises(tmp_path, module, capsys):
    # It lives in the students' repositories: they could read the reference there.
    out = tmp_path / "classroom.yml"
    assert main(["autograder", "classroom", str(out), "--exercises", str(module)]) == 2
    assert "students' own repositories" in capsys.readouterr().out
    assert not out.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="only as root do students run as other users")
def test_as_root_a_module_other_users_can_read_is_refused(tmp_path, course_restored):
    import tempfile

    folder = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        folder.chmod(0o755)
        shutil.copy(MODULE, folder / "mine.py")
        (folder / "mine.py").chmod(0o644)
        with pytest.raises(ExercisesError, match=r"can be read by other users.*chmod -R go-rwx"):
            load_exercises(folder / "mine.py")
        (folder / "mine.py").chmod(0o600)
        assert [e.id for e in load_exercises(folder / "mine.py")][-1] == "gated_skip"
        assert not (folder / "__pycache__").exists()  # no readable bytecode left beside it
    finally:
        shutil.rmtree(folder)


def test_the_set_ups_carry_any_file_of_a_package_byte_for_byte(tmp_path):
    package = tmp_path / "my_course"
    package.mkdir()
    shutil.copy(MODULE, package / "__init__.py")
    (package / "weights.bin").write_bytes(bytes(range(256)))  # not UTF-8
    archive = write_gradescope_zip(tmp_path / "a.zip", exercises=package)
    with zipfile.ZipFile(archive) as zipped:
        assert zipped.read("teacher/my_course/weights.bin") == bytes(range(256))
    script = write_classroom50_autograder(tmp_path / "c50", exercises=str(package))
    embedded = {}
    exec(script.read_text().split("\ndef grader", 1)[0].split("from pathlib import Path", 1)[1],
         embedded)
    import base64

    assert base64.b64decode(embedded["EXERCISES"]["my_course/weights.bin"]) == bytes(range(256))


BROKEN = {
    "no EXERCISES": ("X = 1\n", "defines no EXERCISES"),
    "not an Exercise": ("EXERCISES = ['gated_skip']\n", "holds str, not an Exercise"),
    "a course id": ("from kfunc_lessons.course.exercises import Exercise\n"
                    "EXERCISES = [Exercise('residual_add', 3, 'Mine', ('h',), "
                    "build_reference=lambda: None)]\n", "is the course's id"),
    "no reference": ("from kfunc_lessons.course.exercises import Exercise\n"
                     "EXERCISES = [Exercise('mine', 10, 'Mine', ('h',))]\n",
                     "has no build_reference"),
    "a bad id": ("from kfunc_lessons.course.exercises import Exercise\n"
                 "EXERCISES = [Exercise('my model', 10, 'Mine', ('h',), "
                 "build_reference=lambda: None)]\n", "an id is a Python identifier"),
    "an import error": ("import no_such_module\n", "ModuleNotFoundError"),
    "a course id with a reference": (
        "import dataclasses\nfrom kfunc_lessons.course.exercises import EXERCISES as C\n"
        "EXERCISES = [dataclasses.replace(C[2], build_reference=lambda: None)]\n",
        "is the course's id"),
    "ids told apart by case": (
        "from kfunc_lessons.course.exercises import Exercise\n"
        "EXERCISES = [Exercise(i, 10, 'M', ('h',), build_reference=int) for i in "
        "('mine', 'Mine')]\n", "is listed twice"),
    "a number that is not one": ("from kfunc_lessons.course.exercises import Exercise\n"
                                 "EXERCISES = [Exercise('mine', 'ten', 'Mine', ('h',), "
                                 "build_reference=int)]\n", "needs a whole number"),
    "hints as one string": ("from kfunc_lessons.course.exercises import Exercise\n"
                            "EXERCISES = [Exercise('mine', 10, 'Mine', 'h', "
                            "build_reference=int)]\n", "needs hints"),
    "hints as a number": ("from kfunc_lessons.course.exercises import Exercise\n"
                          "EXERCISES = [Exercise('mine', 10, 'Mine', 5, "
                          "build_reference=int)]\n", "needs hints"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_module_that_cannot_be_used_is_refused_in_one_line(tmp_path, case, course_restored,
                                                            capsys):
    code, words = BROKEN[case]
    (tmp_path / "mine.py").write_text(code)
    with pytest.raises(ExercisesError, match=words):
        load_exercises(tmp_path / "mine.py")
    assert active_exercises() == EXERCISES  # nothing changed
    assert main(["list", "--exercises", str(tmp_path / "mine.py")]) == 2
    message = capsys.readouterr().out.strip()
    assert message.startswith("--exercises: ") and words in message and "\n" not in message


@pytest.mark.parametrize("spec, words", [
    ("sys", "no module of Python source by that name"),
    ("json.decoder", "a top-level module's name"),
    ("no_such_module_here", "no module of Python source"),
    ("missing.py", "no such file"),
])
def test_a_name_that_is_no_teachers_module_is_refused_in_one_line(spec, words, course_restored):
    with pytest.raises(ExercisesError, match=words):
        load_exercises(spec)


def test_a_module_named_like_a_library_replaces_nothing(tmp_path, course_restored):
    import keras

    shutil.copy(MODULE, tmp_path / "keras.py")
    load_exercises(tmp_path / "keras.py")
    assert sys.modules["keras"] is keras
    (tmp_path / "json.py").write_text("raise RuntimeError('broken')\n")
    with pytest.raises(ExercisesError, match="RuntimeError: broken"):
        load_exercises(tmp_path / "json.py")
    assert sys.modules["json"] is json


def test_a_reference_that_cannot_be_built_stops_before_any_grading(tmp_path):
    (tmp_path / "mine.py").write_text(
        "from kfunc_lessons.course.exercises import Exercise\n"
        "def broken():\n    raise RuntimeError('no weights file')\n"
        "EXERCISES = [Exercise('mine', 10, 'Mine', ('h',), build_reference=broken)]\n")
    _folder(tmp_path / "alice", RIGHT, "10_mine.py")
    why = "exercise 'mine': build_reference() failed: RuntimeError: no weights file"
    done = _kfunc("grade", str(tmp_path / "alice"), "--exercises", str(tmp_path / "mine.py"))
    assert done.returncode == 2 and why in done.stdout
    # nor is a set-up written that would fail for every student
    done = _kfunc("autograder", "gradescope", str(tmp_path / "a.zip"), "--exercises",
                  str(tmp_path / "mine.py"))
    assert done.returncode == 2 and why in done.stdout and not (tmp_path / "a.zip").exists()


def test_a_package_folder_is_a_module_too(tmp_path, course_restored):
    package = tmp_path / "my_course"
    package.mkdir()
    shutil.copy(MODULE, package / "gated.py")
    (package / "__init__.py").write_text("from .gated import EXERCISES\n")
    exercises = load_exercises(package)
    assert [e.id for e in exercises] == ["sequential_baseline", "gated_skip"]
    import kfunc_lessons as kl

    learner = {}
    exec(RIGHT, learner)
    assert kl.check("gated_skip", learner["model"]).passed
    assert "gate is Dense(8" in kl.hint("gated_skip", level=2)


def test_a_model_that_cannot_travel_is_judged_without_the_reference():
    import keras

    from kfunc_lessons.course.portable import untravelled

    inputs = keras.Input((8,))
    holding_code = keras.Model(inputs, keras.layers.Lambda(lambda t: t * 2, name="double")(inputs))
    result = untravelled("gated_skip", holding_code)
    assert result.status == "failed" and result.step == "portable"
    assert "'double'" in result.message and "run Python code of your own" in result.message
    assert untravelled("gated_skip", ...).status == "not_attempted"
    assert "is a str, not a Keras model" in untravelled("gated_skip", "model").message
