"""Mutants (wrong models made automatically from each reference) and equivalents (right
models written the ways learners write them). Used by tests/core/test_grader_suites.py and by
benchmarks/grader_suites.py, which publishes the counts.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import keras
from keras import layers

import kfunc_lessons as kl
from kfunc_lessons import surgery
from kfunc_lessons.core.graph import canonical_graph
from kfunc_lessons.course.references import build_solution, reference_model


@dataclass
class Mutant:
    description: str
    build: Callable[[], keras.Model]
    expect: tuple[str, ...]  # the message must contain one of these words
    names: tuple[str, ...]  # ... and name the changed layer (one of these names)
    reference: keras.Model  # the model the mutant was derived from (same weights elsewhere)


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


def _kind_again(exercise_id, model):
    """Surgery returns Functional models, Functional blocks included: give exercises 01 and 04
    back the Sequential model and blocks they ask for (both are chains)."""
    if exercise_id == "sequential_blocks":
        inputs = x = keras.Input(model.inputs[0].shape[1:])
        for layer in model.layers[1:]:
            if isinstance(layer, keras.Model):
                layer = keras.Sequential(_leaves(layer), name=layer.name)
            x = layer(x)
        return keras.Model(inputs, x)
    return _sequential_again(exercise_id, model)


_ACTIVATION_SWAPS = {
    "relu": ("tanh", "sigmoid", "elu"),
    "softmax": ("sigmoid", "linear", "softplus"),
    "sigmoid": ("relu", "tanh"),
    "linear": ("relu", "tanh"),
}
_MERGE_SWAPS = {"Add": ("Multiply", "Subtract", "Maximum"),
                "Concatenate": ("Add", "Multiply", "Average")}


def mutants(exercise_id: str) -> list[Mutant]:
    """Wrong models generated from the reference by one edit each. The reference carries its
    stored weights, so that whether a mutant computes the same function does not hang on one
    process's random initialisation (an untrained head whose ReLUs all die on the random batch
    made two backbone edits look harmless under JAX in one CI run), and the layers an edit
    adds are drawn from a fixed seed."""
    keras.utils.set_random_seed(0)
    reference = reference_model(exercise_id)
    found: list[Mutant] = []

    def add(description, edit, expect, names):
        def build():
            return _sequential_again(exercise_id, edit())
        found.append(Mutant(description, build, tuple(expect), tuple(names), reference))

    def edited(fn, *args):
        return lambda: fn(reference, *args, on_shape_change="reinitialize")

    output_layers = {t._keras_history.operation.name for t in reference.outputs}
    named_outputs = len(reference.outputs) > 1
    for position, layer in enumerate(_leaves(reference)):
        name, config, cls = layer.name, layer.get_config(), type(layer).__name__
        # A layer added after (or removed from) a named output changes the output's name, and
        # the check reports exactly that first.
        renamed = ["outputs are named"] if named_outputs and name in output_layers else []
        if "units" in config:
            for units in (config["units"] * 2, max(1, config["units"] // 2)):
                if units != config["units"]:
                    add(f"{name}: units {config['units']} -> {units}",
                        edited(surgery.replace_layer, name, _like(layer, units=units)),
                        ["units=", "shape"], [name])
        if "filters" in config:
            add(f"{name}: filters x2", edited(surgery.replace_layer, name,
                                              _like(layer, filters=config["filters"] * 2)),
                ["filters=", "shape"], [name])
        if "kernel_size" in config:
            size = 5 if config["kernel_size"][0] == 3 else 3
            add(f"{name}: kernel_size -> {size}", edited(
                surgery.replace_layer, name, _like(layer, kernel_size=size)), ["kernel_size="],
                [name])
            add(f"{name}: strides 2", edited(surgery.replace_layer, name,
                                             _like(layer, strides=2)), ["strides=", "shape"],
                [name])
        if "activation" in config and "recurrent_activation" not in config:
            for new in _ACTIVATION_SWAPS.get(config["activation"], ()):
                add(f"{name}: activation {config['activation']} -> {new}",
                    edited(surgery.replace_layer, name, _like(layer, activation=new)),
                    [f"'{new}'", "activation", "one layer too many", "missing"], [name])
        if config.get("use_bias"):
            add(f"{name}: no bias", edited(surgery.replace_layer, name,
                                           _like(layer, use_bias=False)), ["use_bias=False"],
                [name])
        if cls == "LSTM":
            for other in (layers.GRU, layers.SimpleRNN):
                new_name = f"swapped_{other.__name__.lower()}"
                add(f"{name}: LSTM -> {other.__name__}",
                    edited(surgery.replace_layer, name, other(config["units"], name=new_name)),
                    [other.__name__], [new_name])
        for new_cls in _MERGE_SWAPS.get(cls, ()):
            new_name = f"swapped_{new_cls.lower()}"
            add(f"{name}: {cls} -> {new_cls}", edited(surgery.replace_layer, name,
                                                      getattr(layers, new_cls)(name=new_name)),
                [new_cls.lower(), "its inputs"], [new_name])
        if cls == "Concatenate":
            add(f"{name}: operands reversed", edited(
                surgery.wrap_layer, name, lambda lyr, xs: lyr(list(reversed(xs)))),
                ["wrong order"], [name])
        inserted = f"inserted_after_layer_{position}"  # not an automatic (numbered) name
        add(f"insert Dense after {name}", edited(
            surgery.insert_after, name,
            # without bias, so that no layer of the reference has its settings: the message
            # can then only blame the inserted layer
            layers.Dense(layer.output.shape[-1], use_bias=False, name=inserted)),
            ["one layer too many", *renamed], [inserted, *renamed])
        add(f"insert ReLU after {name}", edited(surgery.insert_after, name,
                                                layers.ReLU(name=inserted)),
            # "remove": the catalogue's nonlinear-shortcut entry names the cause instead
            ["one layer too many", "remove", *renamed], [inserted, *renamed])
        add(f"insert Dropout after {name}", edited(surgery.insert_after, name,
                                                  layers.Dropout(0.1, name=inserted)),
            ["one layer too many", *renamed], [inserted, *renamed])
        if _calls(reference, layer) == 1 and not isinstance(layer.input, list):
            add(f"drop {name}", edited(surgery.wrap_layer, name, lambda lyr, x, **kw: x),
                ["missing", "reads", "shape", "takes", *renamed],
                [_described(layer), *_consumers(reference, layer), *renamed])
        if _calls(reference, layer) > 1:
            add(f"unshare {name}", edited(surgery.wrap_layer, name, _unshared()),
                ["separate layer", "ONE layer"], [name])
    for mutant in _rewired(reference):
        found.append(mutant)
    if exercise_id == "replace_intermediate":
        add("fresh, untrained layers", lambda: keras.models.clone_model(reference),
            ["trained weights"], list(_names(reference)))
    if exercise_id == "new_head":
        add("backbone not frozen", lambda: new_head_model(frozen=False), ["still trainable"],
            ["conv_1", "conv_2"])
        add("only conv_2 frozen", lambda: new_head_model(frozen="conv_2"), ["still trainable"],
            ["conv_1"])
        add("fresh, untrained backbone", lambda: new_head_model(fresh=True), ["trained weights"],
            ["conv_1", "conv_2"])
        add("old 10-class head kept under the new one", lambda: new_head_model(old_head=True),
            ["old head"], ["digit"])
    return found


def _names(model):
    return [layer.name for layer in _leaves(model)]


def _described(layer) -> str:
    """How the grader describes a layer that is missing: its class and first setting."""
    from kfunc_lessons.core.describe import describe
    from kfunc_lessons.core.graph import canonical_graph

    inputs = keras.Input(layer.input.shape[1:])
    graph = canonical_graph(keras.Model(inputs, _like(layer, keep_name=False)(inputs)))
    return describe(graph.nodes[1]).split(",")[0].split(")")[0]


def _consumers(model, layer) -> list[str]:
    """Names of the layers that read ``layer``'s output: where a learner sees it missing."""
    return [other.name for other in _leaves(model)
            if any(t is layer.output for t in keras.tree.flatten(other.input))]


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
                            build, ("reads", "wired", "shape"), (target.name, source.name),
                            reference))
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
    merged = {"add": lambda: layers.add([a, b]), "Add": lambda: layers.Add(name="residual")([a, b]),
              "+": lambda: a + b, "ops": lambda: keras.ops.add(a, b)}[merge]()
    return keras.Model(inputs, head(merged))


