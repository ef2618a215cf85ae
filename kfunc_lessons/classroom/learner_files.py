"""Read a learner's exercise file (.py or .ipynb) and run its code in a fresh namespace.

Reading happens in the grading process and runs no learner code: every problem with the
file itself (missing, a directory, empty, not UTF-8, not a notebook, no code) is a
`LearnerFileError` with a one-line message. Running happens in the isolated process of
`kfunc_lessons.classroom.isolation`, never in the process that computes the verdict.
"""

from __future__ import annotations

import ast
import json
import os
import stat
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import nbformat

from kfunc_lessons.core.safe_text import file_name

SUFFIXES = (".ipynb", ".py")
DEFAULT_TIMEOUT = 300  # seconds a learner's code may run before it is stopped


class LearnerFileError(Exception):
    """The learner's file could not be read or run; the message points at their line."""


@dataclass(frozen=True)
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


def _read_regular_file(path: Path) -> bytes:
    """The file's bytes; a pipe, socket or device is refused (reading one can block)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise LearnerFileError(f"{file_name(path.name)} is not a regular file (a pipe, "
                                   "socket or device); give the exercise's .ipynb or .py file")
        with os.fdopen(os.dup(fd), "rb") as handle:
            return handle.read()
    finally:
        os.close(fd)


def _text(path: Path) -> str:
    data = _read_regular_file(path)
    if not data.strip():
        raise LearnerFileError(f"{path.name} is empty: open the exercise notebook, write your "
                               "model in its TODO cell and save it")
    if b"\x00" in data:
        raise LearnerFileError(f"{path.name} is a binary file, not Python code or a notebook")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LearnerFileError(f"{path.name} is not UTF-8 text (byte {exc.start} cannot be "
                               "decoded); save it again as UTF-8") from None


def read_chunks(path: Path | str) -> list[Chunk]:
    """The code of a ``.py`` file, or each code cell of an ``.ipynb``, in order.

    Raises:
        LearnerFileError: the path is missing or a directory, or the file is empty, binary,
            not UTF-8, not a notebook, or holds no code.
    """
    path = Path(path)
    try:
        return _read_chunks(path)
    except OSError as exc:
        raise LearnerFileError(f"{file_name(path.name)} cannot be read "
                               f"({exc.strerror or type(exc).__name__})") from None


def _read_chunks(path: Path) -> list[Chunk]:
    if path.is_dir():
        raise LearnerFileError(f"{path} is a directory; give the exercise's .ipynb or .py file")
    if not path.exists():
        raise LearnerFileError(f"{path} does not exist")
    if path.suffix not in SUFFIXES:
        raise LearnerFileError(f"{path.name}: expected an exercise .py or .ipynb file")
    text = _text(path)
    if path.suffix == ".py":
        return [Chunk(text, path.name)]
    chunks = [Chunk(_strip_magics(source), f"{path.name}, cell {number}")
              for number, source in _code_cells(_notebook(path.name, text))]
    if not any(chunk.source.strip() for chunk in chunks):
        raise LearnerFileError(f"{path.name} has no code cells; the check grades the `model` "
                               "variable your code defines")
    return chunks


def _notebook(name: str, text: str):
    """The notebook in ``text``, read with nbformat; LearnerFileError for anything else."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise LearnerFileError(f"{name} is not a notebook: its JSON is broken at line "
                               f"{exc.lineno} ({exc.msg})") from None
    except RecursionError:
        raise LearnerFileError(f"{name} is not a notebook: its JSON is nested too deeply "
                               "to read") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise LearnerFileError(f"{name} is not a notebook: its JSON holds a value that "
                               f"cannot be read ({_first_line(exc)})") from None
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as exc:
        raise LearnerFileError(f"{name} is not a readable notebook: "
                               f"{_first_line(exc)}") from None


def _code_cells(notebook) -> list[tuple[int, str]]:
    """(cell number, source) of each code cell; a cell whose source is not text is
    reported with its number."""
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise LearnerFileError("the notebook has no list of cells")
    found = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise LearnerFileError(f"cell {number} of the notebook has no text as its source "
                                   f"(found {type(source).__name__}); save the notebook "
                                   "again from Jupyter or Colab")
        found.append((number, source))
    return found


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _learner_line(exc: BaseException, labels: set[str]) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename in labels]
    if not frames:
        return ""
    frame = frames[-1]
    code = f": {frame.line.strip()}" if frame.line else ""
    return f"{frame.filename}, line {frame.lineno}{code}"


