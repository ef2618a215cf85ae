"""Reference data: probe batches, reference weights and expected outputs.

Each of the course's exercises ships ``data/<id>.npz`` (no pickles, checksummed: see
`kfunc_lessons.course.data_files`). ``python -m kfunc_lessons.rebuild`` rebuilds the files
from the reference solutions; a test proves the stored files match a rebuild.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import keras
import numpy as np

from kfunc_lessons.core.execute import LayerCopyError, ModelRunError, run_trace
from kfunc_lessons.core.graph import CanonicalGraph, canonical_graph
from kfunc_lessons.core.keras_graph import UntraceableModel
from kfunc_lessons.course.data_files import MANIFEST, data_dir, load_npz, sha256
from kfunc_lessons.course.exercises import EXERCISES, get_exercise, solution_source
from kfunc_lessons.course.starters import STARTERS

PROBE_BATCH = 8
DATA_FILES = (*(starter.file for starter in STARTERS.values()),
              *(exercise.id for exercise in EXERCISES))


def build_solution(exercise_id: str) -> keras.Model:
    """Run the reference solution in a fresh namespace and return its ``model``."""
    namespace: dict = {"__name__": f"kfunc_lessons.course.solutions.{exercise_id}"}
    exec(compile(solution_source(exercise_id), f"<solution {exercise_id}>", "exec"), namespace)
    return namespace["model"]


@dataclass
class Reference:
    """A reference model with its stored weights, probe batch and expected outputs."""

    graph: CanonicalGraph
    weights: dict[int, list[np.ndarray]]  # id(reference layer) -> its stored weights
    probe: list[np.ndarray]  # one array per reference input, in input order
    expected: list[np.ndarray]  # one array per reference output, in output order

    def weights_of(self, layer) -> list[np.ndarray] | None:
        return self.weights.get(id(layer))


def live_reference(model: keras.Model, seed: int, batch: int | None = None) -> Reference:
    """The reference a live model makes, right by definition: its own weights, a seeded
    random probe batch (``batch``: by default 8, or 2 for large inputs such as images) and
    its outputs on it. ValueError, in words, for a model that cannot be traced or run."""
    try:
        graph = canonical_graph(model)
    except UntraceableModel as exc:
        raise ValueError(f"the reference model cannot be traced: {exc}") from None
    if batch is None:
        biggest = max(math.prod(d or 1 for d in graph.nodes[i].shape) for i in graph.inputs)
        batch = 2 if biggest > 10_000 else PROBE_BATCH
    probe = random_probe(graph, seed, batch)
    try:
        expected = run_trace(graph.trace, probe, lambda layer: None)
    except (LayerCopyError, ModelRunError) as exc:
        raise ValueError(f"the reference model cannot be run for grading: {exc}. Use built-in "
                         "Keras layers, or give custom layers a get_config().") from None
    weights = {id(owner): owner.get_weights() for owner in graph.owners()}
    return Reference(graph, weights, probe, expected)


def _built(exercise) -> Reference:
    """A teacher's exercise: the reference its ``build_reference`` returns, seeded by its
    number so that every run builds the same one."""
    keras.utils.set_random_seed(1000 + exercise.number)
    try:
        model = exercise.build_reference()
    except Exception as exc:
        raise ValueError(f"build_reference() failed: {type(exc).__name__}: {exc}") from None
    if not isinstance(model, keras.Model):
        raise ValueError(f"build_reference() returned {type(model).__name__}, not a keras.Model")
    return live_reference(model, seed=exercise.number)


@cache
def reference(exercise_id: str) -> Reference:
    """The reference for an exercise, built once per process: from stored data for the
    course's, from ``build_reference`` for a teacher's."""
    exercise = get_exercise(exercise_id)
    if exercise.build_reference is not None:
        return _built(exercise)
    data = load_npz(exercise_id)
    graph = canonical_graph(build_solution(exercise_id))
    weights = {
        id(owner): [data[f"weights/{i}/{j}"] for j in range(len(owner.weights))]
        for i, owner in enumerate(graph.owners())
    }
    probe = [data[f"probe/{i}"] for i in range(len(graph.inputs))]
    expected = [data[f"expected/{i}"] for i in range(len(graph.outputs))]
    return Reference(graph, weights, probe, expected)


def reference_model(exercise_id: str) -> keras.Model:
    """A fresh reference model carrying the stored weights the grader compares against."""
    model = build_solution(exercise_id)
    stored = reference(exercise_id)
    for mine, theirs in zip(canonical_graph(model).owners(), stored.graph.owners(), strict=True):
        mine.set_weights(stored.weights_of(theirs))
    return model


def random_probe(graph: CanonicalGraph, seed: int, batch: int = PROBE_BATCH) -> list[np.ndarray]:
    """A seeded standard-normal batch for each input of a graph."""
    rng = np.random.default_rng(seed)
    return [
        rng.standard_normal((batch, *graph.nodes[i].shape)).astype("float32")
        for i in graph.inputs
    ]


def _build_arrays(exercise_id: str) -> dict[str, np.ndarray]:
    exercise = get_exercise(exercise_id)
    keras.utils.set_random_seed(1000 + exercise.number)
    graph = canonical_graph(build_solution(exercise_id))
    arrays: dict[str, np.ndarray] = {}
    for i, owner in enumerate(graph.owners()):
        for j, value in enumerate(owner.get_weights()):
            arrays[f"weights/{i}/{j}"] = value
    starter = STARTERS.get(exercise_id)
    if starter is not None and starter.probe is not None:
        probe = [starter.probe()]
    else:
        probe = random_probe(graph, seed=exercise.number)
    arrays.update({f"probe/{i}": x for i, x in enumerate(probe)})
    outputs = run_trace(graph.trace, probe, lambda layer: None)
    arrays.update({f"expected/{i}": y for i, y in enumerate(outputs)})
    return arrays


def _save(arrays: dict[str, np.ndarray], path: Path) -> str:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path.write_bytes(buffer.getvalue())
    return sha256(buffer.getvalue())


def rebuild(directory: Path | None = None) -> dict[str, str]:
    """Rebuild every reference file (and the trained starter) into ``directory``."""
    directory = Path(directory or data_dir())
    directory.mkdir(parents=True, exist_ok=True)
    sums: dict[str, str] = {}

    def write(name: str, arrays: dict[str, np.ndarray]) -> None:
        sums[f"{name}.npz"] = _save(arrays, directory / f"{name}.npz")
        # The manifest grows file by file: replace_intermediate's solution loads the starter.
        (directory / MANIFEST).write_text(json.dumps(sums, indent=2, sort_keys=True) + "\n")
        load_npz.cache_clear()
        reference.cache_clear()

    for starter in STARTERS.values():
        write(starter.file, starter.train())
    for exercise in EXERCISES:
        write(exercise.id, _build_arrays(exercise.id))
    return sums
