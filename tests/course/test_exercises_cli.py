"""Exercise notebooks and the kfunc-lessons command line."""

import json
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient

import kfunc_lessons as kl
from kfunc_lessons.cli import main
from kfunc_lessons.course.exercises import EXERCISES
from scripts.solved_exercises import solved_notebook, write_solved

pytestmark = pytest.mark.notebooks


@pytest.fixture(scope="module")
def solved_dir(root, tmp_path_factory):
    directory = tmp_path_factory.mktemp("solved")
    write_solved(directory)
    return directory


def _run(capsys, *argv):
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_every_untouched_exercise_is_not_attempted(root, capsys):
    code, out = _run(capsys, "grade", str(root / "exercises"), "--json")
    report = json.loads(out)
    assert code == 1 and report["passed"] == 0
    assert [r["status"] for r in report["results"]] == ["not_attempted"] * len(EXERCISES)


def test_every_solved_exercise_passes_through_the_cli(solved_dir, capsys):
    code, out = _run(capsys, "grade", str(solved_dir), "--json")
    report = json.loads(out)
    assert [r["status"] for r in report["results"]] == ["passed"] * len(EXERCISES), out
    assert code == 0


@pytest.fixture(scope="module")
def solved_in_a_kernel(tmp_path_factory):
    """Every solved exercise notebook run to the end in one real kernel, one after another,
    each from an empty namespace and a new Keras session (a kernel each would start
    TensorFlow nine times): each exercise's cells, with their outputs. (That each file runs
    on its own, in a fresh process, is what `grade` above proves.)"""
    combined, cells = nbformat.v4.new_notebook(), {}
    for exercise in EXERCISES:
        cells[exercise.id] = [
            nbformat.v4.new_code_cell('%reset -f\n__import__("keras").backend.clear_session()'),
            *solved_notebook(exercise).cells,
            nbformat.v4.new_code_cell(f"_result = kl.check({exercise.id!r}, model)\n"
                                      "assert _result.passed, str(_result)")]
        for number, cell in enumerate(cells[exercise.id]):
            cell.id = f"{exercise.id}-{number}"  # unique in the one notebook
        combined.cells += cells[exercise.id]
    NotebookClient(combined, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path_factory.mktemp("run"))}}
                   ).execute()
    return cells


@pytest.mark.parametrize("exercise", EXERCISES, ids=[e.id for e in EXERCISES])
def test_every_solved_exercise_passes_in_a_notebook(exercise, solved_in_a_kernel):
    cells = [c for c in solved_in_a_kernel[exercise.id] if c.cell_type == "code"]
    errors = [f"{o.ename}: {o.evalue}" for c in cells for o in c.outputs
              if o.output_type == "error"]
    assert errors == []
    shown = [o for c in cells if "kl.check" in c.source and c.outputs
             for o in c.outputs if o.get("output_type") == "execute_result"]
    assert shown and "Correct" in shown[0]["data"]["text/html"]


def test_grade_table_for_people(solved_dir, capsys):
    code, out = _run(capsys, "grade", str(solved_dir))
    assert code == 0 and "9/9 passed" in out and "residual_add" in out


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("import keras\nmodel = keras.Sequential([\n", "SyntaxError"),
        ("x = 1\n", "never defines a variable named `model`"),
        ("model = 3\n", "`model` is a int, not a Keras model"),
        ("import keras\nlayers = keras.layers\nmodel = layers.add([keras.Input((10,)), "
         "layers.Dense(64)(keras.Input((10,)))])\n", "line 3"),
    ],
    ids=["syntax error", "no model", "wrong kind", "raises"],
)
def test_bad_learner_files_get_clear_messages_and_exit_1(tmp_path, capsys, content, words):
    path = tmp_path / "attempt.py"
    path.write_text(content)
    code, out = _run(capsys, "check", "residual_add", str(path))
    assert code == 1 and words in out, out
    assert "Traceback" not in out and "kfunc_lessons/" not in out


def test_check_json_and_unknown_id(root, capsys):
    path = root / "exercises" / "03_residual_add.py"
    code, out = _run(capsys, "check", "residual_add", str(path), "--json")
    assert code == 1 and json.loads(out)["status"] == "not_attempted"
    code, out = _run(capsys, "check", "nope", str(path))
    assert code == 2 and "Valid ids" in out


def test_list_hint_solution(capsys):
    code, out = _run(capsys, "list")
    assert code == 0 and all(e.id in out for e in EXERCISES)
    code, out = _run(capsys, "hint", "shared_layers", "--level", "2")
    assert code == 0 and out.startswith("Hint 2/")
    code, out = _run(capsys, "solution", "shared_layers")
    assert code == 0 and out == kl.solution("shared_layers")


def test_console_script_is_installed(root):
    done = subprocess.run([sys.executable, "-m", "kfunc_lessons.cli", "list"], cwd=root,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "branch_merge" in done.stdout


def test_notebook_magics_are_skipped_even_when_indented(tmp_path, capsys):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('import sys\nif "google.colab" in sys.modules:\n'
                                  '    %pip install -q kfunc-lessons\n!echo hi'),
        nbformat.v4.new_code_cell("model = ..."),
    ])
    path = tmp_path / "magic.ipynb"
    nbformat.write(notebook, path)
    code, out = _run(capsys, "check", "residual_add", str(path), "--json")
    assert code == 1 and json.loads(out)["status"] == "not_attempted", out
