"""Run a learner's code in a process of its own and hand its model over to the grader.

The guarantee: **the verdict is computed in the grading process, in which no learner code
ever ran.** The learner's code runs in a child process; whatever it does (exit, crash, loop,
flood its output, patch `kfunc_lessons` or Keras) ends with that child. The child hands back
one of two things through a temporary directory:

- the model, saved in Keras's own ``.keras`` format. The grading process rebuilds it with
  ``safe_mode=True``, which deserialises configurations and weights but no Python code, and
  grades the rebuilt copy itself;
- or, for objects that cannot travel that way (``...``, ``None``, a layer, a subclassed
  model, a custom layer class or a Lambda function), the verdict the child computed. Such a
  verdict is accepted only when it is *not* a pass: learner code can make its own grade
  worse, never better.

Children are forked from a server process that has imported Keras and this package and run
nothing else (``multiprocessing``'s forkserver), so TensorFlow's import is paid once per
command, not once per file. This is a process boundary, not a security sandbox: grading
untrusted code from strangers belongs in a container, as Gradescope and CI runners do.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import resource
import signal
import sys
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING

from kfunc_lessons.learner_files import DEFAULT_TIMEOUT, Chunk, LearnerFileError, run_chunks
from kfunc_lessons.result import CheckResult

if TYPE_CHECKING:
    import keras

__all__ = ["DEFAULT_TIMEOUT", "Handover", "Job", "run_isolated", "run_isolated_batch",
           "warm_up"]
# What the server imports once for all children. This module itself imports Keras only
# inside functions, so that the command line can start the server before its own import.
_PRELOAD = ["keras", "kfunc_lessons.api", __name__]
_MODEL_FILE, _HANDOVER_FILE, _STARTED_FILE = "model.keras", "handover.json", "started"


@dataclass
class Handover:
    """What came back from the learner's process: a rebuilt model, or a final verdict."""

    model: keras.Model | None = None
    result: CheckResult | None = None


@cache
def _context():
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
        return context
    return multiprocessing.get_context("spawn")  # Windows: slower (one import per file)


def warm_up() -> None:
    """Start the server that children fork from, so its imports overlap other work."""
    if _context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


# ---- the learner's process ----------------------------------------------------------------

def _silence_output() -> None:
    # File-descriptor level, so native code and os.write are silenced too, and a flood of
    # prints costs the child its own time, never the grader's memory or terminal.
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)


def _portable(model: object) -> object:
    """A keras.Model subclass that only builds a Functional graph travels as that graph."""
    import keras

    from kfunc_lessons.graph import overrides_call

    if (isinstance(model, keras.Model) and not isinstance(model, keras.Sequential)
            and not type(model).__module__.startswith("keras")
            and not overrides_call(model)):
        return keras.Model(model.inputs, model.outputs, name=model.name)
    return model


def _only_builtin_objects(model: keras.Model) -> bool:
    """Whether the model's saved config names nothing but Keras's own classes, so that the
    grading process's ``safe_mode`` reload will rebuild it (checked on the config, which
    costs a fraction of a trial reload)."""
    from keras.saving import serialize_keras_object

    pending = [serialize_keras_object(model)]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            name, module = item.get("class_name"), item.get("module")
            if name in ("Lambda", "__lambda__"):
                return False
            # An object's config ({"class_name", "config", ...}) must come from Keras;
            # "__keras_tensor__", "__numpy__" and the like are data, not objects.
            is_data = isinstance(name, str) and name.startswith("__") and name.endswith("__")
            if (isinstance(name, str) and "config" in item and not is_data
                    and not (isinstance(module, str) and module.startswith("keras"))):
                return False
            pending.extend(item.values())
    return True


def _write_handover(outdir: Path, data: dict) -> None:
    partial = outdir / f"{_HANDOVER_FILE}.partial"
    partial.write_text(json.dumps(data))
    partial.replace(outdir / _HANDOVER_FILE)


