"""Grader and surgery timings, as medians and as ratios to a yardstick measured in the same run.

Usage: python benchmarks/performance.py [--site]
"""

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.common import median_seconds, write  # noqa: E402
from scripts.solved_exercises import write_solved  # noqa: E402

INCREMENT = """
import time
start = time.perf_counter()
import keras
middle = time.perf_counter()
import kfunc_lessons
kfunc_lessons.check  # the public names load lazily: touch one to import the whole grader
print(middle - start, time.perf_counter() - middle)
"""


def import_overhead(repeats: int = 7) -> dict:
    """Each run is a fresh interpreter that times `import keras`, then what the package adds.
    (Subtracting two whole-process medians would drown 10 ms in Keras's own noise.)"""
    runs = []
    for _ in range(repeats):
        done = subprocess.run([sys.executable, "-c", INCREMENT], check=True,
                              capture_output=True, text=True)
        runs.append([float(v) for v in done.stdout.split()])
    keras_s = statistics.median(r[0] for r in runs)
    extra_s = statistics.median(r[1] for r in runs)
    return {"measure": "import kfunc_lessons after import keras", "median":
            f"keras {keras_s:.2f} s, then +{extra_s:.3f} s", "result": f"+{extra_s:.3f} s",
            "goal": "<= 0.3 s"}


def check_medians(repeats: int = 21) -> list[dict]:
    import kfunc_lessons as kl
    from kfunc_lessons.course.references import build_solution
    from support.suites import mutants

    rows = []
    for exercise_id in kl.list_exercises():
        model = build_solution(exercise_id)
        # A wrong model too: a failed check also runs the catalogue of mistakes and keeps
        # the picture's sketch (drawing it is separate, see resnet_rows).
        wrong = next(m for m in mutants(exercise_id) if "insert Dense" in m.description).build()
        for what, attempt in (("", model), (", a wrong model", wrong)):
            kl.check(exercise_id, attempt)  # warm-up: reference data, first eager calls
            ms = 1000 * median_seconds(lambda m=attempt, e=exercise_id: kl.check(e, m),
                                       repeats)
            rows.append({"measure": f"check('{exercise_id}'{what})", "median": f"{ms:.0f} ms",
                         "result": "ok" if ms < 150 else "over", "goal": "< 150 ms"})
    return rows


def resnet_rows(repeats: int = 5) -> list[dict]:
    import keras
    import numpy as np

    import kfunc_lessons as kl
    from kfunc_lessons import surgery

    model = keras.applications.ResNet50(weights=None)
    batch = np.random.default_rng(0).standard_normal((2, 224, 224, 3)).astype("float32")
    kl.compare(model, model)
    keras.models.clone_model(model).predict(batch, verbose=0)

    def yardstick():
        keras.models.clone_model(model).predict(batch, verbose=0)

    check = median_seconds(lambda: kl.compare(model, model), repeats)
    clone_predict = median_seconds(yardstick, repeats)
    clone = median_seconds(lambda: keras.models.clone_model(model), repeats)
    insert = median_seconds(lambda: surgery.insert_after(
        model, "conv3_block4_out", keras.layers.LayerNormalization()), repeats)
    changed = surgery.replace_layer(model, "conv3_block2_2_relu",
                                    keras.layers.Activation("tanh"))
    verdict = kl.compare(model, changed)
    verdict.picture.svg()  # warm-up: pydot's first import
    failed_check = median_seconds(lambda: kl.compare(model, changed), repeats)
    picture = median_seconds(lambda: verdict.picture.svg(), repeats)  # uncached: draws anew
    return [
        {"measure": "ResNet50 graph-diff picture (diagram()) vs its failed compare()",
         "median": f"{picture:.2f} s vs {failed_check:.2f} s",
         "result": f"+{picture:.2f} s ({picture / failed_check:.2f}x)", "goal": "< 1 s added"},
        {"measure": "ResNet50 compare() vs clone_model + predict", "median":
         f"{check:.2f} s vs {clone_predict:.2f} s", "result": f"{check / clone_predict:.2f}x",
         "goal": "<= 2x"},
        {"measure": "ResNet50 surgery.insert_after vs clone_model", "median":
         f"{insert:.2f} s vs {clone:.2f} s", "result": f"{insert / clone:.2f}x",
         "goal": "<= 1.5x"},
    ]


IN_ONE_PROCESS = """
import sys
from pathlib import Path
import kfunc_lessons as kl
from kfunc_lessons.classroom.discovery import find_exercise_files
from kfunc_lessons.course.exercises import EXERCISES
from kfunc_lessons.classroom.learner_files import read_chunks, run_chunks
for exercise in EXERCISES:
    path = Path(sys.argv[1]) / find_exercise_files(Path(sys.argv[1]), EXERCISES).files[exercise.id]
    assert kl.check(exercise.id, run_chunks(read_chunks(path), path.name)).passed
"""


def grade_isolation(repeats: int = 5) -> dict:
    """`kfunc-lessons grade` (each file in its own process) against the same solved
    notebooks run and checked one after another in one process, as 0.1 did. Whole
    commands, interleaved, so both pay their imports and share the machine's noise."""
    import tempfile
    import time

    with tempfile.TemporaryDirectory() as directory:
        write_solved(Path(directory))
        commands = {
            "isolated": [sys.executable, "-m", "kfunc_lessons.cli", "grade", directory],
            "one process": [sys.executable, "-c", IN_ONE_PROCESS, directory],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(repeats):
            for name, command in commands.items():
                start = time.perf_counter()
                subprocess.run(command, check=True, capture_output=True)
                times[name].append(time.perf_counter() - start)
    isolated, together = (statistics.median(times[n]) for n in commands)
    from kfunc_lessons.course.exercises import EXERCISES

    return {"measure": f"kfunc-lessons grade, {len(EXERCISES)} solved notebooks, each in its "
            "own process, vs all in one process", "median": f"{isolated:.2f} s vs {together:.2f} s",
            "result": f"{isolated / together:.2f}x", "goal": "<= 2x"}


def site_build() -> dict:
    import time

    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d",
                    str(ROOT / "site")], cwd=ROOT, check=True, capture_output=True)
    seconds = time.perf_counter() - start
    return {"measure": "mkdocs build --strict (executes 16 notebooks)",
            "median": f"{seconds:.0f} s (one run)", "result": "", "goal": ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", action="store_true", help="also time the site build")
    args = parser.parse_args()
    rows = [import_overhead(), *check_medians(), grade_isolation(), *resnet_rows()]
    if args.site:
        rows.append(site_build())
    for row in rows:
        print(row)
    print("wrote", write("performance", {"Timings": rows}))


if __name__ == "__main__":
    main()
