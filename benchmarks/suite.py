"""How long `make test` takes, and how many times it executes each notebook.

One real run of what `make test` runs (ruff, then pytest across the cores), timed here, with
the notebook executions its executor recorded (support/notebooks.py) and `python -c "import
keras"` timed in the same run as the yardstick. Writes benchmarks/results/suite.json.

Usage: python benchmarks/suite.py
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.common import median_seconds, write  # noqa: E402
from support.notebooks import notebooks  # noqa: E402


def suite_rows() -> list[dict]:
    """One real run of what `make test` runs (ruff, then pytest across the cores), timed here,
    with the notebook executions its executor recorded and `import keras` as the yardstick."""
    import tempfile
    import time

    yardstick = median_seconds(lambda: subprocess.run(
        [sys.executable, "-c", "import keras"], check=True, capture_output=True), 3)
    basetemp = Path(tempfile.mkdtemp(prefix="kfunc-suite-"))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, check=True)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-n", "auto", "--dist", "loadscope", "-m", "not learner_install",
                           f"--basetemp={basetemp}"], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "no output"
    runs = [line for record in basetemp.rglob("executions.jsonl")
            for line in record.read_text().splitlines()]
    return [
        {"measure": f"make test (ruff + pytest -n auto: {summary.strip('= ')})",
         "median": f"{seconds / 60:.1f} min (one run)",
         "result": f"{seconds / yardstick:.0f}x import keras ({yardstick:.1f} s)",
         "goal": "<= 8 min"},
        {"measure": "notebook executions in that run (the executor's record)",
         "median": len(runs), "result": f"{len(notebooks())} notebooks",
         "goal": "one per notebook"},
    ]


if __name__ == "__main__":
    rows = suite_rows()
    for row in rows:
        print(row)
    print("wrote", write("suite", {"make test": rows}))