def _hand_over(exercise_id: str, model: object, outdir: Path) -> None:
    import keras

    reason = "it is not a Keras model"
    if isinstance(model, keras.Model):
        path = outdir / _MODEL_FILE
        try:
            portable = _portable(model)
            portable.save(path)
            if not _only_builtin_objects(portable):
                # A Lambda's function, a custom class or function: the grader's safe reload
                # may refuse it, so find out here, where a verdict can still be given.
                keras.models.load_model(path, compile=False)
        except Exception as exc:
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            path.unlink(missing_ok=True)
        else:
            _write_handover(outdir, {"handover": "model"})
            return
    from kfunc_lessons.api import check

    _write_handover(outdir, {"handover": "verdict", "reason": reason,
                             "result": check(exercise_id, model).to_dict()})


@dataclass(frozen=True)
class Job:
    """One learner file's code, for `run_isolated_batch`."""

    exercise_id: str
    chunks: list[Chunk]
    file_name: str


def _start_learner_process(workdir: str, memory_limit: int | None) -> None:
    os.setpgrp()  # one process group, so a timeout also ends whatever the code started
    _silence_output()
    if memory_limit:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    os.chdir(workdir)
    sys.path.insert(0, workdir)  # as in Jupyter: files next to the notebook are importable


def _batch_child(jobs: list[Job], workdir: str, outdir: str, memory_limit: int | None) -> None:
    import keras

    _start_learner_process(workdir, memory_limit)
    search_path = list(sys.path)
    for index, job in enumerate(jobs):
        folder = Path(outdir) / str(index)
        folder.mkdir()
        (folder / _STARTED_FILE).touch()  # the grading process times each job from here
        # Each file starts where a fresh kernel would: its folder, the default policy. (Not
        # keras.backend.clear_session(): it makes every later file twice as slow, and layer
        # names do not matter to a verdict.)
        os.chdir(workdir)
        sys.path[:] = search_path
        keras.config.set_dtype_policy("float32")
        try:
            model = run_chunks(job.chunks, job.file_name)
        except LearnerFileError as exc:
            _write_handover(folder, {"handover": "error", "message": str(exc)})
            continue
        _hand_over(job.exercise_id, model, folder)


def _child(exercise_id: str, chunks: list[Chunk], file_name: str, workdir: str, outdir: str,
           memory_limit: int | None) -> None:
    _start_learner_process(workdir, memory_limit)
    try:
        model = run_chunks(chunks, file_name)
    except LearnerFileError as exc:
        _write_handover(Path(outdir), {"handover": "error", "message": str(exc)})
        return
    _hand_over(exercise_id, model, Path(outdir))


# ---- the grading process ------------------------------------------------------------------

def _error(exercise_id: str, message: str) -> Handover:
    return Handover(result=CheckResult(exercise_id, "error", message, step="run"))


def _ended_early(exercise_id: str, exitcode: int | None) -> Handover:
    if exitcode is not None and exitcode < 0:
        number = -exitcode
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = "unknown signal"
        why = (": it was killed, perhaps for using too much memory"
               if number == signal.SIGKILL else "")
        return _error(exercise_id, f"the Python process running your code crashed (signal "
                      f"{number}, {name}){why}, before it handed over `model`.")
    how = ("os._exit(0) or similar" if exitcode == 0
           else f"status {exitcode}, from os._exit() or a native library")
    return _error(exercise_id, f"the Python process running your code ended by itself ({how}) "
                  "before it handed over `model`. Remove the call that ends the process.")


def _read_handover(exercise_id: str, outdir: Path, exitcode: int | None) -> Handover:
    try:
        data = json.loads((outdir / _HANDOVER_FILE).read_text())
        kind = data["handover"]
    except FileNotFoundError:
        return _ended_early(exercise_id, exitcode)
    except (ValueError, KeyError, TypeError):
        return _error(exercise_id, "the process running your code handed over something "
                      "unreadable instead of `model`.")
    if kind == "error":
        return _error(exercise_id, str(data.get("message")))
    if kind == "model":
        import keras

        try:
            return Handover(model=keras.models.load_model(outdir / _MODEL_FILE, compile=False))
        except Exception as exc:
            return _error(exercise_id, "your model could not be rebuilt for grading outside "
                          f"your code ({type(exc).__name__}). Check it in your notebook with "
                          "kl.check(...).")
    try:
        result = CheckResult.from_dict(data["result"])
    except (KeyError, TypeError, ValueError):
        return _error(exercise_id, "the process running your code handed over an unreadable "
                      "verdict.")
    if result.passed or result.exercise != exercise_id:
        return _error(exercise_id, "your model cannot be rebuilt outside your code for grading "
                      f"({data.get('reason')}). Use built-in Keras layers instead of custom "
                      "layer classes or Lambda functions, or check it in your notebook with "
                      "kl.check(...).")
    return Handover(result=result)


