"""Regrade only what changed: the verdicts of a class run, kept by what decided them.

A verdict is stored under a key made of the exercise, the student, the file's exact bytes, the
bytes of every other file in the student's folder that is not an exercise file (a module the
file imports), the time and memory limits, and what grades it (this package's version and
sources, Keras's, the backend's and NumPy's versions, the grader's data). A later run over
the same folders reuses the verdict of every file whose key it finds, and runs the others.
Only verdicts on the model (passed, failed) are kept: an error (a time-out, a crash, the
grader's own failure) may not happen again, so it is always run anew.

The other exercise files of the folder are not in the key, so that one changed file does not
regrade a student's others: an exercise file that reads another exercise file (none of the
course's do) is not regraded when only that one changes; `grade-class --fresh` regrades
everything.

The cache is the grader's file, written after every learner process has ended, in the
report folder; a file that is missing, unreadable or from another version is ignored and
replaced.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from kfunc_lessons.classroom.atomic import write_atomically
from kfunc_lessons.core.picture import Picture
from kfunc_lessons.core.result import CheckResult

FILE_NAME = ".kfunc-verdicts.json"
_KEPT = ("passed", "failed")


@cache
def _grader() -> str:
    """What grades a file: a verdict from a different grader is never reused (a development
    version keeps its number across changes, so the package's own sources count too)."""
    import keras
    import numpy

    import kfunc_lessons
    from kfunc_lessons.course.data_files import MANIFEST, data_dir, sha256

    package = Path(kfunc_lessons.__file__).parent
    sources = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        sources.update(path.relative_to(package).as_posix().encode() + path.read_bytes())
    backend = keras.backend.backend()
    library = __import__(backend) if backend in ("tensorflow", "jax", "torch") else None
    return (f"{kfunc_lessons.__version__} {sources.hexdigest()[:16]} keras {keras.__version__} "
            f"{backend} {getattr(library, '__version__', '?')} numpy {numpy.__version__} "
            f"data {sha256((data_dir() / MANIFEST).read_bytes())}")


def key(exercise_id: str, content: bytes, *context: str) -> str:
    """The key of a verdict on this exercise for a file holding ``content``; ``context``:
    whatever else the verdict depends on (the student, their folder's other files, the
    limits)."""
    digest = hashlib.sha256()
    # (a file name need not be UTF-8: its bytes are what the key keeps)
    for part in (_grader().encode(), exercise_id.encode(), content,
                 *(c.encode("utf-8", "surrogateescape") for c in context)):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


class VerdictCache:
    """Verdicts by key, read from (unless not ``reuse``) and saved to
    ``folder``/.kfunc-verdicts.json."""

    def __init__(self, folder: Path | str, reuse: bool = True):
        self.path = Path(folder) / FILE_NAME
        self.reused = 0
        self._stored = self._read() if reuse else {}
        self._now: dict[str, CheckResult] = {}

    def _read(self) -> dict[str, dict]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except Exception:  # unreadable, not JSON, nested past the parser's depth: start over
            return {}
        if not isinstance(data, dict) or data.get("grader") != _grader():
            return {}
        verdicts = data.get("verdicts")
        return verdicts if isinstance(verdicts, dict) else {}

    def get(self, key: str) -> CheckResult | None:
        """The stored verdict, or None (also for an entry that does not read back)."""
        entry = self._stored.get(key)
        try:
            result = CheckResult.from_dict(entry["result"])  # type: ignore[index]
            if result.status not in _KEPT:
                return None
            if entry.get("picture") is not None:  # type: ignore[union-attr]
                result.picture = Picture.from_dict(entry["picture"])  # type: ignore[index]
            drawing = entry.get("drawing")  # type: ignore[union-attr]
            result.drawing = drawing if isinstance(drawing, str) else None
        except Exception:  # an entry that does not read back is graded again
            return None
        self.reused += 1
        self._now[key] = result
        return result

    def put(self, key: str, result: CheckResult) -> None:
        if result.status in _KEPT:
            self._now[key] = result

    def save(self) -> None:
        """Write the verdicts of this run (reused or new), with the pictures drawn for the
        report; those of files gone are dropped."""
        verdicts = {k: {"result": r.to_dict(),
                        "picture": r.picture.to_dict() if r.picture is not None else None,
                        "drawing": r.drawing} for k, r in self._now.items()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path, json.dumps({"grader": _grader(), "verdicts": verdicts}))
