"""The check pipeline: cheap to expensive, stopping at the first failure.

attempted -> is a Keras model -> inputs/outputs -> exercise requirements -> structure ->
weights kept (where the task is about trained weights) -> numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np

from kfunc_lessons._keras_graph import UntraceableModel
from kfunc_lessons.describe import source_in_reference, where
from kfunc_lessons.diagrams import picture
from kfunc_lessons.execute import (
    LayerCopyError,
    ModelRunError,
    run_trace,
)
from kfunc_lessons.exercises import Exercise
from kfunc_lessons.graph import CanonicalGraph, canonical_graph, overrides_call
from kfunc_lessons.links import issues_url
from kfunc_lessons.matching import Matcher
from kfunc_lessons.mistakes import Evidence, explain_result
from kfunc_lessons.result import CheckResult

RTOL = 1e-4
ATOL = 1e-5


class Verdict(Exception):
    """Raised inside the pipeline to stop at a step with a learner-facing message."""

    def __init__(self, status: str, step: str, message: str,
                 focus: tuple[list[int], list[int]] = ([], []), **extra):
        super().__init__(message)
        self.result = dict(status=status, step=step, message=message, **extra)
        self.focus = focus  # (learner node ids, reference node ids) where the models differ


@dataclass
class Task:
    """What to check a model against."""

    name: str
    graph: CanonicalGraph
    probe: list[np.ndarray]
    expected: list[np.ndarray]
    weights_of: Callable[[keras.layers.Layer], list[np.ndarray]]  # reference layer -> weights
    inject_weights: bool = True
    exercise: Exercise | None = None


def run_check(task: Task, model: object) -> CheckResult:
    """Judge ``model`` against ``task``; never raises for anything the learner passes."""
    seen: dict[str, CanonicalGraph] = {}
    try:
        _pipeline(task, model, seen)
    except Verdict as verdict:
        return _explained(task, model, seen.get("graph"), verdict)
    except Exception as exc:  # a fault inside the grader, never the learner's
        return CheckResult(
            task.name, "error", "the grader itself failed: this is a bug in kfunc_lessons, not "
            f"in your model. Please report it at {issues_url()} with your model's code.",
            step="grader", details=[f"{type(exc).__name__}: {exc}"])
    raise AssertionError("the pipeline ends with a verdict")  # pragma: no cover


def _explained(task: Task, model: object, graph: CanonicalGraph | None,
               verdict: Verdict) -> CheckResult:
    """The verdict, explained: a known mistake named, the picture of where it differs."""
    result = CheckResult(task.name, **verdict.result)
    cause = explain_result(result, Evidence(model, graph, task.graph, result.step,
                                            task.weights_of, task.exercise))
    mine, theirs = verdict.focus
    if cause is not None and cause.mine:  # mark the named mistake where it sits
        mine, theirs = list(cause.mine), list(cause.theirs)
    if result.status == "failed" and graph is not None and (mine or theirs):
        result.picture = picture(graph, task.graph, mine, theirs)
    return result


def _pipeline(task: Task, model: object, seen: dict) -> None:
    if model is Ellipsis:
        raise Verdict("not_attempted", "attempted", "replace `model = ...` "
                      "with your model, then run this check again.")
    graph = seen["graph"] = _as_graph(model)
    input_pairs, output_pairs = _match_io(task.graph, graph)
    if task.exercise is not None and task.exercise.requirement is not None:
        problem = task.exercise.requirement(model, graph)
        if problem:
            raise Verdict("failed", "requirements", problem)
    matcher = Matcher(task.graph, graph, input_pairs)
    divergence = matcher.run(output_pairs)
    if divergence is not None:
        mine, ref = divergence.at or (None, None)
        raise Verdict("failed", "structure", divergence.message,
                      focus=([mine] if mine is not None else [], [ref] if ref is not None else []))
    if task.exercise is not None and task.exercise.blocks:
        _check_blocks(task.graph, graph, matcher)
    _check_finite_weights(graph)
    if task.exercise is not None:
        _check_weights_kept(task, matcher, task.exercise.must_keep)
        _check_frozen(task, matcher, task.exercise.frozen)
    _check_numbers(task, graph, matcher, input_pairs, output_pairs)


def _as_graph(model: object) -> CanonicalGraph:
    if model is None:
        raise Verdict("failed", "model", "`model` is None. Assign your Keras model to the "
                      "variable: model = keras.Model(inputs, outputs).")
    if isinstance(model, keras.layers.Layer) and not isinstance(model, keras.Model):
        raise Verdict("failed", "model", f"`model` is a {type(model).__name__} layer, not a "
                      "model. Call layers on a keras.Input and wrap the result: "
                      "model = keras.Model(inputs, outputs).")
    if not isinstance(model, keras.Model):
        raise Verdict("failed", "model", f"`model` is a {type(model).__name__}, not a Keras "
                      "model. Build one with keras.Sequential or keras.Model(inputs, outputs).")
    if overrides_call(model):
        raise Verdict("failed", "model", f"`model` is a subclassed model "
                      f"({type(model).__name__}); its computation is hidden inside call(), so "
                      "it cannot be graded. Rebuild it with the Functional API: "
                      "keras.Model(inputs, outputs).")
    try:
        return canonical_graph(model)
    except UntraceableModel as exc:
        if isinstance(model, keras.Sequential):
            raise Verdict("failed", "model", "Your Sequential model is not built yet, so it has "
                          "no input shape. Start its layer list with keras.Input(shape=...)."
                          ) from exc
        raise Verdict("failed", "model", f"Your model's graph cannot be read: {exc}. Build it "
                      "from keras.Input tensors with keras.Model(inputs, outputs).") from exc


def _shape(graph: CanonicalGraph, node_id: int) -> tuple:
    return (None, *graph.nodes[node_id].shape)


def _pair_by_name(kind: str, ref_names, ref_ids, names, ids) -> list[tuple[int, int]]:
    if len(ids) != len(ref_ids):
        wanted = ", ".join(f"'{n}'" for n in ref_names) if len(ref_ids) > 1 else ""
        raise Verdict("failed", "io", f"Your model has {len(ids)} {kind}(s); this exercise "
                      f"needs {len(ref_ids)}" + (f": {wanted}." if wanted else "."))
    if len(ref_ids) == 1:
        return [(ref_ids[0], ids[0])]
    missing = [n for n in ref_names if n not in names]
    if missing:
        raise Verdict("failed", "io", f"This exercise matches {kind}s by name and needs "
                      f"{', '.join(repr(n) for n in ref_names)}; your model's {kind}s are "
                      f"named {', '.join(repr(n) for n in names)}. Set name='...' on the "
                      f"{'keras.Input' if kind == 'input' else 'output layer'}.")
    return [(r, ids[names.index(n)]) for n, r in zip(ref_names, ref_ids)]


def _match_io(ref: CanonicalGraph, graph: CanonicalGraph):
    input_pairs = _pair_by_name("input", ref.input_names, ref.inputs, graph.input_names,
                                graph.inputs)
    for r, m in input_pairs:
        if _shape(ref, r) != _shape(graph, m):
            raise Verdict("failed", "io", f"Your model's input '{graph.nodes[m].layer_name}' "
                          f"has shape {_shape(graph, m)}; this exercise needs "
                          f"{_shape(ref, r)}.", focus=([m], [r]))
    output_pairs = _pair_by_name("output", ref.output_names, ref.outputs, graph.output_names,
                                 graph.outputs)
    for (r, m), name in zip(output_pairs, ref.output_names):
        if _shape(ref, r) != _shape(graph, m):
            label = f" '{name}'" if len(ref.outputs) > 1 else ""
            made_by = graph.nodes[m].layer_name
            raise Verdict("failed", "io", f"Your model's output{label} (from your layer "
                          f"'{made_by}') has shape {_shape(graph, m)}; this exercise needs "
                          f"{_shape(ref, r)}, from {source_in_reference(ref, ref.nodes[r])}.",
                          focus=([m], [r]))
    return dict(input_pairs), output_pairs


def _check_blocks(ref: CanonicalGraph, graph: CanonicalGraph, matcher: Matcher) -> None:
    """Every nested block of the reference must be one nested Sequential in the learner's."""
    seen: dict[int, int] = {}
    for node in ref.nodes:
        if node.owner is None or not node.scope:
            continue
        mine = graph.nodes[matcher.pairs[node.id]]
        block = mine.scope[-1] if mine.scope else None
        if block is not None and not isinstance(block, keras.Sequential):
            raise Verdict("failed", "requirements", f"Your block '{block.name}' is a "
                          f"{type(block).__name__} model. It computes the right thing, but "
                          "this exercise asks for keras.Sequential blocks, the simplest "
                          "reusable block: build each one as keras.Sequential([...]).",
                          focus=([mine.id], [node.id]))
        if block is None or seen.setdefault(id(node.scope[-1]), id(block)) != id(block):
            raise Verdict("failed", "requirements", f"Your model computes the right thing, but "
                          f"{where(mine)} is not inside its own nested keras.Sequential block. "
                          "This exercise is about blocks: put Dense(32)+Dense(16) in one "
                          "keras.Sequential and Dense(64)+Dense(32) in another, then call each "
                          "block on a tensor like a layer.", focus=([mine.id], [node.id]))
    if len(set(seen.values())) != len(seen):
        raise Verdict("failed", "requirements", "Both groups of layers sit in the same nested "
                      "block; this exercise needs two separate keras.Sequential blocks.")


