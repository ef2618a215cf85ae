"""The site build with `make serve`'s notebook cache: cold, warm, and after editing one lesson.

Usage: python benchmarks/site_cache.py

Three `mkdocs build` runs in a row with KFUNC_SITE_CACHE=true, as `make serve` builds: with an
empty cache (every notebook executes), again with nothing changed, and after a one-byte
change to lesson 01's notebook (which is restored afterwards). Goals: warm under 15% of
cold, the one-lesson rebuild under 25% of cold.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.common import write  # noqa: E402

CACHE = ROOT / ".cache" / "mkdocs-jupyter"
LESSON = ROOT / "lessons" / "01_sequential.ipynb"


def build(out: str) -> float:
    env = {**os.environ, "KFUNC_SITE_CACHE": "true"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", out], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    shutil.rmtree(CACHE, ignore_errors=True)
    original = LESSON.read_bytes()
    with tempfile.TemporaryDirectory() as out:
        cold = build(out)
        warm = build(out)
        try:
            LESSON.write_bytes(original + b"\n")
            one_lesson = build(out)
        finally:
            LESSON.write_bytes(original)
    rows = [
        {"build": "cold (empty cache: 16 notebooks execute)", "seconds": f"{cold:.1f}",
         "of cold": "100%", "goal": ""},
        {"build": "warm (nothing changed)", "seconds": f"{warm:.1f}",
         "of cold": f"{warm / cold:.0%}", "goal": "< 15%"},
        {"build": "after editing one lesson", "seconds": f"{one_lesson:.1f}",
         "of cold": f"{one_lesson / cold:.0%}", "goal": "< 25%"},
    ]
    for row in rows:
        print(row)
    print("wrote", write("site_cache", {"Site build with the notebook cache (one run)": rows}))


if __name__ == "__main__":
    main()