def _blocks(activation_layers=False, names=True, head_split=False, own_inputs=False):
    widths = {(32, 16): 10, (64, 32): 16}

    def block(units, name):
        if activation_layers:
            members = [layers.Dense(units[0]), layers.ReLU(), layers.Dense(units[1]),
                       layers.Activation("relu")]
        else:
            members = [layers.Dense(u, activation="relu") for u in units]
        if own_inputs:
            members = [keras.Input((widths[units],)), *members]
        return keras.Sequential(members, name=name if names else None)

    b1, b2 = block((32, 16), "first"), block((64, 32), "second")
    inputs = keras.Input((10,))
    return keras.Model(inputs, _dense_head(b2(b1(inputs)), split=head_split))


def _replace(merge="add", order=0, sequential_input=False):
    trained = kl.load_starter("replace_intermediate")
    d1, mid, d2 = (trained.get_layer(n) for n in ("hidden", "middle", "classifier"))
    inputs = keras.Input((10,))
    h = d1(inputs)
    m = mid(h)
    a, b = (h, m) if order == 0 else (m, h)
    merged = {"add": lambda: layers.add([a, b]), "+": lambda: a + b,
              "ops": lambda: keras.ops.add(a, b),
              "Add": lambda: layers.Add(name="residual")([a, b])}[merge]()
    return keras.Model(inputs, d2(merged))


