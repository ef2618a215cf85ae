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
import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from kfunc_lessons.course.exercises import EXERCISES, Exercise, use_exercises


class ExercisesError(ValueError):
    """The teacher's exercise module cannot be used; the message says why, in one line."""


def _import(spec: str) -> tuple[ModuleType, Path]:
    """The module ``spec`` names (a ``.py`` file, a package folder, or a module name) and
    the file or folder it lives in."""
    path = Path(spec)
    if path.suffix == ".py" or path.is_dir():
        init = path / "__init__.py" if path.is_dir() else path
        if not init.is_file():
            raise ExercisesError(f"{spec}: no such file" if not path.is_dir() else
                                 f"{spec}: a folder of exercises needs an __init__.py")
        name = path.resolve().stem if not path.is_dir() else path.resolve().name
        found = importlib.util.spec_from_file_location(
            name, init, submodule_search_locations=[str(path)] if path.is_dir() else None)
        module = importlib.util.module_from_spec(found)
        sys.modules[name] = module  # so that its dataclasses and relative imports resolve
        try:
            found.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(name, None)
            raise ExercisesError(f"{spec} failed to import: {type(exc).__name__}: {exc}") from None
        return module, path.resolve()
    try:
        module = importlib.import_module(spec)
    except Exception as exc:
        raise ExercisesError(f"{spec} cannot be imported: {type(exc).__name__}: {exc}") from None
    where = Path(module.__file__)
    return module, where.parent if where.name == "__init__.py" else where


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
        where = f"{spec}: exercise {exercise.id!r}"
        if not isinstance(exercise.id, str) or not exercise.id.isidentifier():
            raise ExercisesError(f"{where}: an id is a Python identifier, such as my_model")
        if exercise.id in seen:
            raise ExercisesError(f"{where} is listed twice")
        seen.add(exercise.id)
        if exercise.id in course and exercise != course[exercise.id]:
            raise ExercisesError(f"{where} is the course's id: give your exercise an id of "
                                 "its own")
        if exercise.id not in course and not callable(exercise.build_reference):
            raise ExercisesError(f"{where} has no build_reference: give a function that "
                                 "returns the reference model")
        if not exercise.hints or not all(isinstance(h, str) for h in exercise.hints):
            raise ExercisesError(f"{where} needs at least one hint (a tuple of strings)")
    return tuple(exercises)


def load_exercises(spec: str | Path) -> tuple[Exercise, ...]:
    """Import the teacher's exercises named by ``spec`` and grade them from now on, in this
    process; ExercisesError, in one line, when they cannot be used."""
    module, source = _import(str(spec))
    exercises = _checked(module, str(spec))
    use_exercises(exercises, source)
    references = sys.modules.get("kfunc_lessons.course.references")  # not imported: no Keras
    if references is not None:  # built for the exercises in use before
        references.reference.cache_clear()
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
