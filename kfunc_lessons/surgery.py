"""Replace, insert after, or wrap a named layer of a trained model, keeping its weights.

Built on `keras.models.clone_model()`: the model is cloned with a ``call_function`` that
edits the one call of the named layer, and a ``clone_function`` that copies every layer with
its weights, so untouched weights stay bit-identical and the original model is not modified.
``call_function`` does not work on ``Sequential`` models (their layers are listed, not called),
so Sequential models and nested Sequential blocks are first turned into Functional ones.

```python
from kfunc_lessons import surgery

model = surgery.insert_after(model, "hidden", keras.layers.Dropout(0.2))
model = surgery.replace_layer(model, "middle", keras.layers.Dense(64, activation="gelu"))
model = surgery.wrap_layer(model, "middle", lambda layer, x: keras.layers.add([x, layer(x)]))
```
"""

from __future__ import annotations

from collections.abc import Callable

import keras

from kfunc_lessons.core.compatibility import require_supported_versions

require_supported_versions()  # proven on Keras 3.10 and newer

__all__ = ["as_functional", "insert_after", "layer_names", "replace_layer", "wrap_layer"]


def layer_names(model: keras.Model) -> list[str]:
    """Names of every layer in ``model``, looking inside nested models."""
    names = []
    for layer in model.layers:
        names.append(layer.name)
        if isinstance(layer, keras.Model):
            names.extend(layer_names(layer))
    return names


def as_functional(model: keras.Model) -> keras.Model:
    """A Functional model over the *same* layer objects, nested Sequential blocks included."""
    if isinstance(model, keras.Sequential):
        model = keras.Model(model.inputs, model.outputs, name=model.name)
    if not any(isinstance(layer, keras.Sequential) for layer in model.layers):
        return model

    def convert(layer):
        return as_functional(layer) if isinstance(layer, keras.Model) else layer

    return keras.models.clone_model(model, clone_function=convert)


def _edit(model: keras.Model, name: str, edit: Callable, on_shape_change: str) -> keras.Model:
    if name not in layer_names(model):
        raise ValueError(f"no layer named {name!r}; the model's layers are: "
                         f"{', '.join(layer_names(model))}")
    if on_shape_change not in ("raise", "reinitialize"):
        raise ValueError("on_shape_change must be 'raise' or 'reinitialize'")
    copies: list[tuple[keras.layers.Layer, keras.layers.Layer]] = []

    def copy_layer(layer):
        if isinstance(layer, keras.Model):
            return layer  # rebuilt in `call`, on the shape it actually receives
        if not isinstance(layer, keras.layers.Layer):
            return layer  # an operation such as `a + b` or keras.ops.relu: no state to copy
        clone = layer.__class__.from_config(layer.get_config())
        copies.append((layer, clone))
        return clone

    def call(layer, *args, **kwargs):
        if layer.name == name:
            return edit(layer, *args, **kwargs)
        if isinstance(layer, keras.Model) and len(layer.inputs) == 1 and args:
            # A nested block is rebuilt on a new Input of the width it now receives, so a
            # width change at a block boundary only touches the layer that reads it.
            fresh = keras.Input(shape=tuple(args[0].shape[1:]), dtype=layer.inputs[0].dtype)
            block = keras.models.clone_model(layer, input_tensors=keras.tree.pack_sequence_as(
                                                 layer.input, [fresh]),
                                             clone_function=copy_layer, call_function=call)
            return block(*args, **kwargs)
        return layer(*args, **kwargs)

    edited = keras.models.clone_model(as_functional(model), clone_function=copy_layer,
                                      call_function=call)
    mismatched = []
    for original, clone in copies:
        if not clone.built or not original.weights:
            continue  # the replaced layer, or a layer without weights
        values = original.get_weights()
        if [tuple(v.shape) for v in values] == [tuple(w.shape) for w in clone.weights]:
            clone.set_weights(values)
        else:
            mismatched.append(original.name)
    if mismatched and on_shape_change == "raise":
        raise ValueError(
            f"the edit changed the input shape of {', '.join(mismatched)}, so their trained "
            "weights no longer fit. Keep the shape the same, or pass "
            "on_shape_change='reinitialize' to rebuild those layers with fresh weights.")
    return edited


def replace_layer(model: keras.Model, name: str, new_layer: keras.layers.Layer, *,
                  on_shape_change: str = "raise") -> keras.Model:
    """A copy of ``model`` in which the layer ``name`` is replaced by ``new_layer``.

    Args:
        model: a Sequential or Functional model, possibly with nested blocks.
        name: the layer to replace (it may sit inside a nested block).
        new_layer: the layer to call instead, on the same inputs.
        on_shape_change: ``"raise"`` (default) when downstream weights no longer fit the new
            shape, or ``"reinitialize"`` to give those layers fresh weights.
    """
    return _edit(model, name, lambda _old, *a, **k: new_layer(*a, **k), on_shape_change)


def insert_after(model: keras.Model, name: str, new_layer: keras.layers.Layer, *,
                 on_shape_change: str = "raise") -> keras.Model:
    """A copy of ``model`` with ``new_layer`` applied to the output of the layer ``name``."""
    return _edit(model, name, lambda old, *a, **k: new_layer(old(*a, **k)), on_shape_change)


def wrap_layer(model: keras.Model, name: str, wrapper: Callable, *,
               on_shape_change: str = "raise") -> keras.Model:
    """A copy of ``model`` in which the call of layer ``name`` becomes ``wrapper(layer, x)``.

    ``wrapper`` receives the (copied) layer and its input tensor and returns the new output,
    e.g. ``lambda layer, x: keras.layers.add([x, layer(x)])`` for a residual connection.
    """
    return _edit(model, name, lambda old, *a, **k: wrapper(old, *a, **k), on_shape_change)
