"""Submissions as students really hand them in: `exercises/` one folder down, Colab's
"Copy of" names, a renamed notebook, a notebook from another course, an editor's checkpoint.
Each exercise file is found by what it is, and every other notebook is named as ignored,
with the reason."""

import json

import nbformat

from kfunc_lessons.classroom.discovery import exercise_id_in, find_exercise_files
from kfunc_lessons.cli import main
from kfunc_lessons.course.exercises import EXERCISES, get_exercise
from scripts.solved_exercises import solved_notebook, write_solved
from tests.conftest import ROOT


def _notebook(path, exercise_id=None):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("model = None")])
    if exercise_id is not None:
        notebook.metadata["kfunc_lessons"] = {"exercise": exercise_id}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)


def test_every_exercise_notebook_of_the_course_carries_its_id():
    for exercise in EXERCISES:
        assert exercise_id_in(ROOT / "exercises" / f"{exercise.slug}.ipynb") == exercise.id


def test_files_are_found_by_their_id_or_name_wherever_they_sit(tmp_path):
    _notebook(tmp_path / "kfunc-lessons-main" / "exercises" / "03_residual_add.ipynb")
    (tmp_path / "kfunc-lessons-main" / "exercises" / "03_residual_add.py").write_text("x")
    _notebook(tmp_path / "Copy of 01_sequential_baseline.ipynb", "sequential_baseline")
    _notebook(tmp_path / "01_sequential_baseline (1).ipynb", "sequential_baseline")
    _notebook(tmp_path / "my homework.ipynb", "shared_layers")
    _notebook(tmp_path / "week 3" / "gan.ipynb", "gan_intro")  # another course's exercise
    _notebook(tmp_path / "scratch.ipynb")
    _notebook(tmp_path / ".ipynb_checkpoints" / "08_branch_merge-checkpoint.ipynb")
    (tmp_path / "05_replace_intermediate.ipynb").write_text("{broken")  # graded: its error
    (tmp_path / "notes.txt").write_text("not code")  # neither graded nor listed

    found = find_exercise_files(tmp_path, EXERCISES)

    assert {k: v.as_posix() for k, v in found.files.items()} == {
        "sequential_baseline": "01_sequential_baseline (1).ipynb",  # two copies: by name
        "residual_add": "kfunc-lessons-main/exercises/03_residual_add.ipynb",
        "replace_intermediate": "05_replace_intermediate.ipynb",
        "shared_layers": "my homework.ipynb",
    }
    assert dict(found.ignored) == {
        ".ipynb_checkpoints/08_branch_merge-checkpoint.ipynb":
            "in a hidden folder (an editor's or Git's own copy)",
        "Copy of 01_sequential_baseline.ipynb":
            "another file for sequential_baseline was graded: "
            "01_sequential_baseline (1).ipynb",
        "kfunc-lessons-main/exercises/03_residual_add.py":
            "another file for residual_add was graded: "
            "kfunc-lessons-main/exercises/03_residual_add.ipynb",
        "scratch.ipynb": "not one of this course's exercises (no exercise id in it, and its "
                         "name matches no exercise)",
        "week 3/gan.ipynb": "a notebook for exercise 'gan_intro', which this course does not "
                            "have",
    }


def test_a_shallower_file_wins_and_an_exact_name_beats_a_copy(tmp_path):
    _notebook(tmp_path / "Copy of 03_residual_add.ipynb", "residual_add")
    _notebook(tmp_path / "03_residual_add.ipynb", "residual_add")
    _notebook(tmp_path / "deeper" / "03_residual_add.ipynb", "residual_add")
    found = find_exercise_files(tmp_path, EXERCISES)
    assert found.files["residual_add"].as_posix() == "03_residual_add.ipynb"
    assert len(found.ignored) == 2


def test_a_repository_upload_is_graded_and_the_report_says_what_was_ignored(tmp_path, capsys):
    # A Gradescope upload of a GitHub repository: the exercises sit two folders down, one
    # saved from Colab under its copy's name; a notebook of another course sits beside them.
    folder = tmp_path / "submission" / "my-repo" / "exercises"
    folder.mkdir(parents=True)
    write_solved(folder, [get_exercise("residual_add")])
    nbformat.write(solved_notebook(get_exercise("sequential_baseline")),
                   folder / "Copy of 01_sequential_baseline.ipynb")
    _notebook(folder / "lab.ipynb", "gan_intro")
    out = tmp_path / "results.json"
    code = main(["grade", str(tmp_path / "submission"), "--format", "json", "--output",
                 str(out), "--timeout", "120"])
    results = {r["exercise"]: r for r in json.loads(out.read_text())["results"]}
    assert code == 1  # seven exercises are missing
    assert results["residual_add"]["status"] == results["sequential_baseline"]["status"] \
        == "passed"
    missing = results["branch_merge"]
    assert missing["status"] == "not_attempted"
    assert missing["message"] == (
        "no file for this exercise in submission: no notebook carries its id and none is "
        "named 08_branch_merge.ipynb or .py; 1 other file ignored (my-repo/exercises/"
        "lab.ipynb: a notebook for exercise 'gan_intro', which this course does not have)")
