"""Find a learner's exercise files by what they are, wherever in their folder they sit.

Students hand in `exercises/` one folder down (`kfunc-lessons-main/exercises/`, a GitHub
repository uploaded to Gradescope), Colab's `Copy of 03_residual_add.ipynb`, or a notebook
from another course. Each exercise notebook of the course carries its exercise id in its
metadata (``metadata.kfunc_lessons.exercise``), which Colab and Jupyter keep in every copy;
a file without it is recognised by its name. Every other ``.ipynb`` or ``.py`` is listed as
ignored, with the reason, so that a teacher can tell "handed in elsewhere" from "not handed
in". Only JSON is read here: no learner code runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kfunc_lessons.classroom.learner_files import SUFFIXES
from kfunc_lessons.core.safe_text import file_name
from kfunc_lessons.course.exercises import Exercise

METADATA_KEY = "kfunc_lessons"  # notebook metadata: {"kfunc_lessons": {"exercise": "<id>"}}
_MAX_NOTEBOOK_BYTES = 32 * 2**20  # larger notebooks are judged by their name alone
# What Colab, Jupyter, browsers and file managers add to a copy's name.
_COPY_MARKS = re.compile(r"^(copy of |copia de |kopie von |copie de )+|( ?\(\d+\)| copy| - copy"
                         r"|-checkpoint)+$", re.IGNORECASE)


@dataclass
class Found:
    """What a learner's folder holds: the file graded for each exercise, and every other
    notebook or Python file with the reason it was not graded."""

    files: dict[str, Path] = field(default_factory=dict)  # exercise id -> relative path
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (relative path, why)

    def lines(self) -> list[str]:
        """One readable line per ignored file."""
        return [f"{path}: {why}" for path, why in self.ignored]


def exercise_id_in(path: Path) -> str | None:
    """The exercise id a notebook's metadata names, or None (not a notebook, no id, or not
    readable as JSON)."""
    if path.suffix != ".ipynb":
        return None
    try:
        if path.stat().st_size > _MAX_NOTEBOOK_BYTES:
            return None
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    tag = data.get("metadata", {}).get(METADATA_KEY) if isinstance(data, dict) else None
    if not isinstance(tag, dict) or not isinstance(tag.get("exercise"), str):
        return None
    return tag["exercise"]


def _name_key(path: Path) -> str:
    """The file's stem without the marks a copy adds, lower case."""
    stem = path.stem.strip()
    while (bare := _COPY_MARKS.sub("", stem).strip()) != stem:
        stem = bare
    return stem.lower()


def _is_copy_named(path: Path) -> bool:
    return _name_key(path) != path.stem.lower()


def _candidates(root: Path) -> list[Path]:
    """Every notebook and Python file under ``root`` (a private copy), shallowest first."""
    found = [p for p in root.rglob("*") if p.suffix in SUFFIXES and p.is_file()
             and not p.is_symlink()]
    return sorted(found, key=lambda p: (len(p.relative_to(root).parts), str(p)))


def find_exercise_files(root: Path, exercises: Sequence[Exercise]) -> Found:
    """Which file under ``root`` to grade for each exercise.

    A file belongs to an exercise when its notebook metadata names the exercise, or else when
    its name, without a copy's marks, is the exercise's file name (``03_residual_add``) or
    id. Of several files for one exercise, the shallowest wins, then a file with the exact
    name over a copy, then the notebook over the ``.py``, then by name; the others are
    ignored, naming the file that was graded. Files in hidden folders
    (``.ipynb_checkpoints``, ``.git``) are ignored.
    """
    by_name = {}
    for exercise in exercises:
        by_name[exercise.slug.lower()] = exercise.id
        by_name[exercise.id.lower()] = exercise.id
    known = {exercise.id for exercise in exercises}
    claims: dict[str, list[Path]] = {}
    found = Found()
    for path in _candidates(root):
        relative = path.relative_to(root)
        shown = file_name(relative.as_posix())
        if any(part.startswith(".") for part in relative.parts[:-1]):
            found.ignored.append((shown, "in a hidden folder (an editor's or Git's own copy)"))
            continue
        tagged = exercise_id_in(path)
        if tagged is not None and tagged not in known:
            found.ignored.append((shown, f"a notebook for exercise '{file_name(tagged)}', "
                                  "which this course does not have"))
            continue
        exercise_id = tagged or by_name.get(_name_key(path))
        if exercise_id is None:
            found.ignored.append((shown, "not one of this course's exercises (no exercise id "
                                  "in it, and its name matches no exercise)"))
            continue
        claims.setdefault(exercise_id, []).append(relative)
    for exercise in exercises:
        paths = claims.get(exercise.id)
        if not paths:
            continue
        paths.sort(key=lambda p: (len(p.parts), _is_copy_named(p), SUFFIXES.index(p.suffix),
                                  str(p)))
        found.files[exercise.id] = paths[0]
        chosen = file_name(paths[0].as_posix())
        found.ignored += [(file_name(p.as_posix()),
                           f"another file for {exercise.id} was graded: {chosen}")
                          for p in paths[1:]]
    found.ignored.sort()
    return found