def _replace_by_surgery():
    return surgery.wrap_layer(kl.load_starter("replace_intermediate"), "middle",
                              lambda layer, h: layers.add([h, layer(h)]))


def new_head_model(style="model", frozen=True, head="layers", fresh=False, old_head=False,
                   named=False, head_frozen=False):
    """Exercise 09: a new head on the trained digit backbone, spelled different ways."""
    trained = kl.load_starter("new_head")
    if fresh:
        trained = keras.models.clone_model(trained)  # same architecture, new weights
    backbone_layers = [trained.get_layer(n) for n in ("conv_1", "conv_2")]
    if frozen is True:
        for layer in backbone_layers:
            layer.trainable = False
    elif frozen:
        trained.get_layer(frozen).trainable = False
    if style == "model":
        end = "digit" if old_head else "pool"
        backbone = keras.Model(trained.inputs, trained.get_layer(end).output)
        inputs = keras.Input((8, 8, 1), name="digits" if named else None)
        features = backbone(inputs)
    elif style == "layers":  # re-call the trained layers on a new input
        inputs = x = keras.Input((8, 8, 1))
        for name in ("conv_1", "conv_2", "pool"):
            x = trained.get_layer(name)(x)
        features = x
    else:  # "tensors": continue from the trained model's own graph
        inputs, features = trained.inputs, trained.get_layer("pool").output
    if head == "layers":
        x = layers.Dropout(0.2, name="drop" if named else None)(features)
        x = layers.Dense(32, activation="relu", name="hidden" if named else None)(x)
        outputs = layers.Dense(2, activation="softmax", name="is_big" if named else None)(x)
    elif head == "activation layers":
        x = layers.ReLU()(layers.Dense(32)(layers.Dropout(0.2)(features)))
        outputs = layers.Softmax()(layers.Dense(2)(x))
    else:  # a Sequential head
        outputs = keras.Sequential([layers.Dropout(0.2), layers.Dense(32, activation="relu"),
                                    layers.Dense(2, activation="softmax")])(features)
    model = keras.Model(inputs, outputs)
    if head_frozen:  # the whole model frozen, the new head with it
        model.trainable = False
    return model


