"""One executor for every lesson and exercise notebook in a test run: each runs once, in a
real kernel, into a run-scoped folder that every check reads (pass/fail, the expected
errors, the site build). Safe across pytest-xdist workers: the first one to need the
notebooks executes them under a lock; the others read what it wrote."""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("lessons", "exercises")
RECORD = "executions.jsonl"  # one line per notebook execution, for the run-once test
_RECORDING = threading.Lock()


@dataclass(frozen=True)
class Executed:
    """One notebook after its run: the executed copy, and the error that stopped it."""

    source: Path
    path: Path
    error: str | None
    seconds: float


def notebooks() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (ROOT / folder).glob("[0-9][0-9]_*.ipynb"))


def _execute(source: Path, target: Path, record: Path) -> Executed:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(source, as_version=4)
    start, error = time.perf_counter(), None
    with _RECORDING, record.open("a") as log:
        log.write(json.dumps({"notebook": f"{source.parent.name}/{source.name}",
                              "pid": os.getpid()}) + "\n")
    try:  # cells tagged raises-exception may raise; any other error stops the notebook
        NotebookClient(notebook, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(source.parent)}}).execute()
    except CellExecutionError as exc:
        error = str(exc)[-4000:]
    except Exception as exc:  # a kernel that died, a timeout: the notebook failed
        error = f"{type(exc).__name__}: {exc}"[-4000:]
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    return Executed(source, target, error, time.perf_counter() - start)


def execute_once(shared: Path) -> dict[str, Executed]:
    """Every notebook executed once into ``shared`` (by whichever process gets here first);
    keyed by 'lessons/01_sequential.ipynb'."""
    shared.mkdir(parents=True, exist_ok=True)
    done = shared / "done.json"
    with (shared / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            # Kernels read the course's IPython profile, as the site build's kernels do.
            os.environ["IPYTHONDIR"] = str(ROOT / "scripts" / "ipython")
            # Two kernels at a time: a kernel's start and its Python are single-threaded, so
            # two keep both cores busy while the other xdist worker waits for the notebooks.
            with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
                results = list(pool.map(lambda source: _execute(
                    source, shared / "executed" / source.parent.name / source.name,
                    shared / RECORD), notebooks()))
            done.write_text(json.dumps([
                {"source": str(r.source), "path": str(r.path), "error": r.error,
                 "seconds": round(r.seconds, 1)} for r in results], indent=1))
    return {f"{Path(r['source']).parent.name}/{Path(r['source']).name}":
            Executed(Path(r["source"]), Path(r["path"]), r["error"], r["seconds"])
            for r in json.loads(done.read_text())}


def executions(shared: Path) -> list[str]:
    """The notebooks executed in this run, once per execution."""
    path = shared / RECORD
    return [json.loads(line)["notebook"] for line in path.read_text().splitlines()] \
        if path.exists() else []
