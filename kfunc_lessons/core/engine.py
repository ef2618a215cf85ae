"""The check pipeline: cheap to expensive, stopping at the first failure.

attempted -> is a Keras model -> inputs/outputs -> exercise requirements -> structure ->
weights kept (where the task is about trained weights) -> numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import keras
import numpy as np

from kfunc_lessons.core.describe import describe, source_in_reference, where
from kfunc_lessons.core.execute import (
    LayerCopyError,
    ModelRunError,
    run_trace,
)
from kfunc_lessons.core.graph import CanonicalGraph, canonical_graph, overrides_call
from kfunc_lessons.core.keras_graph import UntraceableModel
from kfunc_lessons.core.links import issues_url
from kfunc_lessons.core.matching import Matcher
from kfunc_lessons.core.picture import picture
from kfunc_lessons.core.result import CheckResult
from kfunc_lessons.core.rules import Rules

RTOL = 1e-4
ATOL = 1e-5


class Verdict(Exception):
    """Raised inside the pipeline to stop at a step with a learner-facing message."""

    def __init__(self, status: str, step: str, message: str,
                 focus: tuple[list[int], list[int]] = ([], []), cause: str | None = None,
                 **extra):
        super().__init__(message)
        self.result = dict(status=status, step=step, message=message, **extra)
        self.focus = focus  # (learner node ids, reference node ids) where the models differ
        self.cause = cause  # the catalogue entry this verdict is, when the pipeline knows it


@dataclass(frozen=True)
class Case:
    """What an explainer may look at: the learner's model and, where it could be read, its
    canonical graph; the reference graph; the step that decided; the reference's weights."""

    model: object
    graph: CanonicalGraph | None
    reference: CanonicalGraph
    step: str
    weights_of: Callable


# A course's explanation of a verdict: it may reword a failed result in place (never its
# status or step) and returns where the cause it names sits, (learner node ids, reference
# node ids), or None. ``named`` is the cause the pipeline itself found, if any.
Explainer = Callable[[CheckResult, Case, "str | None"], "tuple[tuple, tuple] | None"]


@dataclass
class Task:
    """What to check a model against."""

    name: str
    graph: CanonicalGraph
    probe: list[np.ndarray]
    expected: list[np.ndarray]
    weights_of: Callable[[keras.layers.Layer], list[np.ndarray]]  # reference layer -> weights
    inject_weights: bool = True
    rules: Rules = field(default_factory=Rules)
    explain: Explainer | None = None


def run_check(task: Task, model: object) -> CheckResult:
    """Judge ``model`` against ``task``; never raises for anything the learner passes."""
    seen: dict[str, CanonicalGraph] = {}
    try:
        _pipeline(task, model, seen)
    except Verdict as verdict:
        return _explained(task, model, seen, verdict)
    except Exception as exc:  # a fault inside the grader, never the learner's
        return CheckResult(
            task.name, "error", "the grader itself failed: this is a bug in kfunc_lessons, not "
            f"in your model. Please report it at {issues_url()} with your model's code.",
            step="grader", details=[f"{type(exc).__name__}: {exc}"])
    raise AssertionError("the pipeline ends with a verdict")  # pragma: no cover


def model_problem(name: str, model: object) -> CheckResult | None:
    """What is wrong with ``model`` before any reference is looked at (not attempted, not a
    Keras model, a graph that cannot be read), or None."""
    try:
        if model is Ellipsis:
            _pipeline(None, model, {})  # the not-attempted verdict, worded once
        _as_graph(model)
    except Verdict as verdict:
        return CheckResult(name, **verdict.result)
    except Exception:  # an object that answers oddly: the full check says more
        return None
    return None


