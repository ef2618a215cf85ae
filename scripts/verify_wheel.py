"""Build the sdist and wheel, check them, and prove the wheel works without the checkout.

Usage: python scripts/verify_wheel.py [--out DIR] [--clean-venv]

1. `python -m build` writes the sdist and the wheel; `twine check` validates their metadata.
2. The wheel is installed on its own into an empty folder (no dependencies: the running
   environment has them), or with `--clean-venv` into a new virtual environment with its
   declared dependencies from the package index (the release workflow does this). Then
   `kfunc-lessons grade` runs from there, in a directory outside the checkout, on the nine
   exercises solved with `kl.solution()`. Every exercise must pass, and the package that
   graded must be the installed one.

The release workflow runs the same script before publishing, and a test runs it on every
change, so a broken wheel or a missing data file is caught before a tag.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLVE = ROOT / "scripts" / "solved_exercises.py"  # imports only nbformat and the package


def run(*command: str, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="where to keep the dist files")
    parser.add_argument("--clean-venv", action="store_true",
                        help="install into a new virtual environment, dependencies included")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kfunc-wheel-"))
    dist = args.out or work / "dist"
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(ROOT))
    wheels, sdists = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        sys.exit(f"expected one wheel and one sdist in {dist}")
    run(sys.executable, "-m", "twine", "check", "--strict", str(wheels[0]), str(sdists[0]))

    if args.clean_venv:
        run(sys.executable, "-m", "venv", str(work / "venv"))
        python = str(work / "venv" / "bin" / "python")
        run(python, "-m", "pip", "install", "-q", str(wheels[0]), "nbformat")
        site, env = work / "venv", {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    else:
        python, site = sys.executable, work / "site-packages"
        run(python, "-m", "pip", "install", "--no-deps", "--target", str(site),
            str(wheels[0]))
        env = {**os.environ, "PYTHONPATH": str(site), "TF_CPP_MIN_LOG_LEVEL": "3"}
    solved = work / "solved"
    solved.mkdir()
    located = run(python, str(SOLVE), str(ROOT / "exercises"), str(solved),
                  cwd=work, env=env).stdout.strip().splitlines()[-1]
    if not located.startswith(str(site)):
        sys.exit(f"graded with {located}, not with the installed wheel")
    done = run(python, "-m", "kfunc_lessons.cli", "grade", str(solved), "--json",
               cwd=work, env=env)
    report = json.loads(done.stdout)
    notebooks = len(list((ROOT / "exercises").glob("[0-9][0-9]_*.ipynb")))
    if report["passed"] != report["total"] or report["total"] != notebooks:
        sys.exit(f"the installed wheel graded {report['passed']}/{report['total']}")
    print(f"{wheels[0].name}: twine check passed; installed alone, it graded "
          f"{report['passed']}/{report['total']} solved exercises")


if __name__ == "__main__":
    main()
