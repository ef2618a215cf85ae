"""Who a learner's code runs as, and the end of every process it starts.

**As root** (Gradescope, containers, CI runners, Colab) each learner's code runs as a user of
its own, `LearnerUser`: a numeric uid and gid (``KFUNC_LEARNER_UID``, default 60000, plus a
slot number) with no supplementary groups, no login and no files but its private copy and
its hand-over folder. The package, the references, the other students' copies and
hand-overs, and every output the grader writes belong to root and are out of its reach; it
cannot signal, trace or read the memory of the grader. When its job ends, everything that
runs as that uid is killed (`end_user_processes`), wherever it moved (a new session, a new
process group, a double fork).

**Unprivileged** (a teacher's own account) the code runs as the teacher, with the teacher's
rights: nothing here can stop it from writing the teacher's files or signalling the
grader. What still holds: it never runs in the grading process; the server that forks the
learners' processes is their subreaper, so every process they start, orphaned or not, ends
up as that server's child and is killed (`end_orphans`) before any result is written.

Linux only: elsewhere (macOS, Windows) neither switch is made, and the docs say so.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LearnerUser", "become_subreaper", "drop_to", "end_orphans", "end_user_processes",
           "learner_user", "privileged"]

_PR_SET_CHILD_SUBREAPER = 36
_DEFAULT_UID_BASE = 60000  # Debian's range for users created on demand; none log in
# Processes and threads one learner user may have at once (TensorFlow starts a few dozen
# threads per process): a fork bomb hits this instead of the machine.
_MAX_TASKS = 1024
_MAX_FILE_BYTES = 2**30  # no file a learner writes grows past this (a full disk otherwise)
_SWEEP_ROUNDS = 200
_RANGE, _RANGES = 100_000, 64  # uids per grader running at once (one per student), graders
_HELD_LOCKS: list[int] = []


@dataclass(frozen=True)
class LearnerUser:
    """The unprivileged identity one learner's code runs as (root mode only)."""

    uid: int
    gid: int


def privileged() -> bool:
    """Whether this process can run learners' code as users of their own (Linux root)."""
    return sys.platform.startswith("linux") and os.geteuid() == 0


def learner_user(slot: int) -> LearnerUser | None:
    """The identity for the ``slot``-th learner of this run, or None when not root (or
    when another user could not even import Python here: then a warning says so)."""
    if not privileged() or not _python_readable_by_everyone():
        return None
    base = _uid_base()
    return LearnerUser(base + slot, base + slot)


_base_lock = threading.Lock()


def _uid_base() -> int:
    """`_held_uid_base`, once per process whichever thread asks first (a second asker would
    find the range locked by the first and take another)."""
    with _base_lock:
        return _held_uid_base()