def _explained(task: Task, model: object, seen: dict, verdict: Verdict) -> CheckResult:
    """The verdict, explained: a known mistake named, the picture of where it differs."""
    result = CheckResult(task.name, **verdict.result)
    graph = seen.get("graph")
    learner, reference = verdict.focus
    if task.explain is not None:
        at = task.explain(result, Case(model, graph, task.graph, result.step, task.weights_of),
                          verdict.cause)
        if at is not None and at[0]:  # mark the named mistake where it sits
            learner, reference = list(at[0]), list(at[1])
    if result.status == "failed" and graph is not None and (learner or reference):
        matcher = seen.get("matcher")
        try:
            learner_badges, reference_badges = _badges(task, model, graph, matcher)
        except Exception:  # the learner's layers answer oddly: the picture goes without badges
            learner_badges = reference_badges = None
        result.picture = picture(graph, task.graph, learner, reference,
                                 badges_learner=learner_badges,
                                 badges_reference=reference_badges,
                                 counterpart=matcher.rev if matcher is not None else None)
    return result


def _badges(task: Task, model: object, graph: CanonicalGraph, matcher: Matcher | None):
    """Where an exercise is about trained weights, what each weighted node of both pictures
    holds: frozen or trainable, trained or new weights."""
    rules = task.rules
    if not rules.about_weights:
        return None, None
    trained = [task.weights_of(node.owner) for node in task.graph.nodes
               if node.owner is not None and rules.must_keep(node.owner.name)]

    def carries_training(layer) -> bool:
        weights = layer.get_weights()
        return any(len(w) == len(weights) and all(
            np.shape(a) == np.shape(b) and np.array_equal(a, b) for a, b in zip(w, weights))
            for w in trained if w is not None)

    learner = {}
    for node in graph.nodes:
        if node.owner is not None:
            frozen = isinstance(model, keras.Model) and _frozen_in_fit(model, node.owner)
            learner[node.id] = (f"{'frozen' if frozen else 'trainable'}, "
                             f"{'trained' if carries_training(node.owner) else 'new'} weights")
    reference = {}
    for node in task.graph.nodes:
        if node.owner is not None:
            frozen = node.owner.name in rules.frozen
            kept = rules.must_keep(node.owner.name)
            reference[node.id] = (f"{'frozen' if frozen else 'trainable'}, "
                                  f"{'trained' if kept else 'new'} weights")
    return learner, reference


def _pipeline(task: Task, model: object, seen: dict) -> None:
    if model is Ellipsis:
        raise Verdict("not_attempted", "attempted", "replace `model = ...` "
                      "with your model, then run this check again.")
    graph = seen["graph"] = _as_graph(model)
    input_pairs, output_pairs = _match_io(task.graph, graph)
    if task.rules.requirement is not None:
        problem = task.rules.requirement(model, graph)
        if problem:
            raise Verdict("failed", "requirements", problem)
    matcher = seen["matcher"] = Matcher(task.graph, graph, input_pairs)
    divergence = matcher.run(output_pairs)
    if divergence is not None:
        learner, reference = divergence.at or (None, None)
        marked = list(divergence.marks) or ([learner] if learner is not None else [])
        raise Verdict("failed", "structure", divergence.message,
                      focus=(marked, [reference] if reference is not None else []))
    if task.rules.blocks:
        _check_blocks(task.graph, graph, matcher)
    _check_finite_weights(graph)
    _check_weights_kept(task, matcher, task.rules.must_keep)
    if task.rules.frozen:
        _check_frozen(task, model, matcher, task.rules.frozen)
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
                      f"({type(model).__name__}) that defines call(): its computation lives in "
                      "Python code that no grader can read as a graph. Build the same layers "
                      "with the Functional API: call each layer on a keras.Input tensor and "
                      "finish with keras.Model(inputs, outputs).", cause="subclassed-model")
    try:
        return canonical_graph(model)
    except UntraceableModel as exc:
        if isinstance(model, keras.Sequential) and not model.built:
            raise Verdict("failed", "model", f"Your Sequential '{model.name}' is not built yet: "
                          "it has no input shape, so it has no weights and no graph. Start its "
                          "layer list with keras.Input(shape=...), which builds it at once.",
                          cause="unbuilt-sequential") from exc
        raise Verdict("failed", "model", f"Your model's graph cannot be read: {exc}. Build it "
                      "from keras.Input tensors with keras.Model(inputs, outputs).") from exc


def _shape(graph: CanonicalGraph, node_id: int) -> tuple:
    return (None, *graph.nodes[node_id].shape)


