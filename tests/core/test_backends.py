"""The JAX and PyTorch backends (CPU), each in a fresh interpreter: reduced precision is off
during a check. (Their verdicts are compared with TensorFlow's in test_grader_suites.py,
beside the suites they re-run.)

JAX is a dev dependency; PyTorch is optional (skipped where not installed), because pip
would pull a multi-gigabyte CUDA build on most platforms."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # a fresh interpreter per backend: make check skips them

BACKENDS = ["jax", "torch"]


def backend_env(backend: str) -> dict[str, str]:
    """This process's environment with KERAS_BACKEND=backend, on the CPU."""
    return {**os.environ, "KERAS_BACKEND": backend, "JAX_PLATFORMS": "cpu"}


def last_line_under(backend: str, script: str, root) -> str:
    """Run ``script`` in a fresh interpreter with KERAS_BACKEND=backend (skipped where that
    backend is not installed); its last stdout line."""
    pytest.importorskip(backend)
    done = subprocess.run([sys.executable, "-c", script], cwd=root, env=backend_env(backend),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


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
