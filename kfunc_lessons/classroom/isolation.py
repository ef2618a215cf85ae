"""Run a learner's code in a process of its own and hand its model over to the grader.

The guarantee: **the verdict is computed in the grading process, in which no learner code
ever ran.** The learner's code runs in a child process; whatever it does (exit, crash, loop,
flood its output, patch `kfunc_lessons` or Keras) ends with that child. The child hands back
one of two things through a hand-over folder:

- the model, saved in Keras's own ``.keras`` format. The grading process rebuilds it with
  ``safe_mode=True``, which deserialises configurations and weights but no Python code, and
  grades the rebuilt copy itself;
- or, for objects that cannot travel that way (``...``, ``None``, a layer, a subclassed
  model, a custom layer class or a Lambda function), the verdict the child computed. Such a
  verdict is accepted only when it is *not* a pass: learner code can make its own grade
  worse, never better.

Who the child runs as, and how every process it starts is ended before a result is
written, is `kfunc_lessons.classroom.sandbox`'s job: as root, a user of its own; always, a sweep of
whatever it left behind. The hand-over folder is read without following links, and only
regular files of bounded size are taken from it.

Children are forked from a server process that has imported Keras and this package and run
nothing else (``multiprocessing``'s forkserver), so TensorFlow's import is paid once per
command, not once per file.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import resource
import signal
import stat
import sys
import threading
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING

from kfunc_lessons.classroom import sandbox
from kfunc_lessons.classroom.learner_files import (
    DEFAULT_TIMEOUT,
    Chunk,
    LearnerFileError,
    run_chunks,
)
from kfunc_lessons.classroom.sandbox import LearnerUser
from kfunc_lessons.core.result import CheckResult
from kfunc_lessons.course.portable import as_graph, only_builtin_objects

if TYPE_CHECKING:
    import keras

__all__ = ["DEFAULT_TIMEOUT", "Handover", "Job", "run_isolated", "run_isolated_batch",
           "sweep", "warm_up"]
# What the server imports once for all children. This module itself imports Keras only
# inside functions, so that the command line can start the server before its own import.
# The API too, before any learner code: then the learner's process can tell the genuine
# kl.check from one the learner replaced (`learner_files.run_chunks`).
_PRELOAD = ["keras", "kfunc_lessons.api", "kfunc_lessons.course.checking",
            "kfunc_lessons.classroom.learner_server", __name__]
_MODEL_FILE, _HANDOVER_FILE, _STARTED_FILE = "model.keras", "handover.json", "started"
_MAX_HANDOVER_BYTES = {_HANDOVER_FILE: 2**20, _MODEL_FILE: 256 * 2**20}

# The learners' processes running now, so that a sweep ends only what they left behind.
_running: set[int] = set()
_running_lock = threading.Lock()


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


def stop_server() -> None:
    """End the server at the end of a command (once every learner's process has ended):
    left to notice by itself, it would pay TensorFlow's teardown (a second or so), holding
    the command's output open meanwhile."""
    pid = _server_pid()
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _server_pid() -> int | None:
    """The forkserver's pid: every orphan of a learner's process becomes its child."""
    if _context().get_start_method() != "forkserver":
        return None
    from multiprocessing import forkserver

    return getattr(forkserver._forkserver, "_forkserver_pid", None)


def sweep(user: LearnerUser | None = None) -> bool:
    """End every process a learner's code left behind (all of ``user``'s, as root; every
    orphan of the learners' processes, always). True when nothing is left."""
    ended = sandbox.end_user_processes(user)
    server = _server_pid()
    if server is not None:
        with _running_lock:
            ended = sandbox.end_orphans(server, keep=set(_running)) and ended
    return ended


# ---- the learner's process ----------------------------------------------------------------

def _silence_output() -> None:
    # File-descriptor level, so native code and os.write are silenced too, and a flood of
    # prints costs the child its own time, never the grader's memory or terminal.
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)