def _check_finite_weights(graph: CanonicalGraph) -> None:
    for layer in graph.owners():
        if not all(np.isfinite(w).all() for w in layer.get_weights()):
            raise Verdict("failed", "numbers", f"Layer '{layer.name}' has NaN or infinite "
                          "weights (training diverged, or the weights were overwritten). "
                          "Rebuild or reload the model.", focus=(_nodes_of(graph, layer), []))


def _nodes_of(graph: CanonicalGraph, layer) -> list[int]:
    """The nodes a layer computes (more than one where it is shared)."""
    return [n.id for n in graph.nodes if n.owner is layer]


def _check_weights_kept(task: Task, matcher: Matcher, must_keep: Callable[[str], bool]) -> None:
    """The reference's trained layers that ``must_keep`` names carry their trained weights."""
    for node in task.graph.nodes:
        if node.owner is None or not must_keep(node.owner.name):
            continue
        mine = matcher.owners.get(id(node.owner))
        if mine is None:
            raise Verdict("failed", "requirements", f"The trained layer '{node.owner.name}' "
                          "is not in your model. Reuse the trained layers with "
                          "trained.get_layer(name) so the training is kept.")
        trained = task.weights_of(node.owner)
        current = mine.get_weights()
        if len(current) != len(trained) or not all(
            np.array_equal(a, b) for a, b in zip(current, trained)
        ):
            raise Verdict("failed", "requirements", f"Layer '{mine.name}' does not carry the "
                          "trained weights: it looks like a new, untrained layer. Reuse the "
                          "trained layers with trained.get_layer(name) instead of creating new "
                          "ones, so the training is kept.",
                          focus=(_nodes_of(matcher.learner, mine), [node.id]))