def _pair_io(kind: str, ref: CanonicalGraph, graph: CanonicalGraph) -> list[tuple[int, int]]:
    """(reference node, learner node) for each input (or output): by name where the
    reference's names were chosen, by position where Keras generated them."""
    ref_ids, ids = (ref.inputs, graph.inputs) if kind == "input" else (ref.outputs, graph.outputs)
    ref_names, names = ((ref.input_names, graph.input_names) if kind == "input"
                        else (ref.output_names, graph.output_names))
    by_name = ref.matched_by_name(kind)
    if len(ids) != len(ref_ids):
        wanted = ", ".join(f"'{n}'" for n in ref_names) if by_name else ""
        raise Verdict("failed", "io", f"Your model has {len(ids)} {kind}(s); this exercise "
                      f"needs {len(ref_ids)}" + (f": {wanted}." if wanted else "."))
    if not by_name:
        return list(zip(ref_ids, ids))
    if any(n not in names for n in ref_names):
        raise Verdict("failed", "io", _names_message(kind, ref_names, names,
                                                     graph.outputs_keyed),
                      cause=f"{kind}-names")
    return [(r, ids[names.index(n)]) for n, r in zip(ref_names, ref_ids)]


def _names_message(kind: str, wanted: list[str], names: list[str], keyed: bool) -> str:
    needs, have = ", ".join(map(repr, wanted)), ", ".join(map(repr, names))
    if kind == "input":
        return (f"This exercise matches inputs by name: it needs {needs}, and your inputs are "
                f"named {have}. Name each one: keras.Input(shape=..., name={wanted[0]!r}).")
    if keyed:
        return (f"This exercise matches outputs by name: it needs {needs}, and your outputs "
                f"dict is keyed {have}. Keras names a dict's outputs by its keys, whatever the "
                "layers are called: a loss or a y dict in compile() and fit() is matched on "
                f"them. Key the dict by {needs}.")
    return (f"This exercise matches outputs by name: it needs {needs}, and your outputs are "
            f"named {have}. Pass outputs as a dict keyed by those names, or name the output "
            f"layers (name={wanted[0]!r}).")


def output_label(ref: CanonicalGraph, index: int) -> str:
    """How a message names the reference's output ``index`` to the learner, after the word
    "output": by its name where outputs are matched by name, by its place otherwise ('' for a
    single output)."""
    if len(ref.outputs) == 1:
        return ""
    if ref.matched_by_name("output"):
        return f"'{ref.output_names[index]}'"
    return str(index + 1)


def _match_io(ref: CanonicalGraph, graph: CanonicalGraph):
    input_pairs = _pair_io("input", ref, graph)
    for r, m in input_pairs:
        if _shape(ref, r) != _shape(graph, m):
            raise Verdict("failed", "io", f"Your model's input '{graph.nodes[m].layer_name}' "
                          f"has shape {_shape(graph, m)}; this exercise needs "
                          f"{_shape(ref, r)}.", focus=([m], [r]))
    output_pairs = _pair_io("output", ref, graph)
    for r, m in output_pairs:
        if _shape(ref, r) != _shape(graph, m):
            label = output_label(ref, ref.outputs.index(r))
            made_by = graph.nodes[m].layer_name
            raise Verdict("failed", "io", f"Your model's output{' ' + label if label else ''} "
                          f"(from your layer '{made_by}') has shape {_shape(graph, m)}; this "
                          f"exercise needs {_shape(ref, r)}, from "
                          f"{source_in_reference(ref, ref.nodes[r])}.", focus=([m], [r]))
    return dict(input_pairs), output_pairs


def block_groups(ref: CanonicalGraph) -> list[str]:
    """The reference's nested blocks, each as the layers it holds ("Dense(units=32) +
    Dense(units=16)")."""
    groups: dict[int, list[str]] = {}
    for node in ref.nodes:
        if node.scope and node.owner is not None:
            groups.setdefault(id(node.scope[-1]), []).append(describe(node))
    return [" + ".join(group) for group in groups.values()]


