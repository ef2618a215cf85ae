"""The declared version range: one set of minimums, and one clear line below them.

`make compat PROFILE=oldest` proves the minimums themselves (the grader suites and every
notebook at exactly those releases); here, a fake older install (a ``*.dist-info`` folder
ahead of site-packages, which is where `importlib.metadata` looks first) proves what a
learner with an older Keras or TensorFlow sees.
"""

import re
import subprocess
import sys

import pytest

from kfunc_lessons.core.compatibility import EXCLUDED_VERSIONS, MINIMUM_VERSIONS, version_problem

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


def _pyproject(root) -> dict:
    return tomllib.loads((root / "pyproject.toml").read_text())


def test_pyproject_declares_the_minimums_the_package_checks(root):
    declared, excluded = {}, {}
    for requirement in _pyproject(root)["project"]["dependencies"]:
        if match := re.fullmatch(r"(keras|tensorflow)>=([\d.]+)((,!=[\d.]+)*)", requirement):
            declared[match[1]] = match[2]
            if match[3]:
                excluded[match[1]] = tuple(match[3].removeprefix(",!=").split(",!="))
    assert declared == MINIMUM_VERSIONS
    assert excluded == EXCLUDED_VERSIONS


def test_the_oldest_profile_pins_exactly_the_declared_minimums(root):
    text = (root / "kfunc_lessons" / "constraints" / "oldest.txt").read_text()
    pins = dict(re.findall(r"^([\w-]+)==(\S+)$", text, re.MULTILINE))
    lower_bounds = dict(re.findall(r"^([\w-]+)>=([\d.]+)(?:,!=[\d.]+)*$",
                                   "\n".join(_pyproject(root)["project"]["dependencies"]),
                                   re.MULTILINE))
    assert pins == lower_bounds, "every declared lower bound is pinned, and nothing else"
    python = re.search(r"^# python: (\S+)$", text, re.MULTILINE)[1]
    assert _pyproject(root)["project"]["requires-python"] == f">={python}"


def _fake_install(tmp_path, **versions):
    """A folder that makes importlib.metadata report ``versions`` (the real modules still
    import from site-packages)."""
    for package, version in versions.items():
        info = tmp_path / f"{package}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n")
    return str(tmp_path)


def _run(args, tmp_path, backend="tensorflow", **versions):
    env = {"PYTHONPATH": _fake_install(tmp_path, **versions), "KERAS_BACKEND": backend,
           "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("package, old", [("keras", "3.0.5"), ("keras", "2.15.0"),
                                          ("tensorflow", "2.15.1")])
def test_an_older_install_gets_one_line_from_the_command_line(tmp_path, package, old):
    done = _run(["-m", "kfunc_lessons.cli", "check", "residual_add", "nothing.py"],
                tmp_path, **{package: old})
    minimum = MINIMUM_VERSIONS[package]
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (f"kfunc-lessons needs {package} >= {minimum}, but {package} {old} "
                           f'is installed. Run: pip install --upgrade "{package}>={minimum}"\n')


def test_an_older_keras_stops_the_first_kl_call_with_that_line_not_a_grader_error(tmp_path):
    done = _run(["-c", "import kfunc_lessons as kl\nkl.check('residual_add', ...)"],
                tmp_path, keras="3.0.5")
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last == ("kfunc_lessons.core.compatibility.UnsupportedVersion: kfunc-lessons needs "
                    'keras >= 3.12.1, but keras 3.0.5 is installed. '
                    'Run: pip install --upgrade "keras>=3.12.1"')
    assert "Grader error" not in done.stdout + done.stderr


def test_an_older_tensorflow_does_not_matter_under_another_backend(monkeypatch):
    from importlib import metadata

    real = metadata.version
    monkeypatch.setattr(metadata, "version",
                        lambda name: "2.15.1" if name == "tensorflow" else real(name))
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert version_problem() is None
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    assert "tensorflow >= 2.16.1, but tensorflow 2.15.1" in version_problem()


def test_prereleases_and_two_digit_minors_compare_as_releases(monkeypatch):
    from importlib import metadata

    for installed, problem in (("3.12.1rc1", False), ("3.12.4", False), ("3.12.0", True),
                               ("3.15.1.dev2026", False), ("3.13.1", True),
                               ("3.13.2", False)):
        monkeypatch.setattr(metadata, "version",
                            lambda name, v=installed: v if name == "keras" else "2.21.0")
        assert (version_problem() is not None) is problem, installed


@pytest.mark.parametrize("unsafe", ["3.11.3", "3.12.0", "3.13.0", "3.13.1"])
def test_a_keras_with_a_published_advisory_on_model_loading_is_refused(tmp_path, unsafe):
    """The graders load learners' saved models: a Keras whose safe_mode can be bypassed
    is refused with one line, below the floor or inside it (3.13.0 and 3.13.1)."""
    done = _run(["-m", "kfunc_lessons.cli", "check", "residual_add", "nothing.py"],
                tmp_path, keras=unsafe)
    assert done.returncode == 2 and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert f"keras {unsafe} is installed" in line and "pip install --upgrade" in line
