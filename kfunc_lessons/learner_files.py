"""Run a learner's exercise file (.py or .ipynb) in a fresh namespace and take its ``model``."""

from __future__ import annotations

import contextlib
import io
import traceback
from dataclasses import dataclass
from pathlib import Path

import nbformat


class LearnerFileError(Exception):
    """The learner's file could not be run; the message points at their line."""


@dataclass
class Chunk:
    """A piece of learner code and the name tracebacks should give it."""

    source: str
    label: str  # e.g. "03_residual_add.ipynb, cell 4"


def _strip_magics(source: str) -> str:
    # IPython magics and shell escapes are not Python; they only matter inside Jupyter.
    lines = []
    for line in source.splitlines():
        code = line.lstrip()
        indent = line[: len(line) - len(code)]
        lines.append(f"{indent}pass  # {code}" if code.startswith(("%", "!")) else line)
    return "\n".join(lines)


def read_chunks(path: Path) -> list[Chunk]:
    """The code of a ``.py`` file, or each code cell of an ``.ipynb``, in order."""
    if path.suffix == ".ipynb":
        try:
            notebook = nbformat.read(path, as_version=4)
        except Exception as exc:
            raise LearnerFileError(f"{path.name} is not a readable notebook: {exc}") from exc
        return [
            Chunk(_strip_magics(cell.source), f"{path.name}, cell {number}")
            for number, cell in enumerate(notebook.cells, start=1)
            if cell.cell_type == "code"
        ]
    if path.suffix == ".py":
        return [Chunk(path.read_text(encoding="utf-8"), path.name)]
    raise LearnerFileError(f"{path.name}: expected an exercise .py or .ipynb file")


def _learner_line(exc: BaseException, labels: set[str]) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename in labels]
    if not frames:
        return ""
    frame = frames[-1]
    code = f": {frame.line.strip()}" if frame.line else ""
    return f"{frame.filename}, line {frame.lineno}{code}"


def run_learner_file(path: Path | str) -> object:
    """Execute the file and return its ``model`` variable (``...`` when it was never set).

    Raises:
        LearnerFileError: the file is missing, is not Python, or raised; the message gives
            the learner's own line and error, not a grader traceback.
    """
    path = Path(path)
    if not path.is_file():
        raise LearnerFileError(f"{path} does not exist")
    chunks = read_chunks(path)
    labels = {chunk.label for chunk in chunks}
    namespace: dict = {"__name__": "__main__", "__file__": str(path)}
    for chunk in chunks:
        try:
            code = compile(chunk.source, chunk.label, "exec")
        except SyntaxError as exc:
            raise LearnerFileError(
                f"SyntaxError in {chunk.label}, line {exc.lineno}: {exc.msg}"
                + (f"\n    {exc.text.strip()}" if exc.text else "")
            ) from None
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(code, namespace)
        except Exception as exc:
            where = _learner_line(exc, labels)
            raise LearnerFileError(
                f"your code raised {type(exc).__name__}: {exc}" + (f"\n    at {where}" if where
                                                                  else "")
            ) from None
    if "model" not in namespace:
        raise LearnerFileError(f"{path.name} never defines a variable named `model`; the "
                               "check grades `model`")
    return namespace["model"]
