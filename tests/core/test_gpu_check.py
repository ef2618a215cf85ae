"""`make gpu-check` in its CPU mode: the script that runs on a GPU cannot rot unnoticed."""

import json
import subprocess
import sys

import pytest

from scripts.gpu_check import differences

pytestmark = pytest.mark.slow  # minutes: make test runs it, make check does not


def test_the_gpu_check_runs_end_to_end_in_cpu_mode(root, tmp_path):
    done = subprocess.run([sys.executable, "scripts/gpu_check.py", "--cpu", "--quick",
                           "--out", str(tmp_path)], cwd=root, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    assert report["mode"] == "CPU mode (no accelerator)"
    assert "device: CPU only" in report["environment"]
    assert report["verdicts_equal"] is True and report["differences"] == []
    assert report["verdict_count"] > 25  # one exercise: its reference, mutants, equivalents
    assert set(report["versions"]) == {"keras", "tensorflow"}
    [notebook] = report["notebooks"]
    assert notebook == {**notebook, "notebook": "lessons/01_sequential.ipynb", "error": None}
    assert "| lessons/01_sequential.ipynb |" in (tmp_path / "gpu_check.md").read_text()


def test_a_verdict_that_differs_on_the_accelerator_is_reported():
    cpu = {"verdicts": {"residual_add": {
        "reference": "passed", "rejected_by_keras": 0, "equivalents": {"plus": "passed"},
        "mutants": [["add", "failed", True], ["dense", "failed", True]]}}}
    gpu = json.loads(json.dumps(cpu))
    assert differences(gpu, cpu) == []
    gpu["verdicts"]["residual_add"]["mutants"][1][1] = "passed"
    gpu["verdicts"]["residual_add"]["equivalents"]["plus"] = "failed"
    assert differences(gpu, cpu) == [
        "residual_add equivalents: {'plus': 'failed'} vs {'plus': 'passed'}",
        "residual_add mutant 1: ['dense', 'passed', True] vs ['dense', 'failed', True]"]
