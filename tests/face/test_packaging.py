"""The wheel that pip (and Colab) builds ships everything check() needs, and works alone."""

import importlib.metadata
import subprocess
import sys
import zipfile

import pytest

from kfunc_lessons.course.exercises import EXERCISES
from kfunc_lessons.course.references import DATA_FILES
from tests.conftest import ROOT


@pytest.mark.slow
def test_the_wheel_alone_grades_the_solved_exercises_and_ships_the_data(tmp_path):
    """The release workflow's build-and-verify step, on every change (scripts/verify_wheel.py:
    build, twine check, install the wheel alone, grade the eight solved exercises)."""
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "verify_wheel.py"),
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert "twine check passed" in done.stdout and "graded 9/9" in done.stdout
    wheel = next(tmp_path.glob("kfunc_lessons-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in DATA_FILES:
        assert f"kfunc_lessons/course/data/{name}.npz" in names
    assert "kfunc_lessons/course/data/manifest.json" in names
    for exercise in EXERCISES:
        assert f"kfunc_lessons/course/solutions/{exercise.id}.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "kfunc-lessons = kfunc_lessons.cli:run" in zipfile.ZipFile(wheel).read(
        entry_points).decode()


def test_one_version_source():
    import kfunc_lessons

    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"]["attr"] == (
        "kfunc_lessons.__version__")
    assert importlib.metadata.version("kfunc-lessons") == kfunc_lessons.__version__
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## [0.1.0]" in changelog
