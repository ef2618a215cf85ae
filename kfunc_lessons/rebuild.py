"""Rebuild the reference data: ``python -m kfunc_lessons.rebuild [--out DIR]``.

Trains the starters (replace_intermediate's on synthetic data, new_head's on scikit-learn's
digits, so scikit-learn must be installed), then writes each exercise's probe batch, reference
weights and expected outputs, and the checksum manifest. Run it with the TensorFlow backend
after changing a reference solution; tests/course/test_references.py proves the files match.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from kfunc_lessons.course.references import rebuild


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Rebuild kfunc_lessons reference data.")
    parser.add_argument("--out", type=Path, default=None, help="default: the package's data/")
    args = parser.parse_args(argv)
    for name, digest in rebuild(args.out).items():
        print(f"{digest[:12]}  {name}")


if __name__ == "__main__":
    main()
