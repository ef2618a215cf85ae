"""The same verdicts under the JAX and PyTorch backends (CPU), in a fresh interpreter.

JAX is a dev dependency; PyTorch is optional (skipped where not installed), because pip
would pull a multi-gigabyte CUDA build on most platforms."""

import json
import os
import subprocess
import sys

import pytest

from support.suites import run_mutants

pytestmark = pytest.mark.slow  # minutes: make test runs it, make check does not

SCRIPT = r"""
import json, keras
import kfunc_lessons as kl
from kfunc_lessons.course.references import build_solution
from support.suites import EQUIVALENTS, run_mutants
report = {"backend": keras.backend.backend(), "exercises": {}}
for ex in kl.list_exercises():
    outcomes, rejected = run_mutants(ex)
    report["exercises"][ex] = {
        "reference": kl.check(ex, build_solution(ex)).status,
        "not_attempted": kl.check(ex, ...).status,
        "mutants": [[o.status, o.named, o.same_function] for o in outcomes],
        "rejected_by_keras": rejected,
        "equivalents_rejected": [n for n, b in EQUIVALENTS[ex].items()
                                 if not kl.check(ex, b()).passed],
    }
print(json.dumps(report))
"""


BACKENDS = ["jax", "torch"]


def last_line_under(backend: str, script: str, root) -> str:
    """Run ``script`` in a fresh interpreter with KERAS_BACKEND=backend; its last stdout line."""
    pytest.importorskip(backend)
    env = {**os.environ, "KERAS_BACKEND": backend, "JAX_PLATFORMS": "cpu"}
    done = subprocess.run([sys.executable, "-c", script], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("backend", BACKENDS)
def test_verdicts_agree_under_another_backend(backend, root):
    """Every mutant gets the verdict, the named difference and the same-function class it
    gets under TensorFlow (this process), and every equivalent passes."""
    report = json.loads(last_line_under(backend, SCRIPT, root))
    assert report["backend"] == backend
    for exercise_id, verdicts in report["exercises"].items():
        outcomes, rejected = run_mutants(exercise_id)
        # (descriptions hold Keras's automatic layer names, which differ between processes)
        here = [[o.status, o.named, o.same_function] for o in outcomes]
        assert verdicts["reference"] == "passed", exercise_id
        assert verdicts["not_attempted"] == "not_attempted", exercise_id
        assert verdicts["mutants"] == here and verdicts["rejected_by_keras"] == rejected
        assert verdicts["equivalents_rejected"] == [], exercise_id


PRECISION_SCRIPT = r"""
import keras
from kfunc_lessons.core.precision import full_float32_precision
backend = keras.backend.backend()
if backend == "jax":
    import jax
    before = jax.config.jax_default_matmul_precision
    with full_float32_precision():
        assert jax.config.jax_default_matmul_precision == "highest"
    assert jax.config.jax_default_matmul_precision == before
elif backend == "torch":
    import torch
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    with full_float32_precision():
        assert not torch.backends.cuda.matmul.allow_tf32
        assert not torch.backends.cudnn.allow_tf32
    assert torch.backends.cuda.matmul.allow_tf32 and torch.backends.cudnn.allow_tf32
print("ok", backend)
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_reduced_precision_is_off_during_a_check_and_restored(backend, root):
    assert last_line_under(backend, PRECISION_SCRIPT, root) == f"ok {backend}"