def _check_blocks(ref: CanonicalGraph, graph: CanonicalGraph, matcher: Matcher) -> None:
    """Every nested block of the reference must be one nested Sequential in the learner's."""
    seen: dict[int, int] = {}
    for node in ref.nodes:
        if node.owner is None or not node.scope:
            continue
        learner = graph.nodes[matcher.pairs[node.id]]
        block = learner.scope[-1] if learner.scope else None
        if block is not None and not isinstance(block, keras.Sequential):
            raise Verdict("failed", "requirements", f"Your block '{block.name}' is a "
                          f"{type(block).__name__} model. It computes the right thing, but "
                          "this exercise asks for keras.Sequential blocks, the simplest "
                          "reusable block: build each one as keras.Sequential([...]).",
                          focus=([learner.id], [node.id]))
        if block is None or seen.setdefault(id(node.scope[-1]), id(block)) != id(block):
            raise Verdict("failed", "requirements", f"Your model computes the right thing, but "
                          f"{where(learner)} is not inside its own nested keras.Sequential block. "
                          "This exercise is about blocks: put "
                          f"{' and '.join(block_groups(ref))} each in a keras.Sequential of "
                          "its own, then call each block on a tensor like a layer.",
                          focus=([learner.id], [node.id]))
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
        learner = matcher.owners.get(id(node.owner))
        if learner is None:
            raise Verdict("failed", "requirements", f"The trained layer '{node.owner.name}' "
                          "is not in your model. Reuse the trained layers with "
                          "trained.get_layer(name) so the training is kept.")
        trained = task.weights_of(node.owner)
        current = learner.get_weights()
        if len(current) != len(trained) or not all(
            np.array_equal(a, b) for a, b in zip(current, trained)
        ):
            raise Verdict("failed", "requirements", f"Your layer '{learner.name}' does not carry "
                          "the trained weights: it has the shape of a trained layer, but it is a "
                          "new, untrained one. Reuse the trained layer itself, "
                          "trained.get_layer(name), and call it on your new tensors.",
                          cause="fresh-layer",
                          focus=(_nodes_of(matcher.learner, learner), [node.id]))


def _frozen_in_fit(model: keras.Model, layer) -> bool:
    """Whether fit() on ``model`` leaves ``layer`` unchanged: none of its weights is among the
    model's trainable weights (a frozen layer, a frozen block around it, a frozen model)."""
    trainable = {id(w) for w in model.trainable_weights}
    return not any(id(w) in trainable for w in layer.weights)


def _listed(layers_: list) -> str:
    names = ", ".join(f"'{layer.name}'" for layer in layers_[:3])
    return names + (f" and {len(layers_) - 3} more" if len(layers_) > 3 else "")