def _kill_group(pid: int | None) -> None:
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def run_isolated(exercise_id: str, chunks: list[Chunk], file_name: str, workdir: Path, *,
                 timeout: float = DEFAULT_TIMEOUT,
                 memory_limit: int | None = None) -> Handover:
    """Run learner code in its own process; return its model rebuilt here, or a verdict.

    Args:
        exercise_id: the exercise the code is for.
        chunks: the code, from `kfunc_lessons.learner_files.read_chunks`.
        file_name: the learner's file name, for messages.
        workdir: the directory the code runs in (the file's own, as in Jupyter).
        timeout: seconds before the process and everything it started are killed.
        memory_limit: bytes of address space the process may use (None: no limit).
    """
    with TemporaryDirectory(prefix="kfunc-handover-") as outdir:
        process = _context().Process(
            target=_child, args=(exercise_id, chunks, file_name, str(workdir), outdir,
                                 memory_limit))
        process.start()
        process.join(timeout)
        timed_out = process.is_alive()
        _kill_group(process.pid)
        if process.is_alive():  # stopped before it had its own process group
            process.kill()
        process.join()
        if timed_out:
            return _timed_out(exercise_id, timeout)
        return _read_handover(exercise_id, Path(outdir), process.exitcode)


def _timed_out(exercise_id: str, timeout: float) -> Handover:
    return _error(exercise_id, f"your code ran longer than {timeout:g} s, the time limit, and "
                  "was stopped. Look for an endless loop (or raise the limit with --timeout "
                  "SECONDS).")


def run_isolated_batch(jobs: list[Job], workdir: Path, *, timeout: float = DEFAULT_TIMEOUT,
                       memory_limit: int | None = None) -> list[Handover]:
    """Run one learner's files one after another in one process of their own, each in a
    fresh namespace, and return one `Handover` per job, in order.

    One process per learner instead of per file: a fresh process pays TensorFlow's first
    operations again (about 0.2 to 0.6 s a file), a warm one does not. Each job gets
    ``timeout`` seconds of its own; a job that runs over, crashes or ends the process gets
    its error, and the jobs after it run in a new process.
    """
    handovers: list[Handover] = []
    while len(handovers) < len(jobs):
        handovers += _run_batch(jobs[len(handovers):], workdir, timeout, memory_limit)
    return handovers


def _run_batch(jobs: list[Job], workdir: Path, timeout: float,
               memory_limit: int | None) -> list[Handover]:

    with TemporaryDirectory(prefix="kfunc-handover-") as outdir:
        out = Path(outdir)
        process = _context().Process(target=_batch_child,
                                     args=(jobs, str(workdir), outdir, memory_limit))
        process.start()
        current, began, timed_out = -1, time.monotonic(), False
        while process.is_alive():
            process.join(0.05)
            latest = max((i for i in range(len(jobs)) if (out / str(i) / _STARTED_FILE).exists()),
                         default=-1)
            if latest != current:
                current, began = latest, time.monotonic()
            if time.monotonic() - began > timeout:
                timed_out = True
                break
        _kill_group(process.pid)
        if process.is_alive():
            process.kill()
        process.join()
        handovers = []
        for index, job in enumerate(jobs):
            if (out / str(index) / _HANDOVER_FILE).exists():
                handovers.append(_read_handover(job.exercise_id, out / str(index),
                                                process.exitcode))
                continue
            # The job that did not hand over is the one that ran over or ended the process.
            handovers.append(_timed_out(job.exercise_id, timeout) if timed_out
                             else _ended_early(job.exercise_id, process.exitcode))
            break
        return handovers
