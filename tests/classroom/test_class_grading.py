"""`kfunc-lessons grade-class`: a class with a hanging, a crashing, a file-deleting and a
memory-hogging student finishes, reports exactly those as errors, and grades everyone else
right, leaving every submission as it was."""

import csv

import pytest

import kfunc_lessons as kl
from kfunc_lessons.cli import main
from kfunc_lessons.course.exercises import EXERCISES
from scripts.solved_exercises import write_solved

SOLVED = {e.id: e for e in EXERCISES}
WRONG = kl.solution("residual_add").replace("64", "32")
HOSTILE = {
    "carol": "while True:\n    pass\n",
    "dave": "import ctypes\nctypes.string_at(0)\n",
    "erin": ("import os, shutil\nfor name in os.listdir('.'):\n    os.remove(name)\n"
             "shutil.rmtree('..', ignore_errors=True)\nraise RuntimeError('deleted it all')\n"),
    "frank": "hog = bytearray(8 * 2**30)\n",
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
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    out = root.parent / "report"
    code = main(["grade-class", str(root), "--out", str(out), "--timeout", "10"])
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
                         "henry": "passed", "ivan": "passed"}
    assert rows["henry"]["sequential_baseline"] == "error"
    assert rows["ivan"]["sequential_baseline"] == "error"
    assert rows["alice"]["sequential_baseline"] == rows["erin"]["sequential_baseline"] == "passed"
    assert rows["alice"]["passed"] == "2" and rows["bob"]["passed"] == "0"
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
    assert "<td>residual_add</td><td>33%</td>" in page  # alice, henry, ivan: 3 of 9
    assert "<li>9 × Not attempted</li>" in page  # grouped, not one line per student
