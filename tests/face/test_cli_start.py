"""Commands that answer from the course data alone never import Keras, TensorFlow or JAX."""

import subprocess
import sys

import pytest

HEAVY = ("keras", "tensorflow", "jax", "torch", "numpy")
PROBE = """
import contextlib, io, runpy, sys
sys.argv = ["kfunc-lessons", *{args!r}]
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        runpy.run_module("kfunc_lessons.cli", run_name="__main__")
    except SystemExit as done:
        code = done.code
print(repr((code, [m for m in {heavy!r} if m in sys.modules], out.getvalue())))
"""


@pytest.mark.parametrize("args, words", [
    (["--help"], "grade-class"),
    (["list"], "residual_add"),
    (["hint", "residual_add", "--level", "2"], "Hint 2/3"),
    (["solution", "new_head"], "backbone.trainable = False"),
    (["hint", "no_such_exercise"], "Valid ids"),
])
def test_course_data_commands_import_no_framework(args, words):
    done = subprocess.run([sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
                          capture_output=True, text=True, check=True)
    code, imported, printed = eval(done.stdout.strip().splitlines()[-1])  # our own repr
    assert imported == [], imported
    assert words in printed or words in done.stderr, printed
    assert code in (0, 2, None)


def test_a_grading_command_still_loads_the_framework():
    done = subprocess.run([sys.executable, "-c", PROBE.format(
        args=["check", "residual_add", "missing.py"], heavy=HEAVY)],
        capture_output=True, text=True, check=True)
    _code, imported, _printed = eval(done.stdout.strip().splitlines()[-1])
    assert "keras" in imported
