"""Run the grader suites and the notebooks on a GPU; compare every verdict with the CPU's.

Usage: python scripts/gpu_check.py [--cpu] [--quick] [--out DIR]

Works with Keras on whatever backend KERAS_BACKEND names, JAX or PyTorch included where
TensorFlow is not installed, and without Graphviz (plot_model then prints a note in the
notebook instead of drawing). The backend's default precision is kept (TF32 where it is on).

1. Verdicts: two fresh processes check every exercise's reference, generated mutants and
   equivalents (support/suites.py): one on the accelerator, one with it hidden. Every verdict
   must be equal.
2. Notebooks: every lesson and exercise runs in a fresh kernel (nbclient) on the accelerator;
   each one's time and outcome is recorded.
3. The report: OUT/gpu_check.json and OUT/gpu_check.md (device, backend, versions, times,
   whether every verdict equals the CPU's). Exit status 0 only when everything passed.

`--cpu` runs the "accelerator" pass on the CPU too (no GPU needed); `--quick` takes one
exercise and one notebook. The test suite runs `--cpu --quick` so that the script cannot rot.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HIDE_ACCELERATOR = {"CUDA_VISIBLE_DEVICES": "", "JAX_PLATFORMS": "cpu"}

VERDICTS = r"""
import importlib, json, sys, time
import keras
import kfunc_lessons as kl
from kfunc_lessons.core.environment import environment_report
from kfunc_lessons.course.references import build_solution
from support.suites import EQUIVALENTS, run_mutants
exercises = kl.list_exercises()[: int(sys.argv[1])]
started = time.perf_counter()
verdicts = {}
for ex in exercises:
    outcomes, rejected = run_mutants(ex)
    verdicts[ex] = {
        "reference": kl.check(ex, build_solution(ex)).status,
        "mutants": [[o.description.split(":")[0], o.status, o.named] for o in outcomes],
        "rejected_by_keras": rejected,
        "equivalents": {n: kl.check(ex, b()).status for n, b in EQUIVALENTS[ex].items()},
    }
backend = keras.backend.backend()
versions = {"keras": keras.__version__, backend: importlib.import_module(backend).__version__}
print(json.dumps({"environment": environment_report(), "versions": versions, "verdicts": verdicts,
                  "seconds": round(time.perf_counter() - started, 1)}))
"""


def verdicts_in_child(count: int, hide_accelerator: bool) -> dict:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    if hide_accelerator:
        env.update(HIDE_ACCELERATOR)
    done = subprocess.run([sys.executable, "-c", VERDICTS, str(count)], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        return {"error": done.stderr[-3000:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_notebook(path: Path, workdir: Path) -> dict:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(workdir)}})
    started = time.perf_counter()
    try:
        client.execute()
        error = None
    except CellExecutionError as exc:
        error = str(exc).strip().splitlines()[-1][:300]
    except Exception as exc:  # a dead kernel, a timeout: recorded, the run goes on
        error = f"{type(exc).__name__}: {exc}"[:300]
    return {"notebook": path.relative_to(ROOT).as_posix(),
            "seconds": round(time.perf_counter() - started, 1), "error": error}


def markdown(report: dict) -> str:
    lines = [f"# GPU check ({report['mode']})", "", "```", report["environment"], "```", "",
             f"- versions: {report['versions']}",
             f"- verdicts: {report['verdict_count']} checked on each device in "
             f"{report['accelerator_seconds']} s (accelerator) and {report['cpu_seconds']} s "
             f"(CPU); every verdict equal to the CPU's: **{report['verdicts_equal']}**"]
    if report["differences"]:
        lines += ["", "Differences (exercise, index, accelerator, CPU):", ""]
        lines += [f"- {d}" for d in report["differences"]]
    lines += ["", "| notebook | seconds | result |", "| --- | ---: | --- |"]
    lines += [f"| {n['notebook']} | {n['seconds']} | {n['error'] or 'ran to the end'} |"
              for n in report["notebooks"]]
    return "\n".join(lines) + "\n"


def differences(gpu: dict, cpu: dict) -> list[str]:
    found = []
    for ex, want in cpu["verdicts"].items():
        got = gpu["verdicts"].get(ex)
        if got == want:
            continue
        for key in ("reference", "rejected_by_keras", "equivalents"):
            if got is None or got[key] != want[key]:
                found.append(f"{ex} {key}: {got and got[key]} vs {want[key]}")
        for i, (a, b) in enumerate(zip(got["mutants"] if got else [], want["mutants"])):
            if a != b:
                found.append(f"{ex} mutant {i}: {a} vs {b}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", action="store_true", help="no accelerator: both passes on CPU")
    parser.add_argument("--quick", action="store_true", help="one exercise, one notebook")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    # The package from this checkout, also in the notebooks' kernels (no install needed).
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT),
                                                             os.environ.get("PYTHONPATH")]))
    if args.cpu:
        os.environ.update(HIDE_ACCELERATOR)
    count = 1 if args.quick else 99
    accelerator = verdicts_in_child(count, hide_accelerator=False)
    cpu = verdicts_in_child(count, hide_accelerator=True)
    for name, run in (("accelerator", accelerator), ("CPU", cpu)):
        if "error" in run:
            print(f"the {name} verdict pass failed:\n{run['error']}", file=sys.stderr)
            return 1
    notebooks = sorted((ROOT / "lessons").glob("[0-9]*.ipynb"))
    notebooks += sorted((ROOT / "exercises").glob("[0-9]*.ipynb"))
    workdir = args.out / "gpu-check-notebooks"
    workdir.mkdir(parents=True, exist_ok=True)
    ran = [run_notebook(path, workdir) for path in notebooks[: 1 if args.quick else None]]
    found = differences(accelerator, cpu)
    report = {
        "mode": "CPU mode (no accelerator)" if args.cpu else "accelerator",
        "environment": accelerator["environment"],
        "versions": accelerator["versions"],
        "verdict_count": sum(1 + len(v["mutants"]) + len(v["equivalents"])
                             for v in cpu["verdicts"].values()),
        "accelerator_seconds": accelerator["seconds"],
        "cpu_seconds": cpu["seconds"],
        "verdicts_equal": not found,
        "differences": found,
        "notebooks": ran,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "gpu_check.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "gpu_check.md").write_text(markdown(report))
    print(markdown(report))
    return 0 if not found and not any(n["error"] for n in ran) else 1


if __name__ == "__main__":
    sys.exit(main())