def _close_server_pipes() -> None:
    """Close the pipes to the grader's helper processes that a forked child inherits (the
    resource tracker's, the forkserver's alive pipe): learner code has no use for them."""
    from multiprocessing import forkserver, resource_tracker

    tracker = resource_tracker._resource_tracker
    for holder, attribute in ((tracker, "_fd"), (forkserver._forkserver,
                                                 "_forkserver_alive_fd")):
        fd = getattr(holder, attribute, None)
        if isinstance(fd, int):
            with contextlib.suppress(OSError):
                os.close(fd)
            setattr(holder, attribute, None)
    if hasattr(tracker, "_pid"):
        tracker._pid = None


def _write_handover(outdir: Path, data: dict) -> None:
    partial = outdir / f"{_HANDOVER_FILE}.partial"
    partial.write_text(json.dumps(data))
    partial.replace(outdir / _HANDOVER_FILE)


def _hand_over(exercise_id: str, model: object, outdir: Path) -> None:
    import keras

    if isinstance(model, keras.Model) and only_builtin_objects(portable := as_graph(model)):
        path = outdir / _MODEL_FILE
        try:
            portable.save(path)
        except Exception:
            path.unlink(missing_ok=True)
        else:
            _write_handover(outdir, {"handover": "model"})
            return
    # What cannot travel as a model (not one, code of the learner's own, a save that
    # failed): its verdict, which the grader accepts only when it is not a pass. A teacher's
    # exercise is not known here (this process never loads their module, which holds the
    # solution): its verdict says what is wrong without the reference.
    from kfunc_lessons.course.checking import check_exercise as check
    from kfunc_lessons.course.exercises import UnknownExercise
    from kfunc_lessons.course.portable import untravelled

    try:
        result = check(exercise_id, model)
    except UnknownExercise:
        result = untravelled(exercise_id, model)
    _write_handover(outdir, {"handover": "verdict", "result": result.to_dict()})


@dataclass(frozen=True)
class Job:
    """One learner file's code, for `run_isolated_batch`."""

    exercise_id: str
    chunks: list[Chunk]
    file_name: str
    folder: str = "."  # where the file sits, relative to the private copy


def _learner_process(jobs: list[Job], workdir: str, outdir: str, memory_limit: int | None,
                     user: LearnerUser | None) -> None:
    os.setpgrp()  # one process group, so a timeout also ends whatever the code started
    _silence_output()
    _close_server_pipes()
    if memory_limit:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    sandbox.drop_to(user, home=workdir)
    import keras

    python_path = list(sys.path)
    for index, job in enumerate(jobs):
        folder = Path(outdir) / str(index)
        folder.mkdir()
        (folder / _STARTED_FILE).touch()  # the grading process times each job from here
        # Each file starts where a fresh kernel would: its folder, Keras's automatic layer
        # names counted from the start, the default dtype policy.
        here = os.path.join(workdir, job.folder)
        os.chdir(here)
        sys.path[:] = [here, *python_path]  # as in Jupyter: files next to the notebook import
        keras.backend.clear_session(free_memory=False)
        keras.config.set_dtype_policy("float32")
        try:
            model = run_chunks(job.chunks, job.file_name)
        except LearnerFileError as exc:
            _write_handover(folder, {"handover": "error", "message": str(exc)})
            continue
        _hand_over(job.exercise_id, model, folder)


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


def _not_started(exercise_id: str, exitcode: int | None) -> Handover:
    """The process ended before any learner code ran: the grading environment's fault."""
    return Handover(result=CheckResult(
        exercise_id, "error", "the grader could not start the process that runs your code "
        f"(it ended with status {exitcode} before your code ran). This is the grading "
        "environment's fault, not your code's: tell your teacher.", step="grader"))


