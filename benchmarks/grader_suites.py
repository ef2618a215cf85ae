"""Count what the grader suites prove, per exercise, and publish the table on the site.

Usage: python benchmarks/grader_suites.py

The rows come from `support.suites.suite_rows()`, the same function a test runs to fail when
the published figures no longer match the generators.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import write


def main() -> None:
    from support.suites import suite_rows

    rows = suite_rows()
    for row in rows:
        print(row)
    print("wrote", write("grader_suites", {"Grader suites": rows}))


if __name__ == "__main__":
    main()
