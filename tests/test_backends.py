"""The same verdicts under a non-TensorFlow backend (JAX, CPU), in a fresh interpreter."""

import json
import os
import subprocess
import sys

import pytest

SCRIPT = r"""
import json, keras
from keras import layers
import kfunc_lessons as kl
from kfunc_lessons.references import build_solution
from tests.models import residual
verdicts = {ex: kl.check(ex, build_solution(ex)).status for ex in kl.list_exercises()}
verdicts["concat_mutant"] = kl.check("residual_add", residual(merge=layers.concatenate)).status
verdicts["skip_mutant"] = kl.check("residual_add", residual(skip_from_hidden=True)).status
verdicts["ellipsis"] = kl.check("residual_add", ...).status
print(json.dumps({"backend": keras.backend.backend(), "verdicts": verdicts}))
"""


@pytest.mark.parametrize("backend", ["jax"])
def test_verdicts_agree_under_another_backend(backend, root):
    pytest.importorskip(backend)
    env = {**os.environ, "KERAS_BACKEND": backend, "JAX_PLATFORMS": "cpu"}
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["backend"] == backend
    expected = {ex: "passed" for ex in report["verdicts"]}
    expected.update(concat_mutant="failed", skip_mutant="failed", ellipsis="not_attempted")
    assert report["verdicts"] == expected
