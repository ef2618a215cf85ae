"""Run every benchmark and refresh benchmarks/results/*.json (shown on the site)."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for script in ("grader_suites.py", "performance.py"):
    subprocess.run([sys.executable, str(HERE / script),
                    *(a for a in sys.argv[1:] if a != "--test-suite")], check=True)
if "--test-suite" in sys.argv:  # the whole suite, once: minutes
    subprocess.run([sys.executable, str(HERE / "suite.py")], check=True)
