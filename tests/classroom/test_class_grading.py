"""`kfunc-lessons grade-class`: a class with a hanging, a crashing, a file-deleting and a
memory-hogging student finishes, reports exactly those as errors, and grades everyone else
right, leaving every submission as it was; the teacher gets a report to hand back: feedback
per student, grades with points, gradebook imports and statistics by cause."""

import csv
import json

import nbformat
import pytest

import kfunc_lessons as kl
from kfunc_lessons.cli import main
from kfunc_lessons.course.exercises import EXERCISES
from scripts.solved_exercises import solved_notebook, write_solved
from tests.conftest import ROOT

SOLVED = {e.id: e for e in EXERCISES}
WRONG = kl.solution("residual_add").replace("64", "32")
HOSTILE = {
    "carol": "while True:\n    pass\n",
    "dave": "import ctypes\nctypes.string_at(0)\n",
    "erin": ("import os, shutil\nfor name in os.listdir('.'):\n    os.remove(name)\n"
             "shutil.rmtree('..', ignore_errors=True)\nraise RuntimeError('deleted it all')\n"),
    "frank": "hog = bytearray(8 * 2**30)\n",
}
# The same known mistake, in two students' own words (and layer names).
NONLINEAR = {
    "ken": kl.solution("residual_add").replace("layers.Dense(64)(inputs)",
                                              "layers.Dense(64, activation='relu')(inputs)"),
    "leo": kl.solution("residual_add").replace(
        "layers.Dense(64)(inputs)", "layers.Dense(64, activation='relu', name='skip')(inputs)"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    for student in ("alice", "bob", *HOSTILE, "<i>grace"):
        (root / student).mkdir()
    write_solved(root / "alice", [SOLVED["sequential_baseline"], SOLVED["residual_add"]])
    (root / "bob" / "03_residual_add.py").write_text(WRONG)
    for student, code in HOSTILE.items():
        (root / student / "03_residual_add.py").write_text(code)
    write_solved(root / "erin", [SOLVED["sequential_baseline"]])  # survives erin's deletion
    # A student's files share one process; one that ends it or hangs must not cost the next.
    for student, first in (("henry", "import os\nos._exit(0)\n"),
                           ("ivan", "while True:\n    pass\n")):
        (root / student).mkdir()
        (root / student / "01_sequential_baseline.py").write_text(first)
        write_solved(root / student, [SOLVED["residual_add"]])
    for student, code in NONLINEAR.items():
        (root / student).mkdir()
        (root / student / "03_residual_add.py").write_text(code)
    # A GitHub repository downloaded as a zip: exercises two folders down, one from Colab.
    judy = root / "judy" / "kfunc-lessons-main" / "exercises"
    judy.mkdir(parents=True)
    nbformat.write(solved_notebook(SOLVED["sequential_baseline"]),
                   judy / "Copy of 01_sequential_baseline.ipynb")
    (judy / "notes.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                                  "nbformat_minor": 5}))
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    out = root.parent / "report"
    code = main(["grade-class", str(root), "--out", str(out), "--timeout", "10",
                 "--points", "residual_add=3", "--assignment", "Keras lab 1"])
    return root, before, out, code


def test_every_student_gets_the_verdict_their_own_code_earns(graded):
    _, _, out, code = graded
    assert code == 0
    with (out / "grades.csv").open() as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert list(rows) == sorted(rows)
    attempted = {student: row["residual_add"] for student, row in rows.items()}
    assert attempted == {"<i>grace": "not_attempted", "alice": "passed", "bob": "failed",
                         "carol": "error", "dave": "error", "erin": "error", "frank": "error",
                         "henry": "passed", "ivan": "passed", "judy": "not_attempted",
                         "ken": "failed", "leo": "failed"}
    assert rows["judy"]["sequential_baseline"] == "passed"  # found two folders down
    assert rows["henry"]["sequential_baseline"] == "error"
    assert rows["ivan"]["sequential_baseline"] == "error"
    assert rows["alice"]["sequential_baseline"] == rows["erin"]["sequential_baseline"] == "passed"
    assert rows["alice"]["passed"] == "2" and rows["bob"]["passed"] == "0"
    # residual_add is worth 3 points, every other exercise 1: 11 in all.
    assert (rows["alice"]["points"], rows["alice"]["out_of"], rows["alice"]["percent"]) == (
        "4", "11", "36.4")
    assert (rows["judy"]["points"], rows["bob"]["points"]) == ("1", "0")
    untouched = [e.id for e in EXERCISES if e.id not in ("sequential_baseline", "residual_add")]
    assert all(row[e] == "not_attempted" for row in rows.values() for e in untouched)


def test_the_submissions_are_left_exactly_as_they_were(graded):
    root, before, _, _ = graded
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    assert (root / "bob" / "03_residual_add.py").read_text() == WRONG


def test_the_report_names_each_error_and_escapes_what_students_wrote(graded):
    _, _, out, _ = graded
    page = (out / "report.html").read_text()
    assert "<i>grace" not in page and "&lt;i&gt;grace" in page
    assert "<script" not in page and "http" not in page  # self-contained
    for words in ("ran longer than 10 s", "signal 11", "os._exit(0)", "deleted it all",
                  "MemoryError", "has units=32; the exercise needs units=64"):
        assert words in page, words
    assert "<td>residual_add</td><td>25%</td>" in page  # alice, henry, ivan: 3 of 12
    assert "<li>12 × Not attempted</li>" in page  # grouped, not one line per student


def test_statistics_count_one_mistake_once_whatever_the_students_named_their_layers(graded):
    _, _, out, _ = graded
    page = (out / "report.html").read_text()
    assert "<li>2 × A projection shortcut with an activation</li>" in page  # ken and leo
    assert "<li>1 × The layers differ from the exercise&#x27;s (no known mistake named)" \
        "</li>" in page  # bob's units=32
    assert page.count("<h3>residual_add</h3>") == 1
    # The histogram: students by exercises passed, as a picture with its numbers in words.
    assert 'role="img" aria-label="Students by exercises passed: 7 passed 0, 4 passed 1, ' \
        '1 passed 2, 0 passed 3, ' in page


def test_feedback_is_visible_on_the_page_and_written_per_student(graded):
    _, _, out, _ = graded
    page = (out / "report.html").read_text()
    assert ' title="' not in page  # no feedback hidden in tooltips
    assert "<dd>your layer" in page and "has units=32; the exercise needs units=64" in page
    assert '<a href="feedback/bob.html">bob</a>' in page
    assert '<a href="feedback/i_grace.html">&lt;i&gt;grace</a>' in page
    bob = (out / "feedback" / "bob.html").read_text()
    assert "Feedback for bob" in bob and "0 of 9 exercises passed" in bob
    assert "has units=32; the exercise needs units=64" in bob
    assert "<svg" in bob or "Graphviz" in bob  # the picture, or why there is none
    markdown = (out / "feedback" / "bob.md").read_text()
    assert markdown.startswith("# Feedback for bob\n") and "## residual_add: Incorrect" in markdown
    if "<svg" in bob:
        assert "![Where your model differs from the exercise](bob/residual_add.svg)" in markdown
        assert (out / "feedback" / "bob" / "residual_add.svg").read_text().startswith("<svg")
    grace = (out / "feedback" / "i_grace.html").read_text()
    assert "<i>grace" not in grace and "&lt;i&gt;grace" in grace
    judy = (out / "report.html").read_text()
    assert ("judy: kfunc-lessons-main/exercises/notes.ipynb: not one of this course&#x27;s "
            "exercises") in judy


def test_the_gradebook_imports_follow_canvas_and_moodle(graded):
    _, _, out, _ = graded
    with (out / "canvas.csv").open() as handle:
        canvas = list(csv.reader(handle))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                         "Keras lab 1"]
    assert canvas[1] == ["Points Possible", "", "", "", "", "11"]
    assert ["alice", "", "", "alice", "", "4"] in canvas and len(canvas) == 2 + 12
    with (out / "moodle.csv").open() as handle:
        moodle = {row["Username"]: row for row in csv.DictReader(handle)}
    assert moodle["alice"]["Keras lab 1"] == "4"
    assert moodle["alice"]["Keras lab 1 feedback"].startswith("2 of 9 exercises passed; not "
                                                              "yet: functional_equivalent, ")


@pytest.mark.browser
def test_the_report_fits_a_1400_pixel_window(graded, browser):
    _, _, out, _ = graded
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto((out / "report.html").as_uri())
    assert page.evaluate("document.documentElement.scrollWidth") <= 1400
    table = page.locator("table.grades").bounding_box()
    assert table["x"] >= 0 and table["x"] + table["width"] <= 1400
    shots = ROOT / "test-artifacts" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.screenshot(path=shots / f"class-report-1400-{scheme}.png", full_page=True)
    page.close()