@functools.cache
def _held_uid_base() -> int:
    """The first uid of this grader's range: ``KFUNC_LEARNER_UID`` (default 60000), or the
    next free range of `_RANGE` uids after it. Each grader holds a lock on its range while it
    runs, so two graders on one machine (two teachers' runs, parallel tests) never share a
    uid: one's clean-up, which ends every process of its learners' uids, would end the
    other's learners. The lock's file descriptor stays in this process (the learners' server
    is a fresh interpreter, and closes it), so no learner's code can release it."""
    import fcntl
    import tempfile

    base = int(os.environ.get("KFUNC_LEARNER_UID", _DEFAULT_UID_BASE))
    # In a folder of root's alone: in a world-writable one (/run/lock, /tmp) a learner could
    # plant or remove a lock file and make two graders share a range.
    folder = Path("/run" if Path("/run").is_dir() else tempfile.gettempdir()) / "kfunc-lessons"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(folder)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o077:
            raise PermissionError(f"{folder} is not a folder of root's alone")
    except OSError as exc:
        print(f"kfunc-lessons: learners' uids from {base} without a lock ({exc}): run one "
              "grader at a time on this machine", file=sys.stderr)
        return base
    for candidate in range(base, base + _RANGES * _RANGE, _RANGE):
        try:
            fd = os.open(folder / f"uids-{candidate}.lock",
                         os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        _HELD_LOCKS.append(fd)  # held until this process ends
        return candidate
    raise RuntimeError(f"{_RANGES} graders already run on this machine as root; wait for one "
                       "to end, or give this one a KFUNC_LEARNER_UID of its own")


def _readable_by_everyone(path: Path) -> bool:
    """Whether any user may read the folder ``path`` (every folder above it passable)."""
    try:
        if not path.stat().st_mode & stat.S_IROTH:
            return False
        return all(parent.stat().st_mode & stat.S_IXOTH for parent in (path, *path.parents))
    except OSError:
        return True  # a path that is not there holds nothing to import


@functools.cache
def _python_readable_by_everyone() -> bool:
    import sysconfig

    folders = {Path(sysconfig.get_paths()["stdlib"]), Path(__file__).resolve().parent.parent,
               *(Path(p) for p in sys.path if p and Path(p).is_dir())}
    unreadable = sorted(str(f) for f in folders if not _readable_by_everyone(f))
    if unreadable:
        print(f"kfunc-lessons: running as root, but other users cannot read "
              f"{unreadable[0]}, so learners' code cannot run as a user of its own and runs "
              "as root, without that protection. Install Python and kfunc-lessons where "
              "every user can read them (as the Gradescope set-up does).", file=sys.stderr)
    return not unreadable


def give_to(path: Path, user: LearnerUser | None) -> None:
    """Make ``path`` (a folder the grader created, and all it holds) the learner's alone."""
    if user is None:
        return
    for folder, dirs, files in os.walk(path):
        os.chown(folder, user.uid, user.gid, follow_symlinks=False)
        for name in dirs + files:
            os.chown(os.path.join(folder, name), user.uid, user.gid, follow_symlinks=False)
    os.chmod(path, 0o700)


def drop_to(user: LearnerUser | None, home: str) -> None:
    """In the learner's process, before any of its code: become ``user`` for good."""
    os.environ["HOME"] = home
    os.environ["TMPDIR"] = home
    if user is None:
        return
    import resource

    resource.setrlimit(resource.RLIMIT_NPROC, (_MAX_TASKS, _MAX_TASKS))
    resource.setrlimit(resource.RLIMIT_FSIZE, (_MAX_FILE_BYTES, _MAX_FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.setgroups([])
    os.setresgid(user.gid, user.gid, user.gid)
    os.setresuid(user.uid, user.uid, user.uid)
    if os.geteuid() != user.uid or os.getegid() != user.gid:  # never run as root by mistake
        os._exit(70)


def _live_processes() -> list[tuple[int, int, int]]:
    """(pid, parent pid, real uid) of every process that is not a zombie."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            status = Path(entry.path, "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("State", "").strip().startswith(("Z", "X")):
            continue
        found.append((int(entry.name), int(fields["PPid"]), int(fields["Uid"].split()[0])))
    return found


def end_user_processes(*users: LearnerUser | None) -> bool:
    """Kill every process of each of ``users``; True once none is left (root mode only).

    ``kill(-1, SIGKILL)`` sent *as that user* reaches exactly its processes, however they
    detached themselves; it is repeated until none is left, so a process that forked in
    between is caught in the next round. One look at the process table serves every user
    in a round (a class's clean-up asks for hundreds).
    """
    wanted = {user.uid: user for user in users if user is not None}
    if not wanted:
        return True
    for _ in range(_SWEEP_ROUNDS):
        alive = wanted.keys() & {uid for _, _, uid in _live_processes()}
        if not alive:
            return True
        for uid in alive:
            subprocess.run([sys.executable, "-I", "-S", "-c",
                            "import os, signal; os.kill(-1, signal.SIGKILL)"],
                           user=uid, group=wanted[uid].gid, extra_groups=[], check=False,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        time.sleep(0.01)
    return False


def become_subreaper() -> None:
    """Adopt every orphaned descendant of this process (Linux; a no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def end_orphans(parent: int, keep: set[int]) -> bool:
    """Kill the children of ``parent`` (the subreaper) other than ``keep``, and whatever
    they leave orphaned, until none is left; True when that was reached."""
    for _ in range(_SWEEP_ROUNDS):
        strays = [pid for pid, ppid, _ in _live_processes() if ppid == parent
                  and pid not in keep]
        if not strays:
            return True
        for pid in strays:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)
    return False