def _read_bounded(folder_fd: int, name: str) -> bytes | None:
    """A regular file from a folder the learner could write: no links followed, bounded."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder_fd)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_HANDOVER_BYTES[name]:
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            return handle.read(_MAX_HANDOVER_BYTES[name] + 1)
    finally:
        os.close(fd)


def _open_folder(outdir: Path, index: int) -> int | None:
    """Job ``index``'s folder, opened without following a link the learner put there."""
    parent = os.open(outdir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        return os.open(str(index), os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW,
                       dir_fd=parent)
    except OSError:
        return None
    finally:
        os.close(parent)


def _files_in(folder: int) -> tuple[bytes | None, bytes | None]:
    return _read_bounded(folder, _HANDOVER_FILE), _read_bounded(folder, _MODEL_FILE)


def _handed_over(outdir: Path, index: int) -> tuple[bytes | None, bytes | None]:
    """(handover.json, model.keras) of job ``index``, as they are now, or None each."""
    folder = _open_folder(outdir, index)
    if folder is None:
        return None, None
    try:
        return _files_in(folder)
    finally:
        os.close(folder)


def _read_handover(exercise_id: str, folder: Path, exitcode: int | None) -> Handover:
    """The hand-over in ``folder`` (one job's), as the grading process reads it."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        return _read_files(exercise_id, *_files_in(fd), exitcode)
    finally:
        os.close(fd)


def _read_files(exercise_id: str, handover: bytes | None, model: bytes | None,
                exitcode: int | None) -> Handover:
    if handover is None:
        return _ended_early(exercise_id, exitcode)
    try:
        data = json.loads(handover)
        kind = data["handover"]
    except (ValueError, KeyError, TypeError, RecursionError):
        return _error(exercise_id, "the process running your code handed over something "
                      "unreadable instead of `model`.")
    if kind == "error":
        return _error(exercise_id, str(data.get("message")))
    if kind == "model":
        return _rebuild(exercise_id, model)
    try:
        result = CheckResult.from_dict(data.get("result"))
    except (KeyError, TypeError, ValueError, AttributeError):
        return _error(exercise_id, "the process running your code handed over an unreadable "
                      "verdict.")
    if result.passed or result.exercise != exercise_id:
        return _error(exercise_id, "the process running your code handed over a verdict "
                      "that only the grader can give. Check your model in your notebook "
                      "with kl.check(...).")
    return Handover(result=result)


def _rebuild(exercise_id: str, model: bytes | None) -> Handover:
    """Rebuild the model from its bytes, copied first into a folder only the grader reads."""
    import keras

    failed = _error(exercise_id, "your model could not be rebuilt for grading outside your "
                    "code. Check it in your notebook with kl.check(...).")
    if model is None:
        return failed
    with TemporaryDirectory(prefix="kfunc-model-") as private:
        path = Path(private) / _MODEL_FILE
        path.write_bytes(model)
        try:
            return Handover(model=keras.models.load_model(path, compile=False,
                                                          safe_mode=True))
        except Exception as exc:
            return _error(exercise_id, "your model could not be rebuilt for grading outside "
                          f"your code ({type(exc).__name__}). Check it in your notebook with "
                          "kl.check(...).")


def _kill_group(pid: int | None) -> None:
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _timed_out(exercise_id: str, timeout: float) -> Handover:
    return _error(exercise_id, f"your code ran longer than {timeout:g} s, the time limit, and "
                  "was stopped. Look for an endless loop (or raise the limit with --timeout "
                  "SECONDS).")


def _out_of_budget(exercise_id: str) -> Handover:
    return _error(exercise_id, "your code was stopped when the time for the whole submission "
                  "ran out. Look for a slow or endless loop, in this file or the ones before.")


def _not_run(exercise_id: str, budget: float | None) -> Handover:
    spent = f" ({budget:g} s)" if budget is not None else ""
    return _error(exercise_id, f"not run: the time for the whole submission{spent} was spent "
                  "on your files before this one. Look for a slow or endless loop in them.")


def run_isolated(exercise_id: str, chunks: list[Chunk], file_name: str, workdir: Path, *,
                 timeout: float = DEFAULT_TIMEOUT, memory_limit: int | None = None,
                 user: LearnerUser | None = None) -> Handover:
    """Run one learner file's code in its own process; return its model rebuilt here, or
    a verdict. The same as `run_isolated_batch` with one job."""
    return run_isolated_batch([Job(exercise_id, chunks, file_name)], workdir,
                              timeout=timeout, memory_limit=memory_limit, user=user)[0]


def run_isolated_batch(jobs: list[Job], workdir: Path, *, timeout: float = DEFAULT_TIMEOUT,
                       memory_limit: int | None = None, user: LearnerUser | None = None,
                       budget: float | None = None) -> list[Handover]:
    """Run one learner's files one after another in one process of their own, each in a
    fresh namespace, and return one `Handover` per job, in order.

    Args:
        jobs: the files' code, from `kfunc_lessons.classroom.learner_files.read_chunks`.
        workdir: the directory the code runs in (the learner's private copy).
        timeout: seconds each job may run before the process and all it started are killed.
        memory_limit: bytes of address space the process may use (None: no limit).
        user: who the code runs as (`sandbox.learner_user`; None: this user).
        budget: seconds all the jobs together may run (None: no limit): a platform's time
            limit per submission (Gradescope's is 10 minutes) then leaves time to write the
            verdicts. A job running when it is spent is stopped; the jobs after it do not run.

    One process per learner instead of per file: a fresh process pays TensorFlow's first
    operations again (about 0.2 to 0.6 s a file), a warm one does not. A job that runs over,
    crashes or ends the process gets its error, and the jobs after it run in a new process.
    Every process the code started is ended before this returns.
    """
    deadline = time.monotonic() + budget if budget is not None else None
    handovers: list[Handover] = []
    while len(handovers) < len(jobs):
        if deadline is not None and time.monotonic() >= deadline:
            handovers += [_not_run(job.exercise_id, budget) for job in jobs[len(handovers):]]
            break
        handovers += _run_batch(jobs[len(handovers):], workdir, timeout, memory_limit, user,
                                deadline)
    return handovers


def _run_batch(jobs: list[Job], workdir: Path, timeout: float, memory_limit: int | None,
               user: LearnerUser | None, deadline: float | None = None) -> list[Handover]:
    with TemporaryDirectory(prefix="kfunc-handover-") as private:
        os.chmod(private, 0o711)  # the learner may pass through, not look around
        out = Path(private) / "jobs"  # the learner's; its parent is the grader's alone
        out.mkdir()
        sandbox.give_to(out, user)
        with _running_lock:
            process = _context().Process(
                target=_learner_process,
                args=(jobs, str(workdir), str(out), memory_limit, user))
            process.start()
            _running.add(process.pid)
        current, began, timed_out, spent = -1, time.monotonic(), False, False
        try:
            while process.is_alive():
                process.join(0.05)
                latest = max((i for i in range(len(jobs))
                              if os.path.lexists(out / str(i) / _STARTED_FILE)), default=-1)
                now = time.monotonic()
                if latest != current:
                    current, began = latest, now
                spent = deadline is not None and now >= deadline
                if now - began > timeout or spent:
                    timed_out = True
                    break
        finally:
            _kill_group(process.pid)
            if process.is_alive():
                process.kill()
            process.join()
            with _running_lock:
                _running.discard(process.pid)
            sweep(user)
        handovers = []
        for index, job in enumerate(jobs):
            files = _handed_over(out, index)
            if files[0] is not None:
                handovers.append(_read_files(job.exercise_id, *files, process.exitcode))
                continue
            # The job that did not hand over is the one that ran over or ended the process.
            started = os.path.lexists(out / str(index) / _STARTED_FILE)
            if timed_out and spent:
                handovers.append(_out_of_budget(job.exercise_id) if started
                                 else _not_run(job.exercise_id, None))
            elif timed_out:
                handovers.append(_timed_out(job.exercise_id, timeout))
            elif not started:
                handovers.append(_not_started(job.exercise_id, process.exitcode))
            else:
                handovers.append(_ended_early(job.exercise_id, process.exitcode))
            break
        return handovers