def _check_frozen(task: Task, model: keras.Model, matcher: Matcher,
                  names: tuple[str, ...]) -> None:
    """The backbone layers ``names`` are frozen, and every layer the learner adds is not."""
    backbone, head = [], []  # (reference node, learner layer)
    for node in task.graph.nodes:
        learner = matcher.owners.get(id(node.owner)) if node.owner is not None else None
        if learner is not None:
            (backbone if node.owner.name in names else head).append((node, learner))
    thawed = [(node, learner) for node, learner in backbone if not _frozen_in_fit(model, learner)]
    if thawed:
        layers_ = list({id(m): m for _, m in thawed}.values())
        raise Verdict("failed", "requirements", f"Your backbone layer{'s' * (len(layers_) > 1)} "
                      f"{_listed(layers_)} {'are' if len(layers_) > 1 else 'is'} still "
                      "trainable, so fit() would change the trained weights (and a large "
                      "gradient from the new, random head would wreck them first). Freeze the "
                      "backbone before training the head: backbone.trainable = False.",
                      cause="unfrozen-backbone",
                      focus=([i for _, m in thawed for i in _nodes_of(matcher.learner, m)],
                             [node.id for node, _ in thawed]))
    frozen = [(node, learner) for node, learner in head if _frozen_in_fit(model, learner)]
    if frozen:
        layers_ = list({id(m): m for _, m in frozen}.values())
        many = len(layers_) > 1
        if not model.trainable:
            how = "model.trainable = False froze the whole model, the new head with it"
            fix = ("Set model.trainable = True, then freeze only the backbone again: "
                   "backbone.trainable = False.")
        else:
            how = (f"your layer{'s' * many} {_listed(layers_)} {'are' if many else 'is'} "
                   f"frozen (trainable=False on {'them' if many else 'it'}, or on a block around "
                   f"{'them' if many else 'it'})")
            fix = ("Freeze only the backbone (backbone.trainable = False) and leave the layers "
                   "you add trainable.")
        kept = "them and they keep their" if many else "it and it keeps its"
        raise Verdict("failed", "requirements", f"Your new head cannot learn: {how}, so fit() "
                      f"cannot change {kept} random starting weights. " + fix,
                      cause="frozen-head",
                      focus=([i for _, m in frozen for i in _nodes_of(matcher.learner, m)],
                             [node.id for node, _ in frozen]))


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
    worst, worst_at, failing = 0.0, 0, []
    for r, m in output_pairs:
        index = task.graph.outputs.index(r)
        got, want = outputs[out_index[m]], task.expected[index]
        diff = float(np.max(np.abs(got - want))) if np.isfinite(got).all() else math.inf
        if diff >= worst:
            worst, worst_at = diff, index
        if not np.allclose(got, want, rtol=RTOL, atol=ATOL):
            failing.append((r, m))
    tolerance = {"rtol": RTOL, "atol": ATOL}
    label = output_label(task.graph, worst_at)
    which = f" (output {label})" if label else ""
    detail = [f"largest difference {worst:.3g}{which}, tolerance rtol={RTOL}, atol={ATOL}"]
    if failing:
        raise Verdict("failed", "numbers", _numbers_message(task, graph, matcher, failing),
                      details=detail, max_abs_diff=worst, tolerance=tolerance,
                      focus=([m for _, m in failing] + [n.id for n in graph.nodes if n.opaque],
                             [r for r, _ in failing]
                             + [matcher.rev[n.id] for n in graph.nodes
                                if n.opaque and n.id in matcher.rev]))
    raise Verdict("passed", "done", "your model computes what the exercise asks.",
                  details=detail, max_abs_diff=worst, tolerance=tolerance)


def _numbers_message(task: Task, graph: CanonicalGraph, matcher: Matcher,
                     failing: list[tuple[int, int]]) -> str:
    """Why outputs differ, in the learner's terms: which of their outputs, and what the
    structure check could not see."""
    labels = [output_label(task.graph, task.graph.outputs.index(r)) for r, _ in failing]
    made_by = ", ".join(f"'{graph.nodes[m].layer_name}'" for _, m in failing)
    named = ", ".join(label for label in labels if label)
    many = len(failing) > 1
    which = (f"Your model's output{'s' * many} {named} (from your layer{'s' * many} "
             f"{made_by})" if named else f"Your model's output (from your layer {made_by})")
    differ = "differ" if many else "differs"
    opaque = [n for n in graph.nodes if n.opaque]
    if opaque:
        placed = []
        for node in opaque:
            ref_id = matcher.rev.get(node.id)
            ref_node = task.graph.nodes[ref_id] if ref_id is not None else None
            place = ("sits where the exercise has no layer" if ref_node is None else
                     f"stands where the exercise has a {ref_node.op} too" if ref_node.opaque
                     else f"stands where the exercise has {describe(ref_node)}")
            placed.append(f"your layer '{node.layer_name}' ({node.op}) {place}")
        one = len(opaque) == 1
        return (f"{which} {differ} from the reference. {'; '.join(placed).capitalize()[0]}"
                f"{'; '.join(placed)[1:]}. The grader cannot read what a Lambda or a layer "
                "class of your own computes, so the numbers decide: "
                f"{'it computes' if one else 'they compute'} something else.")
    if not task.inject_weights:
        hint = " Are the trained layers reused in the right places?"
    else:
        hint = (" Look for a constant or setting that the structure check cannot see, such "
                "as a number inside an operation (x * 2.0).")
    return f"The structure looks right, but {which[0].lower()}{which[1:]} {differ} from the " \
        "reference." + hint
