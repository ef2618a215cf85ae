"""Commands that answer from the course data alone never import Keras, TensorFlow or JAX."""

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("keras", "tensorflow", "jax", "torch", "numpy")
PROBE = """
import contextlib, io, sys
from kfunc_lessons.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        code = main({args!r})
    except SystemExit as done:  # argparse's --help and usage errors
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


def test_after_tensorflow_the_command_keeps_its_status_output_and_files(tmp_path):
    """Once TensorFlow is loaded the console script ends without the interpreter's
    teardown: what the command printed (a block-buffered pipe), wrote and returned
    survives."""
    learner = tmp_path / "03_residual_add.py"
    learner.write_text("import keras\nmodel = keras.Sequential([keras.Input((16,)), "
                       "keras.layers.Dense(4)])\n")
    done = subprocess.run([sys.executable, "-m", "kfunc_lessons.cli", "check", "residual_add",
                           str(learner), "--json", "--diagram", str(tmp_path / "diff.svg")],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "KERAS_BACKEND": "tensorflow"})
    assert done.returncode == 1, done.stderr[-2000:]
    assert json.loads(done.stdout)["status"] == "failed"
    assert "Diagram written" in done.stderr
    assert (tmp_path / "diff.svg").read_text().rstrip().endswith("</svg>")
