"""The canonical graph: one normalised picture of what a model computes.

Two models that compute the same function from the same parameters get the same canonical
graph, however they were spelled: nested models are flattened (by the tracer), input layers and
names are ignored, ``activation=`` arguments become separate activation nodes so that
``Dense(64, activation="relu")`` equals ``Dense(64)`` followed by ``ReLU()``, raw ``+`` equals
``Add()``, and commutative merges remember that their operand order does not matter.

Layers whose computation cannot be read from their configuration (a ``Lambda``, a layer class
of the learner's own) are *opaque*: the matcher treats them as wildcards and the numbers step
decides whether they compute the right thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import keras

from kfunc_lessons.core.keras_graph import Ref, Trace, trace

COMMUTATIVE = {"add", "multiply", "average", "maximum", "minimum"}
MERGES = COMMUTATIVE | {"subtract", "concatenate"}
# Layers that compute nothing: the identity in every mode.
PASSTHROUGH = {"Identity", "InputLayer"}
# Raw ops (keras.ops.relu(x)) that are exactly these activation functions. Not gelu:
# keras.ops.gelu defaults to the tanh approximation, the gelu activation does not.
RAW_ACTIVATIONS = {"relu", "sigmoid", "tanh"}
_PLAIN_RELU = {"max_value": None, "negative_slope": 0.0, "threshold": 0.0}
# Config entries that never change what an already-built layer computes in inference.
_IGNORED_KEYS = {"name", "trainable", "dtype", "seed", "activity_regularizer", "build_config"}
_IGNORED_SUFFIXES = ("_initializer", "_regularizer", "_constraint")


@dataclass
class Node:
    """A node of the canonical graph."""

    id: int
    op: str  # "input", "activation", a merge name, or a layer class name
    config: dict  # what must agree for two nodes to compute the same thing
    inputs: list[int]  # canonical node ids, in operand order
    shape: tuple  # output shape without the batch dimension
    owner: Any = None  # the layer that holds this node's weights (None when weightless)
    layer_name: str = ""  # the learner's own layer name, for messages
    depth: int = 0  # longest path from a model input
    scope: tuple = ()  # the nested models this node sits in, outermost first
    opaque: bool = False  # a Lambda or custom layer: only its numbers say what it computes

    @property
    def commutative(self) -> bool:
        return self.op in COMMUTATIVE


@dataclass
class CanonicalGraph:
    """Canonical nodes in topological order, plus the model's named inputs and outputs."""

    nodes: list[Node] = field(default_factory=list)
    inputs: list[int] = field(default_factory=list)
    input_names: list[str] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)
    output_names: list[str] = field(default_factory=list)
    trace: Trace | None = None

    def matched_by_name(self, kind: str) -> bool:
        """Whether a model's inputs (``kind="input"``) or outputs are paired with this graph's
        by name: where it has several, named by someone. Names that Keras generated are
        matched by position."""
        names = self.input_names if kind == "input" else self.output_names
        automatic = (self.trace.automatic_input_names if kind == "input"
                     else self.trace.automatic_output_names) if self.trace else False
        return len(names) > 1 and not automatic

    @property
    def outputs_keyed(self) -> bool:
        """The model's outputs are a dict, named by its keys."""
        return bool(self.trace and self.trace.outputs_keyed)

    def owners(self) -> list:
        """Weight-holding layers in first-use order, each once."""
        seen: dict[int, Any] = {}
        for node in self.nodes:
            if node.owner is not None and id(node.owner) not in seen:
                seen[id(node.owner)] = node.owner
        return list(seen.values())


