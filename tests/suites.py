"""Mutants (wrong models made automatically from each reference) and equivalents (right
models written the ways learners write them). Used by tests/test_grader_suites.py and by
benchmarks/grader_suites.py, which publishes the counts.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import keras
from keras import layers

import kfunc_lessons as kl
from kfunc_lessons import surgery
from kfunc_lessons.graph import canonical_graph
from kfunc_lessons.references import build_solution


@dataclass
class Mutant:
    description: str
    build: Callable[[], keras.Model]
    expect: tuple[str, ...]  # the message must contain one of these words


def _leaves(model):
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found.extend(_leaves(layer))
        elif not isinstance(layer, layers.InputLayer):
            found.append(layer)
    return found


def _like(layer, keep_name=True, **changes):
    config = {**layer.get_config(), **changes}
    if not keep_name:
        config.pop("name", None)
    return layer.__class__.from_config(config)


def _sequential_again(exercise_id, model):
    """Exercise 01 asks for a Sequential: turn a chain back into one."""
    if exercise_id != "sequential_baseline":
        return model
    return keras.Sequential([keras.Input(model.inputs[0].shape[1:]), *_leaves(model)])


_ACTIVATION_SWAPS = {
    "relu": ("tanh", "sigmoid", "elu"),
    "softmax": ("sigmoid", "linear", "softplus"),
    "sigmoid": ("relu", "tanh"),
    "linear": ("relu", "tanh"),
}
_MERGE_SWAPS = {"Add": ("Multiply", "Subtract", "Maximum"),
                "Concatenate": ("Add", "Multiply", "Average")}


def mutants(exercise_id: str) -> list[Mutant]:
    """Wrong models generated from the reference by one edit each."""
    reference = build_solution(exercise_id)
    found: list[Mutant] = []

    def add(description, edit, expect):
        def build():
            return _sequential_again(exercise_id, edit())
        found.append(Mutant(description, build, tuple(expect)))

    def edited(fn, *args):
        return lambda: fn(reference, *args, on_shape_change="reinitialize")

    output_layers = {t._keras_history.operation.name for t in reference.outputs}
    named_outputs = len(reference.outputs) > 1
    for layer in _leaves(reference):
        name, config, cls = layer.name, layer.get_config(), type(layer).__name__
        # A layer added after (or removed from) a named output changes the output's name, and
        # the check reports exactly that first.
        renamed = ["outputs are named"] if named_outputs and name in output_layers else []
        if "units" in config:
            for units in (config["units"] * 2, max(1, config["units"] // 2)):
                if units != config["units"]:
                    add(f"{name}: units {config['units']} -> {units}",
                        edited(surgery.replace_layer, name, _like(layer, units=units)),
                        ["units=", "shape"])
        if "filters" in config:
            add(f"{name}: filters x2", edited(surgery.replace_layer, name,
                                              _like(layer, filters=config["filters"] * 2)),
                ["filters=", "shape"])
        if "kernel_size" in config:
            size = 5 if config["kernel_size"][0] == 3 else 3
            add(f"{name}: kernel_size -> {size}", edited(
                surgery.replace_layer, name, _like(layer, kernel_size=size)), ["kernel_size="])
            add(f"{name}: strides 2", edited(surgery.replace_layer, name,
                                             _like(layer, strides=2)), ["strides=", "shape"])
        if "activation" in config and "recurrent_activation" not in config:
            for new in _ACTIVATION_SWAPS.get(config["activation"], ()):
                add(f"{name}: activation {config['activation']} -> {new}",
                    edited(surgery.replace_layer, name, _like(layer, activation=new)),
                    [f"'{new}'", "activation", "one layer too many", "missing"])
        if config.get("use_bias"):
            add(f"{name}: no bias", edited(surgery.replace_layer, name,
                                           _like(layer, use_bias=False)), ["use_bias=False"])
        if cls == "LSTM":
            for other in (layers.GRU, layers.SimpleRNN):
                add(f"{name}: LSTM -> {other.__name__}",
                    edited(surgery.replace_layer, name, other(config["units"])),
                    [other.__name__])
        for new_cls in _MERGE_SWAPS.get(cls, ()):
            add(f"{name}: {cls} -> {new_cls}", edited(surgery.replace_layer, name,
                                                      getattr(layers, new_cls)()),
                [new_cls.lower(), "its inputs"])
        if cls == "Concatenate":
            add(f"{name}: operands reversed", edited(
                surgery.wrap_layer, name, lambda lyr, xs: lyr(list(reversed(xs)))),
                ["wrong order"])
        add(f"insert Dense after {name}", edited(
            surgery.insert_after, name, layers.Dense(layer.output.shape[-1])),
            ["one layer too many", "missing", "reads", "Dense", *renamed])
        add(f"insert ReLU after {name}", edited(surgery.insert_after, name, layers.ReLU()),
            ["one layer too many", "relu", "missing", "reads", *renamed])
        add(f"insert Dropout after {name}", edited(surgery.insert_after, name,
                                                  layers.Dropout(0.1)),
            ["one layer too many", "Dropout"])
        if _calls(reference, layer) == 1 and not isinstance(layer.input, list):
            add(f"drop {name}", edited(surgery.wrap_layer, name, lambda lyr, x, **kw: x),
                ["missing", "reads", "is used where", "shape", "units=", "takes", *renamed])
        if _calls(reference, layer) > 1:
            add(f"unshare {name}", edited(surgery.wrap_layer, name, _unshared()),
                ["separate layer", "ONE layer"])
    for mutant in _rewired(reference):
        found.append(mutant)
    if exercise_id == "replace_intermediate":
        add("fresh, untrained layers", lambda: keras.models.clone_model(reference),
            ["trained weights"])
    return found


def _calls(model, layer) -> int:
    graph = canonical_graph(model)
    return sum(call.operation is layer for call in graph.trace.calls)


def _unshared():
    calls = itertools.count()

    def edit(layer, *args, **kwargs):
        if next(calls) == 0:
            return layer(*args, **kwargs)
        return _like(layer, keep_name=False)(*args, **kwargs)

    return edit


def _rewired(reference) -> list[Mutant]:
    """Skip connections taken from the wrong tensor: a layer that reads a model input reads
    the output of a sibling layer (that read the same input) instead."""
    found = []
    inputs = {id(t) for t in reference.inputs}
    readers = [layer for layer in _leaves(reference)
               if _calls(reference, layer) == 1 and not isinstance(layer.input, list)
               and id(layer.input) in inputs]
    for source, target in itertools.combinations(readers, 2):  # graph order: source first
        if target.input is not source.input:
            continue

        def build(target=target, source=source):
            outputs = {}

            def call(layer, *args, **kwargs):
                if layer.name == target.name and source.name in outputs:
                    args = (outputs[source.name], *args[1:])
                out = layer(*args, **kwargs)
                outputs[layer.name] = out
                return out

            model = keras.models.clone_model(reference, call_function=call)
            assert target.name in outputs and source.name in outputs
            return model

        found.append(Mutant(f"{target.name} reads {source.name} instead of the input",
                            build, ("reads", "wired", "shape")))
    return found


# ---- equivalents: correct models written differently ----------------------------------------

def _dense_head(x, units=10, split=False, layer_kind="activation"):
    if not split:
        return layers.Dense(units, activation="softmax")(x)
    x = layers.Dense(units)(x)
    return layers.Softmax()(x) if layer_kind == "layer" else layers.Activation("softmax")(x)


def _relu(x, units, style):
    if style == "arg":
        return layers.Dense(units, activation="relu")(x)
    x = layers.Dense(units)(x)
    return layers.ReLU()(x) if style == "layer" else layers.Activation("relu")(x)


def _tf_keras_sequential():
    import tensorflow as tf

    return tf.keras.Sequential([tf.keras.Input((10,)), tf.keras.layers.Dense(64, "relu"),
                                tf.keras.layers.Dense(10, "softmax")])


def _functional(style="arg", split_head=False, wrap=False, named=False):
    inputs = keras.Input((10,), name="x" if named else None)
    hidden = _relu(inputs, 64, style)
    if wrap:
        hidden = keras.Sequential([layers.Dense(64)])(inputs)
        hidden = layers.Activation("relu")(hidden)
    return keras.Model(inputs, _dense_head(hidden, split=split_head))


def _raw_ops():
    inputs = keras.Input((10,))
    hidden = keras.ops.relu(layers.Dense(64)(inputs))
    return keras.Model(inputs, keras.ops.softmax(layers.Dense(10)(hidden)))


class _FunctionalSubclass(keras.Model):
    def __init__(self):
        inputs = keras.Input((10,))
        super().__init__(inputs, _dense_head(_relu(inputs, 64, "arg")))


def _built_later():
    model = keras.Sequential([layers.Dense(64, activation="relu"),
                              layers.Dense(10, activation="softmax")])
    model.build((None, 10))
    return model


def _residual(merge="add", order=0, create_first=False, style="arg", projection_block=False):
    inputs = keras.Input((10,))
    if create_first:  # layers created before use, in a different order
        head, shortcut_layer = layers.Dense(10, activation="softmax"), layers.Dense(64)
        hidden = _relu(inputs, 64, style)
        shortcut = shortcut_layer(inputs)
    else:
        hidden = _relu(inputs, 64, style)
        shortcut = (keras.Sequential([layers.Dense(64)])(inputs) if projection_block
                    else layers.Dense(64)(inputs))
        head = layers.Dense(10, activation="softmax")
    a, b = (hidden, shortcut) if order == 0 else (shortcut, hidden)
    merged = {"add": lambda: layers.add([a, b]), "Add": lambda: layers.Add()([a, b]),
              "+": lambda: a + b, "ops": lambda: keras.ops.add(a, b)}[merge]()
    return keras.Model(inputs, head(merged))


def _blocks(activation_layers=False, functional_blocks=False, names=True, head_split=False):
    def block(units, name):
        if activation_layers:
            members = [layers.Dense(units[0]), layers.ReLU(), layers.Dense(units[1]),
                       layers.Activation("relu")]
        else:
            members = [layers.Dense(u, activation="relu") for u in units]
        return keras.Sequential(members, name=name if names else None)

    b1, b2 = block((32, 16), "first"), block((64, 32), "second")
    inputs = keras.Input((10,))
    return keras.Model(inputs, _dense_head(b2(b1(inputs)), split=head_split))


def _replace(merge="add", order=0, sequential_input=False):
    trained = kl.load_starter("replace_intermediate")
    d1, mid, d2 = (trained.get_layer(n) for n in ("dense_1", "dense_mid", "dense_2"))
    inputs = keras.Input((10,))
    h = d1(inputs)
    m = mid(h)
    a, b = (h, m) if order == 0 else (m, h)
    merged = {"add": lambda: layers.add([a, b]), "+": lambda: a + b,
              "Add": lambda: layers.Add(name="residual")([a, b])}[merge]()
    return keras.Model(inputs, d2(merged))


def _replace_by_surgery():
    return surgery.wrap_layer(kl.load_starter("replace_intermediate"), "dense_mid",
                              lambda layer, h: layers.add([h, layer(h)]))


def _shared(style="arg", order="lr", concat="layer", encoder_block=False, dict_inputs=False):
    left, right = keras.Input((10,), name="left"), keras.Input((10,), name="right")
    if encoder_block:
        encoder = keras.Sequential([layers.Dense(32), layers.ReLU()])
    elif style == "arg":
        encoder = layers.Dense(32, activation="relu")
    else:
        encoder = keras.Sequential([layers.Dense(32), layers.Activation("relu")])
    el, er = encoder(left), encoder(right)
    merged = (layers.concatenate([el, er]) if concat == "layer"
              else keras.ops.concatenate([el, er], axis=-1))
    out = layers.Dense(1, activation="sigmoid")(merged)
    ins = [left, right] if order == "lr" else [right, left]
    if dict_inputs:
        ins = {"left": left, "right": right}
    return keras.Model(ins, out)


def _multi(order="sf", outputs_as="list", style="arg", concat="layer", out_order="lv"):
    series, features = keras.Input((20, 3), name="series"), keras.Input((10,), name="features")
    r = layers.LSTM(16)(series)
    d = _relu(features, 16, style)
    merged = (layers.concatenate([r, d]) if concat == "layer"
              else layers.Concatenate(axis=1)([r, d]))
    hidden = _relu(merged, 32, style)
    label = layers.Dense(3, activation="softmax", name="label")(hidden)
    value = layers.Dense(1, name="value")(hidden)
    ins = [series, features] if order == "sf" else [features, series]
    outs = [label, value] if out_order == "lv" else [value, label]
    if outputs_as == "dict":
        outs = {"label": label, "value": value}
    return keras.Model(ins, outs)


def _branch(order="ab", style="arg", concat="layer", pool="layer"):
    image = keras.Input((28, 28, 1), name="image")

    def conv(k):
        if style == "arg":
            return layers.Conv2D(8, k, padding="same", activation="relu")(image)
        return layers.ReLU()(layers.Conv2D(8, k, padding="same")(image))

    a, b = (conv(3), conv(5)) if order == "ab" else tuple(reversed((conv(5), conv(3))))
    merged = (layers.concatenate([a, b]) if concat == "layer"
              else layers.Concatenate(axis=3)([a, b]))
    pooled = (layers.GlobalAveragePooling2D()(merged) if pool == "layer"
              else keras.Sequential([layers.GlobalAveragePooling2D()])(merged))
    return keras.Model(image, _dense_head(pooled, split=style != "arg"))


EQUIVALENTS: dict[str, dict[str, Callable[[], keras.Model]]] = {
    "sequential_baseline": {
        "Input in the list": lambda: build_solution("sequential_baseline"),
        "built later with build()": _built_later,
        "Activation layers": lambda: keras.Sequential([
            keras.Input((10,)), layers.Dense(64), layers.Activation("relu"), layers.Dense(10),
            layers.Activation("softmax")]),
        "ReLU() and Softmax() layers": lambda: keras.Sequential([
            keras.Input((10,)), layers.Dense(64), layers.ReLU(), layers.Dense(10),
            layers.Softmax()]),
        "tf.keras": _tf_keras_sequential,
        "named layers": lambda: keras.Sequential([
            keras.Input((10,), name="features"), layers.Dense(64, "relu", name="hidden"),
            layers.Dense(10, "softmax", name="probs")], name="mine"),
        "a one-layer Sequential inside": lambda: keras.Sequential([
            keras.Input((10,)), keras.Sequential([layers.Dense(64, activation="relu")]),
            layers.Dense(10, activation="softmax")]),
    },
    "functional_equivalent": {
        "activation argument": lambda: _functional("arg"),
        "Activation layer": lambda: _functional("activation"),
        "ReLU layer, Softmax layer": lambda: _functional("layer", split_head=True),
        "named input": lambda: _functional(named=True),
        "wrapped in a one-layer Sequential": lambda: _functional(wrap=True),
        "Functional over a Sequential": lambda: keras.Model(
            (s := build_solution("sequential_baseline")).inputs, s.outputs),
        "keras.ops.relu and keras.ops.softmax": _raw_ops,
        "a keras.Model subclass building the graph in __init__": _FunctionalSubclass,
    },
    "residual_add": {
        "add()": lambda: _residual("add"),
        "Add()": lambda: _residual("Add"),
        "+": lambda: _residual("+"),
        "keras.ops.add": lambda: _residual("ops"),
        "operands swapped": lambda: _residual("add", order=1),
        "+ with operands swapped": lambda: _residual("+", order=1),
        "layers created first": lambda: _residual("Add", create_first=True),
        "ReLU layer": lambda: _residual("add", style="layer"),
        "projection in a one-layer Sequential": lambda: _residual(projection_block=True),
    },
    "sequential_blocks": {
        "reference": lambda: build_solution("sequential_blocks"),
        "activation layers inside blocks": lambda: _blocks(activation_layers=True),
        "unnamed blocks": lambda: _blocks(names=False),
        "softmax as a layer": lambda: _blocks(head_split=True),
        "both": lambda: _blocks(activation_layers=True, head_split=True),
        "blocks without names, activation layers": lambda: _blocks(activation_layers=True,
                                                                   names=False),
    },
    "replace_intermediate": {
        "add()": lambda: _replace("add"),
        "+": lambda: _replace("+"),
        "Add() named": lambda: _replace("Add"),
        "operands swapped": lambda: _replace("add", order=1),
        "+ operands swapped": lambda: _replace("+", order=1),
        "kfunc_lessons.surgery.wrap_layer": _replace_by_surgery,
    },
    "shared_layers": {
        "activation argument": lambda: _shared(),
        "encoder as a Sequential": lambda: _shared(style="block"),
        "encoder block with ReLU": lambda: _shared(encoder_block=True),
        "inputs listed right, left": lambda: _shared(order="rl"),
        "keras.ops.concatenate": lambda: _shared(concat="ops"),
        "dict inputs": lambda: _shared(dict_inputs=True),
    },
    "multi_input_output": {
        "reference": lambda: _multi(),
        "inputs listed features, series": lambda: _multi(order="fs"),
        "outputs listed value, label": lambda: _multi(out_order="vl"),
        "dict outputs": lambda: _multi(outputs_as="dict"),
        "ReLU layers": lambda: _multi(style="layer"),
        "Concatenate(axis=1)": lambda: _multi(concat="Concatenate"),
    },
    "branch_merge": {
        "reference": lambda: _branch(),
        "streams created 5x5 first": lambda: _branch(order="ba"),
        "ReLU and Softmax layers": lambda: _branch(style="layer"),
        "Concatenate(axis=3)": lambda: _branch(concat="Concatenate"),
        "pooling in a one-layer Sequential": lambda: _branch(pool="block"),
        "all of these": lambda: _branch(order="ba", style="layer", concat="Concatenate",
                                        pool="block"),
    },
}
