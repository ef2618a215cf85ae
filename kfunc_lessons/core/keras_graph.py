"""Every use of Keras internals lives here, so a Keras release that moves them breaks one file.

Keras 3 has no public API that lists which operation consumed which tensor. A symbolic
``KerasTensor`` records where it came from in ``_keras_history`` and each operation keeps the
calls made on it in ``_inbound_nodes``; both have been stable across Keras 3 releases. The rest
of the package sees only the `Trace` built here: a flat, topologically ordered list of
leaf calls (layers and raw ops such as ``+``) with nested models inlined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import keras
from keras.src.utils.naming import to_snake_case


class UntraceableModel(Exception):
    """The model has no symbolic graph to read (subclassed, unbuilt, or not a model)."""


@dataclass(frozen=True)
class Ref:
    """A placeholder for the value with this id inside a call's arguments."""

    id: int


@dataclass
class Call:
    """One call of a leaf operation (a layer that is not a model, or a raw op)."""

    operation: Any
    args: Any  # the call's positional arguments with tensors replaced by Ref
    kwargs: dict
    inputs: list[int]  # value ids, in argument order
    outputs: list[int]  # value ids, in output order
    scope: tuple  # the nested models this call sits in, outermost first


@dataclass
class Trace:
    """A model flattened into leaf calls over numbered values."""

    inputs: list[int] = field(default_factory=list)
    input_names: list[str] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)
    output_names: list[str] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    shapes: dict[int, tuple] = field(default_factory=dict)
    # Names that Keras generated ('dense_3', 'input_layer_1') rather than ones someone chose.
    automatic_input_names: bool = False
    automatic_output_names: bool = False
    outputs_keyed: bool = False  # the outputs are a dict: Keras names them by its keys


def model_io(model: keras.Model) -> tuple[list, list]:
    """The model's symbolic input and output tensors, or raise UntraceableModel."""
    try:
        inputs, outputs = model.inputs, model.outputs
    except (AttributeError, ValueError) as exc:
        raise UntraceableModel(str(exc)) from exc
    if not inputs or not outputs:
        raise UntraceableModel("the model has no symbolic inputs or outputs")
    return list(inputs), list(outputs)


def _history(tensor):
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        raise UntraceableModel("a tensor in the model has no history")
    return history


def _output_keys(model: keras.Model, outputs: list) -> list[str] | None:
    """The keys of a dict of outputs, in ``model.outputs`` order; None for other structures.
    Keras names dict outputs by their keys (a loss or ``y`` dict is matched on them), whatever
    the layers producing them are called."""
    try:
        structure = model.output
    except Exception:  # a Sequential's or a subclass's own property: no dict to read
        return None
    if not isinstance(structure, dict):
        return None
    paths = [path for path, _ in keras.tree.flatten_with_path(structure)]
    if len(paths) != len(outputs) or not all(len(p) == 1 and isinstance(p[0], str)
                                             for p in paths):
        return None
    return [p[0] for p in paths]


def _output_name(model: keras.Model, tensor, index: int) -> str:
    names = getattr(model, "output_names", None)
    if names and index < len(names):
        return str(names[index])
    return _history(tensor).operation.name


def is_automatic_name(operation) -> bool:
    """Whether an operation still has the name Keras generated for it ('dense', 'dense_3')."""
    stems = [re.escape(to_snake_case(type(operation).__name__))]
    if isinstance(operation, keras.layers.InputLayer):
        stems.append("keras_tensor")  # clone_model names new inputs after their tensors
    return re.fullmatch(rf"({'|'.join(stems)})(_\d+)?",
                        str(getattr(operation, "name", ""))) is not None


def trace(model: keras.Model) -> Trace:
    """Flatten ``model`` into leaf calls, inlining nested Sequential and Functional models."""
    inputs, outputs = model_io(model)
    result = Trace()
    counter = iter(range(1 << 62))

    def new_value(tensor) -> int:
        value = next(counter)
        result.shapes[value] = tuple(tensor.shape[1:])
        return value

    for tensor in inputs:
        value = new_value(tensor)
        result.inputs.append(value)
        result.input_names.append(_history(tensor).operation.name)
    bound = {id(t): v for t, v in zip(inputs, result.inputs)}
    result.outputs = _trace_graph(outputs, bound, (), result, new_value)
    keys = _output_keys(model, outputs)
    result.outputs_keyed = keys is not None
    result.output_names = keys or [_output_name(model, t, i) for i, t in enumerate(outputs)]
    result.automatic_input_names = all(is_automatic_name(_history(t).operation) for t in inputs)
    result.automatic_output_names = keys is None and all(
        is_automatic_name(_history(t).operation) for t in outputs)
    return result


def _trace_graph(outputs, bound: dict, scope: tuple, result: Trace, new_value) -> list[int]:
    """Emit the calls that produce ``outputs`` given values already ``bound`` to tensors."""
    values = dict(bound)  # id(KerasTensor) -> value id
    done_nodes: set[int] = set()
    stack = [(t, False) for t in reversed(outputs)]
    while stack:
        tensor, expanded = stack.pop()
        if id(tensor) in values:
            continue
        operation, node_index, _ = _history(tensor)
        node = operation._inbound_nodes[node_index]
        if node.is_input:
            raise UntraceableModel(f"the graph uses input '{operation.name}' it was not given")
        parents = list(node.arguments.keras_tensors)
        if not expanded:
            stack.append((tensor, True))
            stack.extend((p, False) for p in reversed(parents) if id(p) not in values)
            continue
        if id(node) in done_nodes:
            continue
        done_nodes.add(id(node))
        parent_values = [values[id(p)] for p in parents]
        if isinstance(operation, keras.Model):
            inner_inputs, inner_outputs = model_io(operation)
            if len(inner_inputs) != len(parent_values):
                raise UntraceableModel(f"nested model '{operation.name}' is called oddly")
            inner_bound = {id(t): v for t, v in zip(inner_inputs, parent_values)}
            out_values = _trace_graph(
                inner_outputs, inner_bound, (*scope, operation), result, new_value
            )
        else:
            out_values = [new_value(t) for t in node.outputs]
            args, kwargs = keras.tree.map_structure(
                lambda x: Ref(values[id(x)]) if id(x) in values else x,
                (node.arguments.args, node.arguments.kwargs),
            )
            result.calls.append(
                Call(operation, args, kwargs, parent_values, out_values, scope)
            )
        for t, v in zip(node.outputs, out_values):
            values[id(t)] = v
    return [values[id(t)] for t in outputs]
