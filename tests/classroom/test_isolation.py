"""A learner's code can never silence, crash or fake the grader's answer.

Each hostile file runs through the same runner the command line uses; the verdict comes from
the grading process, and the exit status from the verdicts.
"""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

import kfunc_lessons as kl
from kfunc_lessons.classroom.grading import grade_file
from kfunc_lessons.classroom.isolation import _hand_over, _read_handover
from kfunc_lessons.classroom.learner_files import Chunk, LearnerFileError, run_chunks
from kfunc_lessons.cli import main
from kfunc_lessons.core.result import CheckResult
from kfunc_lessons.course.exercises import EXERCISES
from scripts.solved_exercises import solved_notebook
from support.suites import EQUIVALENTS, mutants

SOLUTION = kl.solution("residual_add")
WRONG = "import keras\nmodel = keras.Sequential([keras.Input((10,)), keras.layers.Dense(10)])\n"

# name -> (file name, content (str or bytes; None: make a directory), status, words, timeout)
HOSTILE = {
    "sys.exit(0) after model": ("a.py", SOLUTION + "import sys\nsys.exit(0)\n", "error",
                                "called sys.exit(0) after defining `model`"),
    "sys.exit(3) before model": ("a.py", "import sys\nsys.exit(3)\n" + SOLUTION, "error",
                                 "called sys.exit(3) before defining `model`"),
    "raise SystemExit": ("a.py", "raise SystemExit\n", "error", "sys.exit(None)"),
    "os._exit(0)": ("a.py", SOLUTION + "import os\nos._exit(0)\n", "error",
                    "ended by itself (os._exit(0)"),
    "os._exit(7)": ("a.py", "import os\nos._exit(7)\n", "error", "status 7"),
    "KeyboardInterrupt": ("a.py", "raise KeyboardInterrupt\n", "error", "KeyboardInterrupt"),
    "segfault": ("a.py", "import ctypes\nctypes.string_at(0)\n", "error",
                 "crashed (signal 11, SIGSEGV)"),
    "SIGKILL to itself": ("a.py", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n",
                          "error", "signal 9"),
    "endless loop": ("a.py", "while True:\n    pass\n", "error", "ran longer than 3 s"),
    "endless print flood": ("a.py", "while True:\n    print('x' * 10000)\n", "error",
                            "ran longer than 3 s"),
    "a child process left running": (
        "a.py", "import subprocess\nsubprocess.Popen(['sleep', '987'])\nwhile True:\n  pass\n",
        "error", "ran longer than 3 s"),
    "input()": ("a.py", "name = input('your name? ')\n" + SOLUTION, "error",
                "raised EOFError"),
    "patches kfunc_lessons to pass": ("a.py", textwrap.dedent("""\
        import kfunc_lessons as kl
        import kfunc_lessons.api, kfunc_lessons.core.engine
        from kfunc_lessons.core.result import CheckResult
        fake = lambda *a, **k: CheckResult("residual_add", "passed", "faked")
        kl.check = kfunc_lessons.api.check = fake
        kfunc_lessons.core.engine.run_check = fake
        kfunc_lessons.core.engine.ATOL = 1e9
        """) + WRONG, "failed", "about the Functional API"),
    "ValueError": ("a.py", "raise ValueError('nope')\n", "error", "raised ValueError: nope"),
    "not UTF-8": ("a.py", "x = 'caf\u00e9'\n".encode("latin-1"), "error", "not UTF-8 text"),
    "binary": ("a.py", b"\x7fELF\x00\x01\x02", "error", "binary file"),
    "empty": ("a.py", "  \n", "error", "is empty"),
    "a directory": ("a.py", None, "error", "is a directory"),
    "no code cells": ("a.ipynb", nbformat.writes(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# only words")])), "error", "no code cells"),
    "notebook that is not JSON": ("a.ipynb", "{ not json", "error", "is not a notebook"),
    "a .txt file": ("a.txt", SOLUTION, "error", "expected an exercise .py or .ipynb"),
}
TIMEOUT = 3


def _write(directory: Path, name: str, content) -> Path:
    path = directory / name
    if content is None:
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_hostile_file_gets_its_own_verdict_and_message(case, tmp_path):
    name, content, status, words = HOSTILE[case]
    result = grade_file("residual_add", _write(tmp_path, name, content), timeout=TIMEOUT)
    assert result.status == status, str(result)
    assert words in result.message, str(result)
    assert "Traceback" not in str(result) and "kfunc_lessons/" not in str(result)


def test_a_timed_out_file_leaves_no_process_behind(tmp_path):
    name, content, *_ = HOSTILE["a child process left running"]
    grade_file("residual_add", _write(tmp_path, name, content), timeout=TIMEOUT)
    left = subprocess.run(["pgrep", "-f", "sleep 987"], capture_output=True, text=True)
    assert left.stdout == ""


def test_a_missing_file_says_so(tmp_path):
    result = grade_file("residual_add", tmp_path / "nowhere.py")
    assert result.status == "error" and "does not exist" in result.message


def test_memory_limit_turns_a_memory_hog_into_an_error(tmp_path):
    path = _write(tmp_path, "a.py", "hog = bytearray(8 * 2**30)\n" + SOLUTION)
    result = grade_file("residual_add", path, timeout=60, memory_limit=6 * 2**30)
    assert result.status == "error" and "MemoryError" in result.message, str(result)


def test_a_print_flood_that_ends_is_graded_normally(tmp_path, capfd):
    path = _write(tmp_path, "a.py", "for _ in range(2000):\n    print('x' * 10000)\n" + SOLUTION)
    result = grade_file("residual_add", path, timeout=60)
    assert result.passed, str(result)
    assert "xxxx" not in capfd.readouterr().out


def test_closing_every_file_descriptor_cannot_fake_or_block_the_verdict(tmp_path):
    path = _write(tmp_path, "a.py", "import os\nos.closerange(0, 4096)\n" + SOLUTION)
    assert grade_file("residual_add", path, timeout=60).passed


def test_code_runs_in_its_own_directory(tmp_path):
    (tmp_path / "helper.py").write_text("UNITS = 64\n")
    (tmp_path / "data.txt").write_text("64")
    source = SOLUTION.replace("64", "int(open('data.txt').read())", 1)
    path = _write(tmp_path, "a.py", "import helper\nassert helper.UNITS == 64\n" + source)
    assert grade_file("residual_add", path, timeout=60).passed


def test_a_custom_layer_cannot_pass_without_being_rebuilt_by_the_grader(tmp_path):
    path = _write(tmp_path, "a.py", textwrap.dedent("""\
        import keras
        from keras import layers

        class Double(layers.Layer):
            def call(self, x):
                return x

        inputs = keras.Input((10,))
        hidden = Double()(layers.Dense(64, activation="relu")(inputs))
        merged = layers.add([hidden, layers.Dense(64)(inputs)])
        model = keras.Model(inputs, layers.Dense(10, activation="softmax")(merged))
        """))
    result = grade_file("residual_add", path, timeout=60)
    assert result.status in ("failed", "error") and not result.passed
    assert "Double" in result.message or "custom" in result.message, str(result)


# ---- the handover loses nothing -------------------------------------------------------------

def _through_handover(exercise_id, model, tmp_path):
    outdir = tmp_path / "handover"
    outdir.mkdir()
    _hand_over(exercise_id, model, outdir)
    handover = _read_handover(exercise_id, outdir, exitcode=0)
    return handover.result or kl.check(exercise_id, handover.model)


@pytest.mark.parametrize("exercise_id", kl.list_exercises())
def test_every_equivalent_passes_after_the_handover(exercise_id, tmp_path_factory):
    rejected = {name: str(result) for name, build in EQUIVALENTS[exercise_id].items()
                if not (result := _through_handover(exercise_id, build(),
                                                    tmp_path_factory.mktemp("h"))).passed}
    assert rejected == {}


@pytest.mark.parametrize("exercise_id", ["residual_add", "shared_layers", "sequential_blocks"])
def test_mutants_get_the_same_verdict_after_the_handover(exercise_id, tmp_path_factory):
    for mutant in mutants(exercise_id):
        try:
            model = mutant.build()
        except ValueError:
            continue
        direct = kl.check(exercise_id, model).to_dict()
        moved = _through_handover(exercise_id, model, tmp_path_factory.mktemp("h")).to_dict()
        assert moved == direct, mutant.description


# ---- one bad file never touches the other verdicts ------------------------------------------

def test_hostile_files_do_not_affect_the_other_exercises(root, tmp_path, capsys):
    hostile = {"residual_add": HOSTILE["os._exit(0)"][1],
               "shared_layers": HOSTILE["segfault"][1],
               "branch_merge": HOSTILE["patches kfunc_lessons to pass"][1]}
    for exercise in EXERCISES:
        if exercise.id in hostile:
            _write(tmp_path, f"{exercise.slug}.py", hostile[exercise.id])
        else:
            nbformat.write(solved_notebook(exercise), tmp_path / f"{exercise.slug}.ipynb")
    code = main(["grade", str(tmp_path), "--json", "--timeout", "60"])
    report = json.loads(capsys.readouterr().out)
    statuses = {r["exercise"]: r["status"] for r in report["results"]}
    assert statuses == {e.id: {"residual_add": "error", "shared_layers": "error",
                               "branch_merge": "failed"}.get(e.id, "passed") for e in EXERCISES}
    assert code == 1 and report["passed"] == len(EXERCISES) - 3
    assert report["total"] == len(EXERCISES)


def test_the_real_command_exits_from_the_verdict(tmp_path):
    """A separate process, as CI systems run it: the exit status is the grader's."""
    path = _write(tmp_path, "a.py", SOLUTION + "import sys\nsys.exit(0)\n")
    done = subprocess.run([sys.executable, "-m", "kfunc_lessons.cli", "check", "residual_add",
                           str(path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "called sys.exit(0)" in done.stdout and "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize("argv, exit_code", [
    (["check", "residual_add", "{dir}/missing.py"], 1),  # the exercise's verdict: an error
    (["check", "residual_add", "{dir}"], 1),
    (["grade", "{dir}/missing"], 2),  # a wrong command line, as in grade-class
])
def test_missing_paths_and_directories_get_one_line(argv, exit_code, tmp_path, capsys):
    code = main([a.format(dir=tmp_path) for a in argv])
    out = capsys.readouterr().out.strip()
    assert code == exit_code and len(out.splitlines()) == 1 and "Traceback" not in out, out


def test_only_models_of_keras_own_objects_skip_the_trial_reload():
    """The learner's process reloads its saved model once only when the config names
    something the grader's safe reload may refuse; built-in models skip that cost."""
    import keras
    from keras import layers

    from kfunc_lessons.course.portable import only_builtin_objects as _only_builtin_objects
    from kfunc_lessons.course.references import build_solution

    assert all(_only_builtin_objects(build_solution(e)) for e in kl.list_exercises())

    def doubled(x):
        return x * 2

    class Scaled(layers.Dense):
        pass

    class Double(layers.Layer):
        def call(self, x):
            return x * 2

    inputs = keras.Input(shape=(4,))
    for head in (layers.Lambda(lambda t: t * 2), layers.Dense(3, activation=doubled),
                 Scaled(3), Double()):
        assert not _only_builtin_objects(keras.Model(inputs, head(inputs))), head


# ---- the learner's own check() calls -------------------------------------------------------

IMPORTS = ("import keras\nimport kfunc_lessons as kl\nfrom kfunc_lessons import check\n"
           "model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(10)])\n")


def _run_cells(*cells: str) -> object:
    return run_chunks([Chunk(cell, f"a.ipynb, cell {n}") for n, cell in enumerate(cells, 1)],
                      "a.ipynb")


@pytest.fixture
def restored():
    """Cells below replace the package's own names, in this process: put every one back."""
    import kfunc_lessons.api

    saved = [(module, dict(vars(module))) for module in (kl, kfunc_lessons.api)]
    yield
    for module, names in saved:
        for added in set(vars(module)) - set(names):
            delattr(module, added)
        for name, value in names.items():
            setattr(module, name, value)


@pytest.fixture
def checks_seen(monkeypatch, restored) -> list[str]:
    seen: list[str] = []

    def spy(exercise_id, model):
        seen.append(exercise_id)
        return CheckResult(exercise_id, "failed", "seen")

    monkeypatch.setattr("kfunc_lessons.api.check_exercise", spy)
    return seen


@pytest.mark.parametrize("cell", ['kl.check("residual_add", model)',
                                  '# check it\ncheck("residual_add", model)  # here',
                                  'model = ...\n'])
def test_a_cell_that_only_checks_a_keras_model_is_not_run(cell, checks_seen):
    model = _run_cells(IMPORTS, cell, 'kl.check("residual_add", model)')
    assert model is Ellipsis or type(model).__name__ == "Sequential"
    assert checks_seen == []


@pytest.mark.parametrize("cell", [
    'result = kl.check("residual_add", model)',
    'kl.check("residual_add", model).passed',
    'kl.check("residual_add", model); x = 1',
    'kl.check("residual_add", model or 2)',
    # a model that holds the learner's code: checking it runs that code
    'model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(10, activation=abs)])\n'
    'kl.check("residual_add", model)',
    'model = "not a model"\nkl.check("residual_add", model)',
])
def test_a_check_whose_result_neighbours_or_model_count_runs(cell, checks_seen):
    _run_cells(IMPORTS, *cell.split("\n", 1))
    assert checks_seen == ["residual_add"]


@pytest.mark.parametrize("cells, words", [
    (['kl.check("no_such_exercise", model)'], "No exercise 'no_such_exercise'"),
    (['kl.check("residual_add", undefined)'], "raised NameError"),
    (['kl.check = lambda *args: 1 / 0', 'kl.check("residual_add", model)'],
     "raised ZeroDivisionError"),
    (['check = lambda *args: int("mine")', 'check("residual_add", model)'],
     "invalid literal for int"),
    (['notes = []', 'notes.append("residual_add", model)'], "raised TypeError"),
    # the check's own parts replaced, or the package's lazy loader: run, and raise as in Jupyter
    (['import kfunc_lessons.api as api\napi.check_exercise = lambda *a: 1 / 0',
      'kl.check("residual_add", model)'], "raised ZeroDivisionError"),
    (['del kl.check\nkl.__getattr__ = lambda name: 1 / 0', 'kl.check("residual_add", model)'],
     "raised ZeroDivisionError"),
])
def test_a_call_that_would_raise_or_is_not_the_packages_runs_as_a_kernel_would(
        cells, words, restored):
    with pytest.raises(LearnerFileError, match=words):
        _run_cells(IMPORTS, *cells)


def test_a_namespace_that_raises_when_looked_at_gets_the_kernels_error(restored):
    # a key that collides with "model" and raises on comparison: only the learner's own
    # code may meet it, and the error is theirs
    collider = ("class Collider:\n    __hash__ = lambda self: hash('model')\n"
                "    __eq__ = lambda self, other: 1 / 0\nglobals()[Collider()] = 1\n")
    with pytest.raises(LearnerFileError, match="ZeroDivisionError"):
        _run_cells(collider, IMPORTS, 'kl.check("residual_add", model)')