def _plain(value):
    """Config values as hashable, comparable plain data."""
    if isinstance(value, dict):
        return tuple(sorted((k, _plain(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_plain(v) for v in value)
    return value


def _activation_name(fn) -> str:
    name = keras.activations.serialize(fn) if fn is not None else "linear"
    return name if isinstance(name, str) else str(_plain(name))


def _layer_config(layer) -> dict:
    try:
        config = layer.get_config()
    except Exception:  # a custom layer without get_config: compare by numbers only
        config = {}
    return {
        key: _plain(value)
        for key, value in config.items()
        if key not in _IGNORED_KEYS and not key.endswith(_IGNORED_SUFFIXES)
    }


def _normalise_axis(axis, rank: int):
    return axis + rank if isinstance(axis, int) and axis < 0 else axis


def folded_activation(graph: CanonicalGraph, node: Node) -> bool:
    """Whether ``node`` is the ``activation=`` of the layer below it (one layer, two nodes:
    ``Dense(64, activation="relu")``), not an activation layer of its own."""
    if node.op != "activation" or len(node.inputs) != 1:
        return False
    below = graph.nodes[node.inputs[0]]
    return below.op != "activation" and below.layer_name == node.layer_name


def is_opaque(operation) -> bool:
    """A Lambda, or a layer class defined outside Keras: its config does not say what it
    computes."""
    return isinstance(operation, keras.layers.Layer) and (
        type(operation).__name__ == "Lambda"
        or not type(operation).__module__.startswith(("keras.", "tf_keras.")))


def overrides_call(model: keras.Model) -> bool:
    """A class of the learner's own that defines call(): the graph is hidden in Python code.
    (A subclass that only builds a Functional graph in __init__ is fine.)"""
    for cls in type(model).__mro__:
        if cls.__module__.startswith("keras"):
            return False
        if "call" in vars(cls):
            return True
    return False


def _describe_call(call, out_rank: int) -> tuple[str, dict, str | None]:
    """(op, config, folded activation or None) for one leaf call."""
    operation = call.operation
    cls = type(operation).__name__
    lowered = cls.lower()
    if not isinstance(operation, keras.layers.Layer):
        if lowered in RAW_ACTIVATIONS:
            return "activation", {"function": lowered}, None
        if lowered == "softmax" and _normalise_axis(getattr(operation, "axis", None),
                                                   out_rank + 1) == out_rank:
            return "activation", {"function": "softmax"}, None
        if cls == "ReLU" and all(getattr(operation, k, None) == v for k, v in _PLAIN_RELU.items()):
            return "activation", {"function": "relu"}, None
    if not isinstance(operation, keras.layers.Layer) or lowered in MERGES:
        # Raw ops (x + y, keras.ops.concatenate) and merge layers share one vocabulary.
        config = {}
        if lowered == "concatenate":
            config["axis"] = _normalise_axis(getattr(operation, "axis", -1), out_rank + 1)
        elif not isinstance(operation, keras.layers.Layer):
            config = _layer_config(operation)
        return lowered, config, None
    config = _layer_config(operation)
    if cls == "Activation":
        return "activation", {"function": _activation_name(operation.activation)}, None
    if cls == "ReLU" and config == _PLAIN_RELU:
        return "activation", {"function": "relu"}, None
    if cls == "Softmax" and _normalise_axis(config.get("axis"), out_rank + 1) == out_rank:
        return "activation", {"function": "softmax"}, None
    if "activation" in config and "recurrent_activation" not in config:
        config.pop("activation")
        activation = _activation_name(getattr(operation, "activation", None))
        return cls, config, None if activation == "linear" else activation
    return cls, config, None


def canonical_graph(model: keras.Model) -> CanonicalGraph:
    """Build the canonical graph of a Keras model (raises UntraceableModel)."""
    tr = trace(model)
    graph = CanonicalGraph(trace=tr, input_names=list(tr.input_names))
    producer: dict[int, int] = {}  # value id -> canonical node id

    def add(op, config, inputs, shape, owner=None, layer_name="", scope=(),
            opaque=False) -> int:
        node_id = len(graph.nodes)
        depth = 1 + max((graph.nodes[i].depth for i in inputs), default=-1)
        graph.nodes.append(
            Node(node_id, op, config, inputs, shape, owner, layer_name, depth, scope, opaque)
        )
        return node_id

    for value, name in zip(tr.inputs, tr.input_names):
        producer[value] = add("input", {}, [], tr.shapes[value], layer_name=name)
        graph.inputs.append(producer[value])

    for call in tr.calls:
        ins = [producer[v] for v in call.inputs]
        cls = type(call.operation).__name__
        if cls in PASSTHROUGH and len(ins) == 1:
            for v in call.outputs:
                producer[v] = ins[0]
            continue
        shape = tr.shapes[call.outputs[0]]
        opaque = is_opaque(call.operation)
        if opaque:
            op, config, activation = type(call.operation).__name__, {}, None
        else:
            op, config, activation = _describe_call(call, len(shape))
        fixed = {k: v for k, v in call.kwargs.items() if not isinstance(v, Ref) and v is not None}
        if fixed and isinstance(call.operation, keras.layers.Layer):
            # e.g. BatchNormalization()(x, training=True): part of what the call computes.
            config = {**config, "call_arguments": _plain(fixed)}
        owner = call.operation if getattr(call.operation, "weights", None) else None
        scope = call.scope
        name = call.operation.name
        node_id = add(op, config, ins, shape, owner, name, scope, opaque)
        if activation is not None:
            node_id = add("activation", {"function": activation}, [node_id], shape, None, name,
                          scope)
        for index, v in enumerate(call.outputs):
            # Extra outputs (an LSTM's states) get their own projection node.
            producer[v] = node_id if index == 0 else add(
                "output", {"index": index}, [node_id], tr.shapes[v], None, name, scope
            )
    graph.outputs = [producer[v] for v in tr.outputs]
    graph.output_names = list(tr.output_names)
    return graph