def _stopped(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"your code called sys.exit({exc.code!r})"
    if isinstance(exc, KeyboardInterrupt):
        return "your code raised KeyboardInterrupt (an interrupt)"
    return f"your code raised {type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class _Genuine:
    """This package's `check()` and what reaches it, as they were before any learner code
    ran (learner code may replace any of them)."""

    package: object
    package_getattr: object
    api: object
    api_names: tuple
    exercises: frozenset

    @classmethod
    def now(cls) -> _Genuine | None:
        """As they are now; None where the API is not loaded yet (the learners' server
        loads it before any learner code runs)."""
        from kfunc_lessons.course.exercises import active_exercises

        package, api = sys.modules.get("kfunc_lessons"), sys.modules.get("kfunc_lessons.api")
        if package is None or api is None:
            return None
        return cls(package, vars(package).get("__getattr__"), api, tuple(vars(api).items()),
                   frozenset(e.id for e in active_exercises()))

    def is_check(self, value: object) -> bool:
        return self._unchanged() and value is vars(self.api)["check"]

    def reaches_check(self, holder: object, name: str) -> bool:
        """Whether ``holder.name`` is the genuine check, by dictionary lookups alone."""
        if not self._unchanged():
            return False
        if holder is self.api:
            return self.is_check(vars(holder).get(name))
        if holder is self.package and name == "check":
            attributes = vars(holder)
            if "check" in attributes:
                return self.is_check(attributes["check"])
            return attributes.get("__getattr__") is self.package_getattr  # loads api.check
        return False

    def _unchanged(self) -> bool:
        now = vars(self.api)
        return len(now) == len(self.api_names) and all(
            now.get(name, _Genuine) is value for name, value in self.api_names)


def _only_checks_itself(tree: ast.Module, namespace: dict, genuine: _Genuine) -> bool:
    """Whether a chunk is nothing but ``kl.check("<exercise>", model)``: this package's
    genuine `check()` on a known exercise and a model made only of Keras's own classes and
    functions (or ``...`` or None), its result unused. Such a call cannot raise or change
    ``model``, and its verdict would be thrown away; it repeats what the grader does (about
    half of a file's time), so the grader does not run it."""
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return False
    call = tree.body[0].value
    if not (isinstance(call, ast.Call) and not call.keywords and len(call.args) == 2):
        return False
    exercise, model = call.args
    if not (isinstance(exercise, ast.Constant) and isinstance(exercise.value, str)
            and exercise.value in genuine.exercises and isinstance(model, ast.Name)):
        return False
    function = call.func
    try:  # whatever the learner's namespace holds, asking about it never raises
        if isinstance(function, ast.Name):
            found = genuine.is_check(namespace.get(function.id))
        elif isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name):
            found = genuine.reaches_check(namespace.get(function.value.id), function.attr)
        else:
            return False
        return found and model.id in namespace and _made_by_keras(namespace[model.id])
    except BaseException:
        return False


def _made_by_keras(model: object) -> bool:
    """``...``, None, or a Keras Functional or Sequential model of Keras's own classes and
    functions only (types are compared first, so that nothing of the learner's is asked)."""
    if model is Ellipsis or model is None:
        return True
    import keras
    from keras.src.models.functional import Functional

    from kfunc_lessons.course.portable import only_builtin_objects

    return (any(type(model) is kind for kind in (Functional, keras.Sequential))
            and all(type(layer).__module__.startswith("keras.")
                    for layer in model._flatten_layers(include_self=False))
            and only_builtin_objects(model))


def run_chunks(chunks: list[Chunk], file_name: str) -> object:
    """Execute the chunks in one fresh namespace and return its ``model`` variable; a chunk
    that only calls ``kl.check`` on it is left out (`_only_checks_itself`).

    Raises:
        LearnerFileError: the code does not compile, raised, exited or was interrupted
            before the end, or never defined ``model``; the message gives the learner's own
            line, not a grader traceback.
    """
    labels = {chunk.label for chunk in chunks}
    namespace: dict = {"__name__": "__main__", "__file__": file_name}
    genuine = _Genuine.now()
    for chunk in chunks:
        try:
            tree = compile(chunk.source, chunk.label, "exec", ast.PyCF_ONLY_AST)
            code = compile(tree, chunk.label, "exec")
        except SyntaxError as exc:
            raise LearnerFileError(
                f"SyntaxError in {chunk.label}, line {exc.lineno}: {exc.msg}"
                + (f"\n    {exc.text.strip()}" if exc.text else "")
            ) from None
        if genuine is not None and _only_checks_itself(tree, namespace, genuine):
            continue
        try:
            exec(code, namespace)
        except BaseException as exc:  # exits and interrupts end the run like any error
            where = _learner_line(exc, labels)
            defined = "after defining" if _defines_model(namespace) else "before defining"
            stopped = _stopped(exc)
            if not isinstance(exc, Exception):
                stopped += f" {defined} `model`; the check needs your code to run to the end"
            from kfunc_lessons.course.catalogue import explain_error

            explained = explain_error(exc)
            raise LearnerFileError(stopped + (f"\n    at {where}" if where else "")
                                   + (f"\nAbout this error: {explained}" if explained else "")
                                   ) from None
    try:
        return namespace["model"]
    except BaseException:  # not there, or a key of the learner's that collides and raises
        raise LearnerFileError(f"{file_name} never defines a variable named `model`; the "
                               "check grades `model`") from None


def _defines_model(namespace: dict) -> bool:
    """Whether ``model`` can be read from the namespace (a key of the learner's that
    collides with it and raises when compared makes it unreadable)."""
    try:
        namespace["model"]
    except BaseException:
        return False
    return True