def _check_frozen(task: Task, matcher: Matcher, names: tuple[str, ...]) -> None:
    for node in task.graph.nodes:
        if node.owner is None or node.owner.name not in names:
            continue
        mine = matcher.owners.get(id(node.owner))
        if mine is not None and mine.trainable:
            raise Verdict("failed", "requirements", f"Your layer '{mine.name}' is part of the "
                          "trained backbone but is still trainable, so fit() would change its "
                          "weights. Freeze the backbone: backbone.trainable = False (or "
                          "layer.trainable = False for each of its layers).",
                          focus=(_nodes_of(matcher.learner, mine), [node.id]))


def _check_numbers(task: Task, graph: CanonicalGraph, matcher: Matcher, input_pairs,
                   output_pairs) -> None:
    ref_index = {r: i for i, r in enumerate(task.graph.inputs)}
    pairs_back = {m: r for r, m in input_pairs.items()}
    feeds = [task.probe[ref_index[pairs_back[m]]] for m in graph.inputs]

    def weights_for(layer):
        if not task.inject_weights or id(layer) not in matcher.owners_rev:
            return None
        weights = task.weights_of(matcher.owners_rev[id(layer)])
        # An opaque layer in a reference layer's place keeps its own weights if they differ.
        fits = [tuple(np.shape(w)) for w in weights] == [tuple(w.shape) for w in layer.weights]
        return weights if fits else None

    try:
        outputs = run_trace(graph.trace, feeds, weights_for)
    except ModelRunError as exc:
        raise Verdict("failed", "numbers", f"Your model raised an error when run on a batch, in "
                      f"layer '{exc.layer}': {exc}") from exc
    except LayerCopyError as exc:
        raise Verdict("failed", "numbers", f"Your model cannot be copied for grading: {exc}. "
                      "Use built-in Keras layers, or give custom layers a get_config().") from exc
    out_index = {m: i for i, m in enumerate(graph.outputs)}
    worst, worst_name, failing = 0.0, "", []
    names = task.graph.output_names
    for (r, m), name in zip(output_pairs, names):
        got, want = outputs[out_index[m]], task.expected[task.graph.outputs.index(r)]
        diff = float(np.max(np.abs(got - want))) if np.isfinite(got).all() else math.inf
        if diff >= worst:
            worst, worst_name = diff, name
        if not np.allclose(got, want, rtol=RTOL, atol=ATOL):
            failing.append(name)
    tolerance = {"rtol": RTOL, "atol": ATOL}
    which = f" (output '{worst_name}')" if len(output_pairs) > 1 else ""
    detail = [f"largest difference {worst:.3g}{which}, tolerance rtol={RTOL}, atol={ATOL}"]
    if failing:
        opaque = [f"'{n.layer_name}' ({n.op})" for n in graph.nodes if n.opaque]
        if opaque:
            hint = (f" The structure check cannot read what your layer(s) {', '.join(opaque)} "
                    "compute, so their numbers decide: they do not compute what the "
                    "exercise's layers compute in their place.")
        elif not task.inject_weights:
            hint = " Are the trained layers reused in the right places?"
        else:
            hint = (" Look for a constant or setting that the structure check cannot see, such "
                    "as a number inside an operation (x * 2.0).")
        raise Verdict("failed", "numbers", f"The structure looks right, but the outputs differ "
                      f"from the reference ({', '.join(repr(n) for n in failing)})." + hint,
                      details=detail, max_abs_diff=worst, tolerance=tolerance,
                      focus=([m for (r, m), n in zip(output_pairs, names) if n in failing]
                             + [n.id for n in graph.nodes if n.opaque],
                             [r for (r, m), n in zip(output_pairs, names) if n in failing]))
    raise Verdict("passed", "done", "your model computes what the exercise asks.",
                  details=detail, max_abs_diff=worst, tolerance=tolerance)