def _new_head_by_surgery():
    trained = kl.load_starter("new_head")
    for name in ("conv_1", "conv_2"):
        trained.get_layer(name).trainable = False
    head = keras.Sequential([layers.Dropout(0.2), layers.Dense(32, activation="relu"),
                             layers.Dense(2, activation="softmax")], name="new_head")
    return surgery.replace_layer(trained, "digit", head, on_shape_change="reinitialize")


def _shared(style="arg", order="lr", concat="layer", encoder_block=False, dict_inputs=False,
            named=False):
    left, right = keras.Input((10,), name="left"), keras.Input((10,), name="right")
    if named:
        encoder = layers.Dense(32, activation="relu", name="encoder")
    elif encoder_block:
        encoder = keras.Sequential([layers.Dense(32), layers.ReLU()])
    elif style == "arg":
        encoder = layers.Dense(32, activation="relu")
    else:
        encoder = keras.Sequential([layers.Dense(32), layers.Activation("relu")])
    el, er = encoder(left), encoder(right)
    merged = (layers.concatenate([el, er]) if concat == "layer"
              else keras.ops.concatenate([el, er], axis=-1))
    out = layers.Dense(1, activation="sigmoid", name="similar" if named else None)(merged)
    ins = [left, right] if order == "lr" else [right, left]
    if dict_inputs:
        ins = {"left": left, "right": right}
    return keras.Model(ins, out)


def _multi(order="sf", outputs_as="list", style="arg", concat="layer", out_order="lv",
           lstm_block=False):
    series, features = keras.Input((20, 3), name="series"), keras.Input((10,), name="features")
    r = (keras.Sequential([layers.LSTM(16)]) if lstm_block else layers.LSTM(16))(series)
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


def _branch(order="ab", style="arg", concat="layer", pool="layer", named=False):
    image = keras.Input((28, 28, 1), name="image")

    def conv(k):
        if style == "arg":
            return layers.Conv2D(8, k, padding="same", activation="relu",
                                 name=f"conv{k}x{k}" if named else None)(image)
        return layers.ReLU()(layers.Conv2D(8, k, padding="same")(image))

    a, b = (conv(3), conv(5)) if order == "ab" else tuple(reversed((conv(5), conv(3))))
    merged = (layers.concatenate([a, b]) if concat == "layer"
              else layers.Concatenate(axis=3)([a, b]))
    pooled = (layers.GlobalAveragePooling2D()(merged) if pool == "layer"
              else keras.Sequential([layers.GlobalAveragePooling2D()])(merged))
    return keras.Model(image, _dense_head(pooled, split=style != "arg"))


# Spelled differently in code, identical once built: they prove that the grader reads the built
# model, whatever built it, so they are kept although their built form equals the reference's.
CONSTRUCTION_PATHS = {"sequential_baseline": {"built later with build()", "tf.keras"}}

