"""The wheel that pip (and Colab) builds from the repository ships everything check() needs."""

import subprocess
import sys
import zipfile

import pytest

from kfunc_lessons.exercises import EXERCISES
from kfunc_lessons.references import DATA_FILES
from tests.conftest import ROOT


@pytest.mark.slow
def test_wheel_contains_reference_data_solutions_and_console_script(tmp_path):
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
               "-w", str(tmp_path), str(ROOT)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    wheel = next(tmp_path.glob("kfunc_lessons-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in DATA_FILES:
        assert f"kfunc_lessons/data/{name}.npz" in names
    assert "kfunc_lessons/data/manifest.json" in names
    for exercise in EXERCISES:
        assert f"kfunc_lessons/solutions/{exercise.id}.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "kfunc-lessons = kfunc_lessons.cli:main" in zipfile.ZipFile(wheel).read(
        entry_points).decode()
