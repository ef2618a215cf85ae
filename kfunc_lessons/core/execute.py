"""Run a traced model as a copy, in inference mode, with weights chosen by the caller.

Every layer is re-created from its config and built from its build config, so the learner's
own layers are never called, built, or given new weights. Copies always compute in float32:
a model built under a mixed-precision policy (``mixed_float16`` on a GPU) is graded on what
it computes, not on float16 rounding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import numpy as np

from kfunc_lessons.core.keras_graph import Ref, Trace
from kfunc_lessons.core.precision import full_float32_precision


class LayerCopyError(Exception):
    """A layer could not be re-created from its config (typically a custom layer)."""


class ModelRunError(Exception):
    """The model raised while computing outputs; ``layer`` names where."""

    def __init__(self, layer: str, error: Exception):
        super().__init__(f"{type(error).__name__}: {error}")
        self.layer = layer


WeightSource = Callable[[keras.layers.Layer], "list[np.ndarray] | None"]


def reduced_precision_policies(tr: Trace) -> list[str]:
    """Names of the dtype policies other than float32 that the traced model's layers use."""
    names = {getattr(getattr(call.operation, "dtype_policy", None), "name", "float32")
             for call in tr.calls if isinstance(call.operation, keras.layers.Layer)}
    return sorted(names - {"float32"})


def _float32_config(layer: keras.layers.Layer) -> dict:
    config = layer.get_config()
    if "dtype" in config:
        config["dtype"] = "float32"
    return config


def _copy_layer(layer: keras.layers.Layer, weights: list | None) -> keras.layers.Layer:
    policy = getattr(getattr(layer, "dtype_policy", None), "name", "float32")
    if not layer.weights and layer.built and policy == "float32":
        # Nothing to change, so no copy: calling a built, weightless layer leaves it as it
        # is, and a Lambda keeps its own function (Keras 3.9 and older re-create a Lambda
        # from its config with the wrong globals: "name 'keras' is not defined").
        return layer
    try:
        copy = type(layer).from_config(_float32_config(layer))
        if layer.weights:
            copy.build_from_config(layer.get_build_config())
    except Exception as exc:
        if not layer.weights and layer.built:
            # A built layer without weights (a Lambda that cannot be deserialised safely)
            # has nothing to change: calling it leaves it as it is.
            return layer
        raise LayerCopyError(
            f"layer '{layer.name}' ({type(layer).__name__}) cannot be re-created from its "
            f"config: {type(exc).__name__}: {exc}"
        ) from exc
    if layer.weights:
        values = weights if weights is not None else layer.get_weights()
        expected = [tuple(w.shape) for w in copy.weights]
        if [tuple(np.shape(v)) for v in values] != expected:
            raise LayerCopyError(f"layer '{layer.name}' has weights of unexpected shapes")
        copy.set_weights([np.asarray(v, dtype=w.dtype) for v, w in zip(values, copy.weights)])
    return copy


def run_trace(tr: Trace, feeds: Sequence[np.ndarray], weights_for: WeightSource) -> list:
    """Outputs of the traced model on ``feeds`` (one array per input), as numpy arrays,
    computed in full float32 precision (no TF32) so every caller gets comparable numbers."""
    with full_float32_precision():
        return _run(tr, feeds, weights_for)


def _run(tr: Trace, feeds: Sequence[np.ndarray], weights_for: WeightSource) -> list:
    values: dict[int, object] = {v: keras.ops.convert_to_tensor(x) for v, x in
                                 zip(tr.inputs, feeds)}
    copies: dict[int, object] = {}
    for call in tr.calls:
        operation = call.operation
        is_layer = isinstance(operation, keras.layers.Layer)
        if is_layer and id(operation) not in copies:
            copies[id(operation)] = _copy_layer(operation, weights_for(operation))
        runner = copies.get(id(operation), operation)
        args, kwargs = keras.tree.map_structure(
            lambda x: values[x.id] if isinstance(x, Ref) else x, (call.args, call.kwargs)
        )
        if is_layer:
            kwargs = {**kwargs, "training": False}
        try:
            out = runner(*args, **kwargs)
        except Exception as exc:
            raise ModelRunError(operation.name, exc) from exc
        for value, tensor in zip(call.outputs, keras.tree.flatten(out)):
            values[value] = tensor
    return [keras.ops.convert_to_numpy(values[v]) for v in tr.outputs]
