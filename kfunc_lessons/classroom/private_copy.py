"""A learner's folder copied into a private one before any of their code runs.

The copy holds regular files and folders only. A symbolic link is followed only when it
points inside the learner's own folder (so a link to another student's folder, or to a file
elsewhere on the machine, is never read or written through); named pipes, sockets and
devices are left out, since reading them can block or touch hardware. Limits on files,
bytes and depth keep one submission from filling the disk. Everything left out is listed,
with the reason, in `Copy.skipped`. Nothing here raises for what the folder holds: a folder
that cannot be read at all is `Copy.error`.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from kfunc_lessons.core.safe_text import file_name

MAX_FILES = 2000
MAX_BYTES = 512 * 2**20
MAX_DEPTH = 8
_CHUNK = 2**20


@dataclass
class Copy:
    """What `private_copy` made: the copy's path, what it left out, or why it failed."""

    path: Path
    skipped: list[str] = field(default_factory=list)
    error: str | None = None


def private_copy(source: Path, target: Path) -> Copy:
    """Copy the folder ``source`` to ``target`` (which must not exist yet)."""
    copy = Copy(target)
    budget = {"files": MAX_FILES, "bytes": MAX_BYTES}
    try:
        root = Path(os.path.realpath(source))
        target.mkdir(mode=0o700)
        _copy_folder(root, root, target, 0, copy, budget)
    except OSError as exc:
        copy.error = (f"the folder {file_name(source.name)} could not be read "
                      f"({exc.strerror or type(exc).__name__})")
    return copy


def _inside(root: Path, path: str) -> bool:
    return os.path.commonpath([str(root), path]) == str(root)


def _copy_folder(root: Path, folder: Path, target: Path, depth: int, copy: Copy,
                 budget: dict[str, int]) -> None:
    with os.scandir(folder) as entries:
        listed = sorted(entries, key=lambda e: e.name)
    for entry in listed:
        shown = file_name(Path(entry.path).relative_to(root))
        source = entry.path
        if entry.is_symlink():
            resolved = os.path.realpath(source)
            if not _inside(root, resolved):
                copy.skipped.append(f"{shown}: a link to outside the folder")
                continue
            source = resolved
        try:
            info = os.stat(source, follow_symlinks=False)
        except OSError:
            copy.skipped.append(f"{shown}: cannot be read")
            continue
        if stat.S_ISDIR(info.st_mode):
            if depth >= MAX_DEPTH or source == str(folder):
                copy.skipped.append(f"{shown}: folders nested too deep")
                continue
            (target / entry.name).mkdir(mode=0o700)
            _copy_folder(root, Path(source), target / entry.name, depth + 1, copy, budget)
        elif not stat.S_ISREG(info.st_mode):
            copy.skipped.append(f"{shown}: not a regular file (a pipe, socket or device)")
        elif budget["files"] <= 0 or info.st_size > budget["bytes"]:
            copy.skipped.append(f"{shown}: over the copy's limits ({MAX_FILES} files, "
                                f"{MAX_BYTES // 2**20} MB)")
        else:
            budget["files"] -= 1
            budget["bytes"] -= _copy_file(source, target / entry.name, budget["bytes"])


def _copy_file(source: str, target: Path, limit: int) -> int:
    """Copy one regular file without following a link swapped in meanwhile."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(source, flags)
    copied = 0
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return 0
        with open(target, "xb") as out:
            while copied <= limit and (chunk := os.read(fd, _CHUNK)):
                out.write(chunk)
                copied += len(chunk)
    finally:
        os.close(fd)
    return copied
