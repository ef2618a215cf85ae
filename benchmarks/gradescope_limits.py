"""A full 9-exercise submission graded under Gradescope's default container limits: 768 MB of
memory and half a CPU, beside the same command with no limits (the yardstick), alternately.

Usage: sudo python benchmarks/gradescope_limits.py [--repeats 3]

The limits are a cgroup (v1 `memory` and `cpu` controllers, or v2's `memory.max` and
`cpu.max`) that the grading command and everything it starts run in; the command is what the
zip's `run_autograder` runs (`kfunc-lessons grade --format gradescope --budget 480`).
Reported: the wall time (median), the peak of the cgroup's anonymous memory (what cannot be
dropped under pressure, sampled every 50 ms; the page cache of TensorFlow's libraries is left
out, as the kernel reclaims it at the limit), the times the kernel killed a process for
memory, and the verdicts. Goal: every verdict right, under 768 MB and under 5 minutes.
Needs root and a writable cgroup hierarchy; where there is none, it says so and writes no
figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.common import write  # noqa: E402
from scripts.solved_exercises import write_solved  # noqa: E402

CGROUP = Path("/sys/fs/cgroup")
MEMORY = 768 * 2**20
CPU_QUOTA, CPU_PERIOD = 50_000, 100_000  # half a CPU


class Limits:
    """A cgroup with Gradescope's limits (v1 or v2), removed on exit."""

    def __init__(self, name: str):
        self.v2 = (CGROUP / "cgroup.controllers").exists()
        if self.v2:
            self.folders = [CGROUP / name]
        else:
            self.folders = [CGROUP / "memory" / name, CGROUP / "cpu" / name]

    def __enter__(self) -> Limits:
        for folder in self.folders:
            folder.mkdir()
        if self.v2:
            (self.folders[0] / "memory.max").write_text(str(MEMORY))
            (self.folders[0] / "memory.swap.max").write_text("0")
            (self.folders[0] / "cpu.max").write_text(f"{CPU_QUOTA} {CPU_PERIOD}")
        else:
            memory, cpu = self.folders
            (memory / "memory.limit_in_bytes").write_text(str(MEMORY))
            swap = memory / "memory.memsw.limit_in_bytes"
            if swap.exists():
                swap.write_text(str(MEMORY))
            (cpu / "cpu.cfs_period_us").write_text(str(CPU_PERIOD))
            (cpu / "cpu.cfs_quota_us").write_text(str(CPU_QUOTA))
        return self

    def __exit__(self, *exc) -> None:
        for folder in self.folders:
            for _ in range(50):  # a killed process leaves the cgroup a moment later
                try:
                    folder.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)

    def enter(self) -> None:
        """Put the calling process into the cgroup (a child's preexec_fn)."""
        for folder in self.folders:
            (folder / "cgroup.procs").write_text(str(os.getpid()))

    def anonymous_bytes(self) -> int:
        stat = self.folders[0] / "memory.stat"
        fields = dict(line.split() for line in stat.read_text().splitlines())
        return int(fields.get("anon") or fields.get("total_rss") or fields.get("rss") or 0)

    def oom_kills(self) -> int:
        events = self.folders[0] / ("memory.events" if self.v2 else "memory.oom_control")
        fields = dict(line.split() for line in events.read_text().splitlines())
        return int(fields.get("oom_kill", 0))


def grade(submission: Path, results: Path, limits: Limits | None) -> dict:
    command = [sys.executable, "-m", "kfunc_lessons.cli", "grade", str(submission),
               "--format", "gradescope", "--budget", "480", "--output", str(results)]
    peak, done = [0], threading.Event()

    def sample():
        while not done.wait(0.05):
            peak[0] = max(peak[0], limits.anonymous_bytes())

    sampler = threading.Thread(target=sample) if limits else None
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL,
                               preexec_fn=limits.enter if limits else None)
    if sampler:
        sampler.start()
    process.wait()
    seconds = time.perf_counter() - start
    done.set()
    if sampler:
        sampler.join()
    report = json.loads(results.read_text()) if results.exists() else {"tests": []}
    return {"seconds": seconds, "peak": peak[0], "status": process.returncode,
            "verdicts": {t["name"]: t["status"] for t in report["tests"]},
            "oom_kills": limits.oom_kills() if limits else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from kfunc_lessons.course.exercises import EXERCISES

    if os.geteuid() != 0 or not os.access(CGROUP, os.W_OK):
        sys.exit("needs root and a writable /sys/fs/cgroup: no figures written")
    limited, free = [], []
    with tempfile.TemporaryDirectory() as work:
        submission = Path(work) / "submission"
        submission.mkdir()
        write_solved(submission, EXERCISES)
        for repeat in range(args.repeats):
            with Limits(f"kfunc-bench-{os.getpid()}-{repeat}") as limits:
                limited.append(grade(submission, Path(work) / f"limited{repeat}.json", limits))
            free.append(grade(submission, Path(work) / f"free{repeat}.json", None))
    right = all(set(r["verdicts"].values()) == {"passed"} and len(r["verdicts"]) == 9
                for r in limited)
    seconds = statistics.median(r["seconds"] for r in limited)
    yardstick = statistics.median(r["seconds"] for r in free)
    peak = max(r["peak"] for r in limited) / 2**20
    kills = sum(r["oom_kills"] for r in limited)
    row = {
        "measure": "kfunc-lessons grade, a full 9-exercise submission, in a cgroup of 768 MB "
                   "and half a CPU (Gradescope's defaults) vs no limits",
        "median": f"{seconds:.0f} s vs {yardstick:.0f} s ({args.repeats} runs each)",
        "peak memory": f"{peak:.0f} MB anonymous, {kills} killed for memory",
        "verdicts": "9 / 9 passed" if right else "WRONG: " + json.dumps(
            [r["verdicts"] for r in limited]),
        "result": f"{seconds / yardstick:.2f}x",
        "goal": "9 / 9 right, < 768 MB, < 300 s",
    }
    print(row)
    print("wrote", write("gradescope_limits", {"Gradescope's default limits": [row]}))


if __name__ == "__main__":
    main()