EQUIVALENTS: dict[str, dict[str, Callable[[], keras.Model]]] = {
    "sequential_baseline": {
        "built later with build()": _built_later,
        "Activation layers": lambda: keras.Sequential([
            keras.Input((10,)), layers.Dense(64), layers.Activation("relu"), layers.Dense(10),
            layers.Activation("softmax")]),
        "ReLU() and Softmax() layers": lambda: keras.Sequential([
            keras.Input((10,)), layers.Dense(64), layers.ReLU(), layers.Dense(10),
            layers.Softmax()]),
        "tf.keras": _tf_keras_sequential,
        "ReLU() then Activation('softmax')": lambda: keras.Sequential([
            keras.Input((10,)), layers.Dense(64), layers.ReLU(), layers.Dense(10),
            layers.Activation("softmax")]),
        "named layers": lambda: keras.Sequential([
            keras.Input((10,), name="features"), layers.Dense(64, "relu", name="hidden"),
            layers.Dense(10, "softmax", name="probs")], name="mine"),
        "a one-layer Sequential inside": lambda: keras.Sequential([
            keras.Input((10,)), keras.Sequential([layers.Dense(64, activation="relu")]),
            layers.Dense(10, activation="softmax")]),
    },
    "functional_equivalent": {
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
        "Add() named 'residual'": lambda: _residual("Add"),
        "+": lambda: _residual("+"),
        "keras.ops.add": lambda: _residual("ops"),
        "operands swapped": lambda: _residual("add", order=1),
        "+ with operands swapped": lambda: _residual("+", order=1),
        "layers created first": lambda: _residual("Add", create_first=True),
        "ReLU layer": lambda: _residual("add", style="layer"),
        "projection in a one-layer Sequential": lambda: _residual(projection_block=True),
    },
    "sequential_blocks": {
        "blocks that start with their own keras.Input": lambda: _blocks(own_inputs=True),
        "activation layers inside blocks": lambda: _blocks(activation_layers=True),
        "unnamed blocks": lambda: _blocks(names=False),
        "softmax as a layer": lambda: _blocks(head_split=True),
        "both": lambda: _blocks(activation_layers=True, head_split=True),
        "blocks without names, activation layers": lambda: _blocks(activation_layers=True,
                                                                   names=False),
    },
    "replace_intermediate": {
        "+": lambda: _replace("+"),
        "keras.ops.add": lambda: _replace("ops"),
        "Add() named": lambda: _replace("Add"),
        "operands swapped": lambda: _replace("add", order=1),
        "+ operands swapped": lambda: _replace("+", order=1),
        "kfunc_lessons.surgery.wrap_layer": _replace_by_surgery,
    },
    "shared_layers": {
        "named encoder and head": lambda: _shared(named=True),
        "encoder as a Sequential": lambda: _shared(style="block"),
        "encoder block with ReLU": lambda: _shared(encoder_block=True),
        "inputs listed right, left": lambda: _shared(order="rl"),
        "keras.ops.concatenate": lambda: _shared(concat="ops"),
        "dict inputs": lambda: _shared(dict_inputs=True),
    },
    "multi_input_output": {
        "LSTM in a one-layer Sequential": lambda: _multi(lstm_block=True),
        "inputs listed features, series": lambda: _multi(order="fs"),
        "outputs listed value, label": lambda: _multi(out_order="vl"),
        "dict outputs": lambda: _multi(outputs_as="dict"),
        "ReLU layers": lambda: _multi(style="layer"),
        "Concatenate(axis=1)": lambda: _multi(concat="Concatenate"),
    },
    "branch_merge": {
        "named convolutions": lambda: _branch(named=True),
        "streams created 5x5 first": lambda: _branch(order="ba"),
        "ReLU and Softmax layers": lambda: _branch(style="layer"),
        "Concatenate(axis=3)": lambda: _branch(concat="Concatenate"),
        "pooling in a one-layer Sequential": lambda: _branch(pool="block"),
        "all of these": lambda: _branch(order="ba", style="layer", concat="Concatenate",
                                        pool="block"),
    },
    "new_head": {
        "trained layers re-called on a new input": lambda: new_head_model(style="layers"),
        "continued from the trained model's own tensors": lambda: new_head_model(style="tensors"),
        "a Sequential head": lambda: new_head_model(head="Sequential"),
        "ReLU and Softmax layers": lambda: new_head_model(head="activation layers"),
        "named input and head layers": lambda: new_head_model(named=True),
        "kfunc_lessons.surgery.replace_layer of the old head": _new_head_by_surgery,
    },
}


# ---- running the suites ---------------------------------------------------------------------

@dataclass
class MutantOutcome:
    description: str
    same_function: bool  # computes the reference's function (under the reference's weights)
    status: str
    message: str
    named: bool  # the message names the changed layer and what changed


