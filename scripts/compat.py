"""Run the grader suites and every notebook in one version profile's own environment.

Usage: python scripts/compat.py oldest|colab|latest [--quick]

A profile is a constraints file, `kfunc_lessons/constraints/PROFILE.txt`: a `# python: X.Y`
line and the releases to pin. This script

1. builds `.compat/PROFILE/`, a virtual environment on that Python (found as `pythonX.Y` on
   PATH; a machine without it gets the one command that installs it);
2. for `colab`, first installs the pins alone, the way Colab's runtime has them, then runs
   lesson 01's own install cell (with this checkout in place of the package it names) and
   fails if it replaced any pinned package: it must keep Colab's TensorFlow, Keras, NumPy;
3. installs the package with its dev tools under the constraints and checks that every pin
   is what got installed;
4. runs the grader suites and every lesson and exercise notebook, then the notebooks again
   under `KERAS_BACKEND=jax`, and writes `.compat/PROFILE/report.json`.

`--quick` runs only the environment set-up and one test file (to try the set-up);
`--publish` adds the profile's row to benchmarks/results/compat.json (the Performance page).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # scripts are imported one way everywhere: scripts.NAME
from scripts.sync_notebooks import INSTALL_CELL, install_requirement  # noqa: E402

PROFILES = ("oldest", "colab", "latest")
GRADER_TESTS = ["tests/core/test_grader_suites.py", "tests/core/test_numbers_step.py",
                "tests/core/test_rules.py", "tests/core/test_compatibility.py",
                "tests/course/test_mistakes.py", "tests/core/test_diagrams.py"]
NOTEBOOKS = ["lessons", "exercises"]
INSTALL_PYTHON = ("{python} is not on PATH. Install it, then run this again: with pyenv, "
                  "`pyenv install {python}`; on Ubuntu, `sudo add-apt-repository "
                  "ppa:deadsnakes/ppa && sudo apt-get install python{python}-venv`; "
                  "with uv, `uv python install {python}`.")


def read_profile(name: str) -> tuple[str, dict[str, str]]:
    text = (ROOT / "kfunc_lessons" / "constraints" / f"{name}.txt").read_text()
    python = re.search(r"^# python: (\S+)$", text, re.MULTILINE)[1]
    return python, dict(re.findall(r"^([\w.-]+)==(\S+)$", text, re.MULTILINE))


def run(command: list[str], **kwargs) -> None:
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, **kwargs)


def installed_versions(python: Path, names) -> dict[str, str | None]:
    script = ("import json, sys\nfrom importlib import metadata\nout = {}\n"
              "for n in sys.argv[1:]:\n"
              "    try: out[n] = metadata.version(n)\n"
              "    except metadata.PackageNotFoundError: out[n] = None\n"
              "print(json.dumps(out))")
    done = subprocess.run([str(python), "-c", script, *names], check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout)


def differing(python: Path, pins: dict[str, str]) -> dict[str, str | None]:
    have = installed_versions(python, pins)
    return {name: have[name] for name, version in pins.items() if have[name] != version}


def find_python(version: str) -> str:
    """`pythonX.Y` from PATH, or from pyenv's versions when its shim is not active."""
    candidates = [shutil.which(f"python{version}")]
    pyenv = Path.home() / ".pyenv" / "versions"
    candidates += sorted(map(str, pyenv.glob(f"{version}*/bin/python{version}")))
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "-c", "pass"], capture_output=True).returncode == 0:
            return candidate
    sys.exit(INSTALL_PYTHON.format(python=version))


