"""Count mutants caught, equivalents accepted and crashes per exercise; publish the table.

Usage: python benchmarks/grader_suites.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import write


def main() -> None:
    import keras
    import numpy as np
    from keras import layers

    import kfunc_lessons as kl
    from tests.suites import EQUIVALENTS, mutants
    from tests.test_grader_suites import run_mutants

    bad_inputs = [None, 3, "model", [1, 2], layers.Dense(3), np.zeros((2, 10)), Ellipsis,
                  keras.Sequential([layers.Dense(4)])]
    rows = []
    for exercise_id in kl.list_exercises():
        generated = len(mutants(exercise_id))
        built, caught, named, _ = run_mutants(exercise_id)
        variants = EQUIVALENTS[exercise_id]
        accepted = sum(kl.check(exercise_id, build()).passed for build in variants.values())
        crashes = 0
        for thing in bad_inputs:
            try:
                kl.check(exercise_id, thing)
            except Exception:
                crashes += 1
        rows.append({
            "exercise": exercise_id,
            "mutants caught / built": f"{caught} / {built}",
            "named the difference": named,
            "rejected by Keras itself": generated - built,
            "equivalents accepted": f"{accepted} / {len(variants)}",
            "crashes on bad input": f"{crashes} / {len(bad_inputs)}",
        })
        print(rows[-1])
    print("wrote", write("grader_suites", {"Grader suites": rows}))


if __name__ == "__main__":
    main()
