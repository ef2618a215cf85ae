"""Commands that need no Keras: `kfunc-lessons --help`, `list`, `hint` and `solution`.

Usage: python benchmarks/cli_start.py [--repeats N]

Each command runs in a fresh interpreter, as a learner or teacher types it, N times (default
7); the yardstick is `python -c "import keras"` measured in the same run. Goals: at most
0.3 s, and at most 0.1x the yardstick. Medians.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.common import write  # noqa: E402

COMMANDS = {
    "kfunc-lessons --help": ["--help"],
    "kfunc-lessons list": ["list"],
    "kfunc-lessons hint residual_add": ["hint", "residual_add"],
    "kfunc-lessons solution residual_add": ["solution", "residual_add"],
}


def median_run(argv: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    repeats = parser.parse_args().repeats
    keras_import = median_run([sys.executable, "-c", "import keras"], repeats)
    rows = [{"command": 'python -c "import keras" (yardstick)', "median s": f"{keras_import:.2f}",
             "of the yardstick": "1.00x", "goal": ""}]
    for name, args in COMMANDS.items():
        seconds = median_run([sys.executable, "-m", "kfunc_lessons.cli", *args], repeats)
        rows.append({"command": name, "median s": f"{seconds:.2f}",
                     "of the yardstick": f"{seconds / keras_import:.2f}x",
                     "goal": "<= 0.3 s and <= 0.10x"})
    for row in rows:
        print(row)
    title = f"Commands that need no Keras (medians of {repeats} fresh runs)"
    print("wrote", write("cli_start", {title: rows}))


if __name__ == "__main__":
    main()