def build_environment(profile: str, python_version: str, pins: dict[str, str]) -> tuple[Path, dict]:
    interpreter = find_python(python_version)
    venv = ROOT / ".compat" / profile
    shutil.rmtree(venv, ignore_errors=True)
    run([interpreter, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    pip = [str(python), "-m", "pip"]
    run([*pip, "install", "-q", "--upgrade", "pip"])
    constraints = str(ROOT / "kfunc_lessons" / "constraints" / f"{profile}.txt")
    install_cell = {}
    if profile == "colab":
        run([*pip, "install", "-q", "-r", constraints])  # Colab's runtime, before the course
        # Lesson 01's own install cell, as Colab runs it, with this checkout as the package.
        cell = INSTALL_CELL.search((ROOT / "lessons" / "01_sequential.py").read_text())[0]
        cell = cell.replace(install_requirement(), f"{ROOT}[lessons]")
        fake_colab = 'import sys, types\nsys.modules["google.colab"] = types.ModuleType("c")\n'
        print("+ lesson 01's install cell", flush=True)
        done = subprocess.run([str(python), "-c", fake_colab + cell], check=True,
                              capture_output=True, text=True)
        install_cell = {"printed": done.stdout.strip(), "replaced_pins": differing(python, pins)}
        print(install_cell["printed"])
        if install_cell["replaced_pins"]:
            sys.exit(f"the install cell replaced Colab's packages: {install_cell['replaced_pins']}")
    run([*pip, "install", "-q", "-c", constraints, "-e", f"{ROOT}[dev]"])
    if wrong := differing(python, pins):
        sys.exit(f"{profile}: installed versions differ from the pins: {wrong}")
    return python, install_cell


def publish(report: dict) -> None:
    """Replace this profile's row in benchmarks/results/compat.json."""
    path = ROOT / "benchmarks" / "results" / "compat.json"
    data = json.loads(path.read_text()) if path.exists() else {"tables": {}}
    runs = report["runs"]
    row = {"profile": report["profile"], "python": report["python"].removeprefix("Python "),
           **{k: v or "-" for k, v in report["versions"].items()},
           "grader suites + notebooks (TensorFlow)":
               f"{'passed' if runs['tensorflow']['passed'] else 'FAILED'}, "
               f"{runs['tensorflow']['seconds']:.0f} s",
           "notebooks (JAX)": f"{'passed' if runs['jax']['passed'] else 'FAILED'}, "
                              f"{runs['jax']['seconds']:.0f} s",
           "install cell kept the pins": ("yes" if report["install_cell"]
                                          and not report["install_cell"]["replaced_pins"]
                                          else "-")}
    rows = [r for r in data["tables"].get("Version profiles", [])
            if r["profile"] != row["profile"]] + [row]
    rows.sort(key=lambda r: PROFILES.index(r["profile"]))
    data["meta"] = {"kfunc-lessons": re.search(r'__version__ = "(.+)"', (
        ROOT / "kfunc_lessons" / "__init__.py").read_text())[1],
        "date": datetime.date.today().isoformat(),
        "machine": f"{os.uname().machine}, {os.cpu_count()} cores"}
    data["tables"]["Version profiles"] = rows
    path.write_text(json.dumps(data, indent=2) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", choices=PROFILES)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--publish", action="store_true")
    args = parser.parse_args()
    python_version, pins = read_profile(args.profile)
    started = time.monotonic()
    python, install_cell = build_environment(args.profile, python_version, pins)
    setup_s = time.monotonic() - started
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "JAX_PLATFORMS": "cpu"}
    env.pop("KERAS_BACKEND", None)
    pytest = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts="]
    runs = {"tensorflow": [*pytest, *GRADER_TESTS, "--nbmake", "--nbmake-timeout=300",
                           *NOTEBOOKS],
            "jax": [*pytest, "--nbmake", "--nbmake-timeout=300", *NOTEBOOKS]}
    if args.quick:
        runs = {"tensorflow": [*pytest, "tests/core/test_compatibility.py"]}
    results = {}
    for backend, command in runs.items():
        t0 = time.monotonic()
        done = subprocess.run(command, cwd=ROOT, env={**env, "KERAS_BACKEND": backend})
        results[backend] = {"passed": done.returncode == 0,
                            "seconds": round(time.monotonic() - t0, 1)}
    report = {
        "profile": args.profile,
        "python": subprocess.run([str(python), "--version"], capture_output=True,
                                 text=True).stdout.strip(),
        "versions": installed_versions(python, ["tensorflow", "keras", "numpy", "jax"]),
        "setup_seconds": round(setup_s, 1),
        "install_cell": install_cell,
        "runs": results,
    }
    (ROOT / ".compat" / args.profile / "report.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    if args.publish and not args.quick:
        publish(report)
    return 0 if all(r["passed"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