def same_function(reference: keras.Model, model: keras.Model, seed: int = 0) -> bool:
    """Whether ``model`` computes what ``reference`` computes on a random batch: mutants keep
    the reference's weights in every layer they did not change, so a mutant that only adds a
    layer which does nothing at inference (a Dropout, a ReLU after a softmax) is the same
    function with a different architecture. 256 samples: with 8, a ReLU after a linear output
    that is negative on 6% of inputs looked like "the same function" in 6 runs out of 10.
    "The same" is within the grader's own tolerance: a mutant that only reorders float32
    arithmetic (a fused activation written apart) lands on either side of a tighter one,
    differently under TensorFlow and JAX and from run to run."""
    import numpy as np

    rng = np.random.default_rng(seed)
    feeds = [rng.standard_normal((256, *t.shape[1:])).astype("float32") for t in reference.inputs]
    if [tuple(t.shape) for t in model.inputs] != [tuple(t.shape) for t in reference.inputs]:
        return False
    feeds = feeds[0] if len(feeds) == 1 else feeds
    want, got = (keras.tree.flatten(m.predict(feeds, verbose=0)) for m in (reference, model))
    return len(want) == len(got) and all(
        a.shape == b.shape and np.allclose(a, b, rtol=1e-4, atol=1e-5) for a, b in zip(want, got))


@functools.cache
def run_mutants(exercise_id: str) -> tuple[list[MutantOutcome], int]:
    """The outcome of every generated mutant Keras accepts, and how many Keras rejected."""
    outcomes, rejected = [], 0
    for mutant in mutants(exercise_id):
        try:
            model = mutant.build()
        except ValueError:
            rejected += 1  # an edit Keras itself rejects (e.g. adding 32- and 64-wide tensors)
            continue
        result = kl.check(exercise_id, model)
        text = result.message.lower()
        named = (any(w.lower() in text for w in mutant.expect)
                 and any(n.lower() in text for n in mutant.names))
        outcomes.append(MutantOutcome(mutant.description,
                                      same_function(mutant.reference, model),
                                      result.status, result.message, named))
    return outcomes, rejected


BAD_INPUTS = (None, 3, "model", [1, 2], Ellipsis)


def suite_rows() -> list[dict]:
    """The published table (benchmarks/results/grader_suites.json), one row per exercise.
    A test recomputes it and fails when the published figures are stale."""
    from support.numbers import NUMBERS_EQUIVALENTS, NUMBERS_MUTANTS, check_numbers

    rows = []
    for exercise_id in kl.list_exercises():
        outcomes, rejected = run_mutants(exercise_id)
        different = [o for o in outcomes if not o.same_function]
        same = [o for o in outcomes if o.same_function]
        variants = EQUIVALENTS[exercise_id]
        accepted = sum(kl.check(exercise_id, build()).passed for build in variants.values())
        numbers_caught = sum(
            (r := kl.check(exercise_id, build(exercise_id))).status == "failed"
            and r.step == "numbers" for build, _ in NUMBERS_MUTANTS.values())
        numbers_accepted = sum(check_numbers(exercise_id, build(exercise_id)).passed
                               for build in NUMBERS_EQUIVALENTS.values())
        crashes = 0
        for thing in (*BAD_INPUTS, layers.Dense(3), keras.Sequential([layers.Dense(4)])):
            try:
                kl.check(exercise_id, thing)
            except Exception:
                crashes += 1
        rows.append({
            "exercise": exercise_id,
            "different function: caught": (
                f"{sum(o.status == 'failed' for o in different)} / {len(different)}"),
            "same function, other architecture: reported": (
                f"{sum(o.status == 'failed' for o in same)} / {len(same)}"),
            "message names the changed layer": f"{sum(o.named for o in outcomes)} / "
                                               f"{len(outcomes)}",
            "edits Keras rejects": rejected,
            "equivalents accepted": f"{accepted} / {len(variants)}",
            "numbers-only mutants caught": f"{numbers_caught} / {len(NUMBERS_MUTANTS)}",
            "numbers-only equivalents accepted": (
                f"{numbers_accepted} / {len(NUMBERS_EQUIVALENTS)}"),
            "crashes on bad input": f"{crashes} / {len(BAD_INPUTS) + 2}",
        })
    return rows
