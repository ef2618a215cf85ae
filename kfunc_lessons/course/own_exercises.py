"""A teacher's own exercises: a Python file, a package folder, or an importable module that
defines ``EXERCISES``, a list of `kfunc_lessons.course.exercises.Exercise`.

Each of a teacher's exercises gives ``build_reference``, a function that returns the
reference model with the weights to grade against; it may also list course exercises, which
keep their stored references. `load_exercises` imports the module (the teacher's code, in
the grader's process, before any learner code runs) and puts its exercises in use; the
reference of each is built when grading first needs it, which `load_references` does before
any learner's code runs.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import stat
import sys
from pathlib import Path
from types import ModuleType

from kfunc_lessons.course.exercises import EXERCISES, Exercise, use_exercises


class ExercisesError(ValueError):
    """The teacher's exercise module cannot be used; the message says why, in one line."""


def _exec(name: str, init: Path, package: Path | None) -> ModuleType:
    found = importlib.util.spec_from_file_location(
        name, init, submodule_search_locations=[str(package)] if package else None)
    module = importlib.util.module_from_spec(found)
    sys.modules[name] = module  # so that its dataclasses and relative imports resolve
    writes, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no .pyc beside it
    try:
        found.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    finally:
        sys.dont_write_bytecode = writes
    return module


def _import(spec: str) -> tuple[ModuleType, Path]:
    """The module ``spec`` names (a ``.py`` file, a package folder, or a top-level module
    name) and the file or folder it lives in."""
    path = Path(spec)
    if path.suffix != ".py" and not path.is_dir():
        if "." in spec or not spec.isidentifier():
            raise ExercisesError(f"{spec}: give a .py file, a package folder, or a top-level "
                                 "module's name")
        try:
            found = importlib.util.find_spec(spec)
        except Exception as exc:
            raise ExercisesError(f"{spec} cannot be found: {type(exc).__name__}: {exc}") \
                from None
        if found is None or not found.origin or not found.origin.endswith(".py"):
            raise ExercisesError(f"{spec}: no module of Python source by that name")
        path = Path(found.origin)
        path = path.parent if path.name == "__init__.py" else path
    init = path / "__init__.py" if path.is_dir() else path
    if not init.is_file():
        raise ExercisesError(f"{spec}: a folder of exercises needs an __init__.py"
                             if path.is_dir() else f"{spec}: no such file")
    path = path.resolve()
    # A name of its own, so that a file called keras.py or json.py replaces nothing.
    name = "_kfunc_exercises_" + hashlib.sha256(str(path).encode()).hexdigest()[:12]
    try:
        module = _exec(name, init.resolve(), path if path.is_dir() else None)
    except Exception as exc:
        raise ExercisesError(f"{spec} failed to import: {type(exc).__name__}: {exc}") from None
    return module, path


def _problem(exercise: Exercise, course: dict[str, Exercise], seen: set[str]) -> str | None:
    """What makes one of a teacher's exercises unusable, or None."""
    if not isinstance(exercise.id, str) or not exercise.id.isidentifier():
        return "an id is a Python identifier, such as my_model"
    if exercise.id.lower() in seen:
        return "is listed twice (ids are told apart without regard to case)"
    if exercise.id in course:
        if exercise != course[exercise.id] or exercise.build_reference is not None:
            return "is the course's id: give your exercise an id of its own"
        return None
    if exercise.id.lower() in {i.lower() for i in course}:
        return "differs from a course id only in case"
    if not callable(exercise.build_reference):
        return "has no build_reference: give a function that returns the reference model"
    if isinstance(exercise.number, bool) or not isinstance(exercise.number, int) \
            or exercise.number < 0:
        return "needs a whole number (its files are named NN_id)"
    if not isinstance(exercise.title, str):
        return "needs a title (a string)"
    hints = exercise.hints
    if isinstance(hints, str) or not isinstance(hints, (list, tuple)) or not hints \
            or not all(isinstance(h, str) for h in hints):
        return "needs hints: a tuple of strings, gentle first"
    if exercise.solution is not None and not isinstance(exercise.solution, str):
        return "has a solution that is not a string of code"
    return None


def _checked(module: ModuleType, spec: str) -> tuple[Exercise, ...]:
    exercises = getattr(module, "EXERCISES", None)
    if not isinstance(exercises, (list, tuple)) or not exercises:
        raise ExercisesError(f"{spec} defines no EXERCISES: give a list of "
                             "kfunc_lessons.course.exercises.Exercise")
    course = {exercise.id: exercise for exercise in EXERCISES}
    seen: set[str] = set()
    for exercise in exercises:
        if not isinstance(exercise, Exercise):
            raise ExercisesError(f"{spec}: EXERCISES holds {type(exercise).__name__}, not an "
                                 "Exercise")
        if problem := _problem(exercise, course, seen):
            raise ExercisesError(f"{spec}: exercise {exercise.id!r} {problem}"
                                 if not problem.startswith("an id") else
                                 f"{spec}: exercise {exercise.id!r}: {problem}")
        seen.add(exercise.id.lower())
    return tuple(exercises)


def readable_by_others(source: Path) -> list[str]:
    """The files of a teacher's module that a user with no groups (a learner's, when the
    grader is root) could read: readable by others, in folders others may pass through."""
    def reachable(path: Path) -> bool:
        return all(p.stat().st_mode & stat.S_IXOTH for p in path.parents)

    files = [source] if source.is_file() else [
        p for p in source.rglob("*") if p.is_file()]
    return [str(p) for p in files
            if p.stat().st_mode & stat.S_IROTH and reachable(p)]


def load_exercises(spec: str | Path) -> tuple[Exercise, ...]:
    """Import the teacher's exercises named by ``spec`` and grade them from now on, in this
    process; ExercisesError, in one line, when they cannot be used."""
    module, source = _import(str(spec))
    exercises = _checked(module, str(spec))
    if os.name == "posix" and os.geteuid() == 0 and (exposed := readable_by_others(source)):
        raise ExercisesError(
            f"{exposed[0]} can be read by other users: the students' code, run as users of "
            "their own, could read your reference. Make it root's alone: chmod -R go-rwx "
            f"{source}")
    use_exercises(exercises, source)
    return exercises


def source_files(source: Path) -> dict[str, bytes]:
    """The files of a teacher's exercise module, by path relative to its parent (what an
    autograder carries): the ``.py`` file, or every file of the package folder."""
    if source.is_file():
        return {source.name: source.read_bytes()}
    return {path.relative_to(source.parent).as_posix(): path.read_bytes()
            for path in sorted(source.rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts}


def source_digest(source: Path | None) -> str:
    """A digest of a teacher's exercise module (its files' paths and bytes): what grades
    changes when it does. The course's exercises: ``course``."""
    if source is None:
        return "course"
    digest = hashlib.sha256()
    for name, content in source_files(source).items():
        digest.update(name.encode() + b"\0" + content)
    return digest.hexdigest()


def build_references() -> None:
    """Build the reference of every teacher's exercise in use (the course's are stored);
    ExercisesError, naming the exercise, for one that cannot be built or run."""
    from kfunc_lessons.course.exercises import active_exercises
    from kfunc_lessons.course.references import reference

    for exercise in active_exercises():
        if exercise.build_reference is not None:
            try:
                reference(exercise.id)
            except ValueError as exc:
                raise ExercisesError(f"exercise {exercise.id!r}: {exc}") from None
            except Exception as exc:  # the teacher's model met the grader oddly
                raise ExercisesError(f"exercise {exercise.id!r}: its reference cannot be "
                                     f"graded against: {type(exc).__name__}: {exc}") from None
