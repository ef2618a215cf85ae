"""Every learner-facing message, reviewed as whole sentences.

Other tests check that a message names the right layer and setting; this one keeps the full
text of one message per kind of mistake and exercise, so that any change of wording shows up
in review. Keras numbers automatic layer names in creation order ('dense', 'dense_7'), which
depends on what ran before; those names are written as 'dense_N'. After an intended change,
regenerate the file and read the diff: `python -m tests.core.test_messages --update`.
"""

import json
import re
import sys
from unittest import mock

import keras
import numpy as np
from keras import layers

import kfunc_lessons as kl
from kfunc_lessons.course import checking
from support.models import functional, residual, two_in_two_out
from support.suites import mutants, new_head_model
from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "data" / "messages.json"
# One mutant per kind of edit: the description without its (automatic) layer name.
KINDS = ("units", "filters", "kernel_size", "activation", "no bias", "LSTM ->",
         "Add ->", "Concatenate ->", "operands reversed", "insert Dense", "insert ReLU",
         "insert Dropout", "drop", "unshare", "reads", "fresh, untrained")


AUTOMATIC_NAMES = (r"(dense|conv2d|lstm|gru|simple_rnn|add|multiply|concatenate|re_lu|"
                   r"dropout|lambda|input_layer|keras_tensor|functional|sequential|"
                   r"global_average_pooling2d)(_\d+)?")
AUTOMATIC = re.compile(f"'{AUTOMATIC_NAMES}'")  # quoted in a message: 'dense', 'dense_7'
BARE_AUTOMATIC = re.compile(f"^{AUTOMATIC_NAMES}\\b")  # a picture label starts with one


# The snapshot keeps the words, not the numerics: a right model's largest difference is
# rounding noise (0 on one CPU, 2.98e-08 on another), and a wrong one's depends on the
# backend's random initialisers (TensorFlow's and JAX's differ for one seed). "~0" is what
# passes the grader's tolerance on outputs of size 1 (atol 1e-5 + rtol 1e-4): a cut at 1e-6
# split one right model's rounding noise (a custom scaling layer) between two machines.
NOISE = re.compile(r"largest difference (\d[\d.e+-]*|inf)")
WITHIN_TOLERANCE = 1e-5 + 1e-4


def _quiet(text: str) -> str:
    return NOISE.sub(lambda m: "largest difference ~0" if float(m[1]) <= WITHIN_TOLERANCE
                     else "largest difference D", text)


def _marked(sketch) -> str:
    """A picture's marked nodes; a label starts with the layer's name, bare."""
    labels = (sketch.labels[i].replace("\n", " ") for i in sorted(sketch.marked))
    return "; ".join(BARE_AUTOMATIC.sub(r"\1_N", label) for label in labels)


def _said(result) -> str:
    """Status and step, message and detail lines (largest difference, notes), and the nodes
    the picture marks on each side with their labels (badges included)."""
    said = f"{result.status} at {result.step}: {result}"
    if result.picture is not None:
        said += (f"\n  marked in yours: {_marked(result.picture.learner)}"
                 f"\n  marked in the exercise's: {_marked(result.picture.reference)}")
    return _quiet(AUTOMATIC.sub(r"'\1_N'", said))


def _kind(description: str) -> str | None:
    return next((k for k in KINDS if k in description), None)


class Subclassed(keras.Model):
    def call(self, x):
        return x


def _others():
    inputs = keras.Input((10,))
    lam = keras.Model(inputs, layers.Dense(10, activation="softmax")(
        layers.Lambda(lambda t: t * 2.0)(layers.Dense(64, activation="relu")(inputs))))
    fresh = residual()
    trained = kl.load_starter("replace_intermediate")
    h = trained.get_layer("hidden")(x := keras.Input((10,)))
    opaque_mid = layers.Lambda(lambda t: t, name="stand_in")(h)
    no_middle = keras.Model(x, trained.get_layer("classifier")(layers.add([h, opaque_mid])))
    def blocks(kind):
        def dense(units):
            return layers.Dense(units, activation="relu")

        start = keras.Input((10,))
        if kind == "flat":
            x = start
            for units in (32, 16, 64, 32):
                x = dense(units)(x)
        elif kind == "one block":
            x = keras.Sequential([dense(u) for u in (32, 16, 64, 32)])(start)
        else:
            def functional_block(first, second, width, name):
                block_in = keras.Input((width,))
                return keras.Model(block_in, dense(second)(dense(first)(block_in)), name=name)
            x = functional_block(64, 32, 16, "second")(functional_block(32, 16, 10, "first")(start))
        return keras.Model(start, layers.Dense(10, activation="softmax")(x))

    def value_head_off():
        series, features = keras.Input((20, 3), name="series"), keras.Input((10,), name="features")
        merged = layers.concatenate([layers.LSTM(16)(series),
                                     layers.Dense(16, activation="relu")(features)])
        hidden = layers.Dense(32, activation="relu")(merged)
        scaled = layers.Lambda(lambda t: t * 1.5, name="scale")(hidden)
        value = layers.Dense(1, name="value")(scaled)
        label = layers.Dense(3, activation="softmax", name="label")(hidden)
        return keras.Model([series, features], {"label": label, "value": value})

    def mixed():
        previous = keras.mixed_precision.global_policy()
        keras.mixed_precision.set_global_policy("mixed_float16")
        try:
            return functional()
        finally:
            keras.mixed_precision.set_global_policy(previous)

    def two_heads(keys=("label", "value"), second_trunk=False):
        series, features = keras.Input((20, 3), name="series"), keras.Input((10,), name="features")
        merged = layers.concatenate([layers.LSTM(16)(series),
                                     layers.Dense(16, activation="relu")(features)])
        trunk = layers.Dense(32, activation="relu", name="trunk")(merged)
        other = layers.Dense(32, activation="relu", name="trunk_2")(merged) if second_trunk \
            else trunk
        return keras.Model([series, features], {
            keys[0]: layers.Dense(3, activation="softmax", name="label")(trunk),
            keys[1]: layers.Dense(1, name="value")(other)})

    def extra_dense(residual_add=False):
        inputs = keras.Input((10,))
        x = layers.Dense(64, activation="relu", name="hidden")(inputs)
        x = layers.Dense(64, activation="relu", name="extra")(x)
        if residual_add:
            x = layers.add([x, layers.Dense(64, name="shortcut")(inputs)], name="merge")
        return keras.Model(inputs, layers.Dense(10, activation="softmax", name="classes")(x))

    def lambda_merge():
        inputs = keras.Input((10,))
        hidden = layers.Dense(64, activation="relu", name="hidden")(inputs)
        shortcut = layers.Dense(64, name="shortcut")(inputs)
        merged = layers.Lambda(lambda t: t[0] * t[1], name="merge")([hidden, shortcut])
        return keras.Model(inputs, layers.Dense(10, activation="softmax", name="classes")(merged))

    def wrong_axis():
        image = keras.Input((28, 28, 1), name="image")
        merged = layers.concatenate([
            layers.Conv2D(8, 3, padding="same", activation="relu", name="small")(image),
            layers.Conv2D(8, 5, padding="same", activation="relu", name="large")(image)],
            axis=1, name="merge")
        return keras.Model(image, layers.Dense(10, activation="softmax", name="classes")(
            layers.GlobalAveragePooling2D(name="pool")(merged)))

    def frozen_in_the_head(*names):
        model = new_head_model(named=True)
        for name in names:
            model.get_layer(name).trainable = False
        return model

    def both_heads_off(outputs_as="dict", names=("label", "value")):
        series, features = keras.Input((20, 3), name="series"), keras.Input((10,), name="features")
        merged = layers.concatenate([layers.LSTM(16)(series),
                                     layers.Dense(16, activation="relu")(features)])
        hidden = layers.Dense(32, activation="relu", name="trunk")(merged)
        if outputs_as == "dict":
            hidden = layers.Lambda(lambda t: t * 1.5, name="scale")(hidden)
        label = layers.Dense(3, activation="softmax", name=names[0])(hidden)
        value = layers.Dense(2 if outputs_as == "dict-2" else 1, name=names[1])(hidden)
        outputs = [label, value] if outputs_as == "list" else {"label": label, "value": value}
        return keras.Model([series, features], outputs)

    class Scale(layers.Layer):  # no get_config(): Keras cannot rebuild it from its config
        def __init__(self, factor):
            # named, not numbered: a second Scale in the worker's process was 'scale_1'
            super().__init__(name="scale")
            self.factor = factor

        def call(self, x):
            return x * self.factor

    def with_nan_weights():
        model = functional()
        first = model.layers[1]
        first.set_weights([w * np.nan for w in first.get_weights()])
        return model

    def three_way_add():
        inputs = keras.Input((10,))
        hidden = layers.Dense(64, activation="relu")(inputs)
        shortcut = layers.Dense(64)(inputs)
        return keras.Model(inputs, layers.Dense(10, activation="softmax")(
            layers.add([hidden, shortcut, shortcut])))

    def one_input_only():
        features = keras.Input((10,), name="features")
        hidden = layers.Dense(32, activation="relu")(features)
        return keras.Model(features, {"label": layers.Dense(3, activation="softmax",
                                                             name="label")(hidden),
                                      "value": layers.Dense(1, name="value")(hidden)})

    uncopyable_in = keras.Input((10,))
    uncopyable = keras.Model(uncopyable_in, layers.Dense(10, activation="softmax")(
        Scale(1.0)(layers.Dense(64, activation="relu")(uncopyable_in))))

    return {
        ("new_head", "the whole model frozen, head too"): new_head_model(head_frozen=True),
        ("new_head", "two head layers frozen"): frozen_in_the_head("hidden", "is_big"),
        ("new_head", "one head layer frozen"): frozen_in_the_head("is_big"),
        ("new_head", "one backbone layer left trainable"): new_head_model(frozen="conv_1"),
        ("multi_input_output", "numbers differ in both heads"): both_heads_off(),
        ("multi_input_output", "outputs listed under other names"): both_heads_off(
            "list", ("cls", "reg")),
        ("functional_equivalent", "a custom layer without get_config"): uncopyable,
        ("functional_equivalent", "weights that are NaN"): with_nan_weights(),
        ("functional_equivalent", "two settings of one layer differ"): keras.Model(
            two_settings := keras.Input((10,)), layers.Dense(10, activation="softmax")(
                layers.Dense(32, activation="relu", use_bias=False)(two_settings))),
        ("residual_add", "an add of three tensors"): three_way_add(),
        ("multi_input_output", "one input only"): one_input_only(),
        ("multi_input_output", "a value head of two units"): both_heads_off("dict-2"),
        ("new_head", "backbone left trainable"): new_head_model(frozen=False),
        ("new_head", "old head kept"): new_head_model(old_head=True),
        ("multi_input_output", "outputs dict keyed otherwise"): two_heads(("cls", "reg")),
        ("multi_input_output", "a trunk per head"): two_heads(second_trunk=True),
        ("functional_equivalent", "extra Dense with relu"): extra_dense(),
        ("residual_add", "extra Dense with relu"): extra_dense(residual_add=True),
        ("residual_add", "Lambda in the merge's place"): lambda_merge(),
        ("branch_merge", "concatenate on axis 1"): wrong_axis(),
        ("multi_input_output", "numbers differ in one head"): value_head_off(),
        ("functional_equivalent", "mixed precision, right"): mixed(),
        ("sequential_blocks", "flat model"): blocks("flat"),
        ("sequential_blocks", "one block for all"): blocks("one block"),
        ("sequential_blocks", "Functional blocks"): blocks("functional"),
        ("functional_equivalent", "None"): None,
        ("functional_equivalent", "a layer"): layers.Dense(3),
        ("functional_equivalent", "a string"): "model",
        ("functional_equivalent", "subclassed"): Subclassed(),
        ("functional_equivalent", "unbuilt Sequential"): keras.Sequential([layers.Dense(3)]),
        ("functional_equivalent", "not attempted"): ...,
        ("functional_equivalent", "wrong input"): keras.Sequential([keras.Input((12,)),
                                                                   layers.Dense(10)]),
        ("functional_equivalent", "Sequential given"): kl.load_starter("replace_intermediate"),
        ("functional_equivalent", "Lambda that differs"): lam,
        ("sequential_baseline", "Functional given"): functional(),
        ("replace_intermediate", "fresh layers"): fresh,
        ("replace_intermediate", "trained layer replaced by a Lambda"): no_middle,
        ("multi_input_output", "input names"): keras.Model(
            [a := keras.Input((20, 3), name="a"), b := keras.Input((10,), name="b")],
            [layers.Dense(3, name="label")(layers.concatenate([layers.LSTM(16)(a), b])),
             layers.Dense(1, name="value")(b)]),
    }


def current_messages() -> dict[str, str]:
    found: dict[str, str] = {}
    for exercise_id in kl.list_exercises():
        for mutant in mutants(exercise_id):
            kind = _kind(mutant.description)
            key = f"{exercise_id}: {kind}"
            if kind is None or key in found:
                continue
            try:
                model = mutant.build()
            except ValueError:
                continue
            found[key] = _said(kl.check(exercise_id, model))
    for (exercise_id, what), thing in _others().items():
        found[f"{exercise_id}: {what}"] = _said(kl.check(exercise_id, thing))
    # Where the course's catalogue words a mistake itself, the engine's own sentence is what
    # every other reference gets (compare(), a teacher's exercise): kept here too.
    with mock.patch.object(checking, "explainer", lambda exercise: _explain_nothing):
        for (exercise_id, what), thing in _others().items():
            if exercise_id == "sequential_blocks":
                found[f"{exercise_id} without the catalogue: {what}"] = _said(
                    kl.check(exercise_id, thing))
        for mutant in mutants("shared_layers"):
            if _kind(mutant.description) == "unshare":
                found["shared_layers without the catalogue: unshare"] = _said(
                    kl.check("shared_layers", mutant.build()))
                break
    for what, (reference, model) in _compared().items():
        found[f"compare: {what}"] = _said(kl.compare(reference, model))
    for what, error in _errors().items():
        found[f"hint about an error: {what}"] = kl.hint("new_head", error=error)
    return dict(sorted(found.items()))


def _explain_nothing(result, case, named):
    """A catalogue with no entries: the grading core's own words stand."""
    return None


def _compared():
    """A teacher's references for kl.compare(), with names Keras generated or chosen."""
    keras.utils.set_random_seed(0)  # the reference's weights decide the differences quoted

    def scaled(prefix, scale):
        inputs = keras.Input((10,))
        hidden = layers.Dense(8, activation="relu", name=f"{prefix}_hidden")(inputs)
        out = layers.Lambda(lambda t: t * scale, name=f"{prefix}_scale")(hidden)
        return keras.Model(inputs, layers.Dense(2, name=f"{prefix}_out")(out))

    chosen = {"a": "left", "b": "right", "y": "label", "z": "value"}
    return {
        "automatic names, identical code": (two_in_two_out(), two_in_two_out()),
        "automatic names, inputs swapped": (two_in_two_out(), two_in_two_out(widths=(3, 4))),
        "chosen names, automatic ones given": (two_in_two_out(chosen), two_in_two_out()),
        "a Lambda that differs": (scaled("teacher", 1.0), scaled("student", 2.0)),
    }


def _errors():
    """Exception texts learners paste into hint(), as Keras words them."""
    return {
        "add, hidden first": "Inputs have incompatible shapes. Received shapes (64,) and (10,)",
        "add, input first": "Inputs have incompatible shapes. Received shapes (10,) and (64,)",
        "image without its channel axis": "Input 0 with name 'None' of layer 'conv_1' is "
        "incompatible with the layer: expected min_ndim=4, found ndim=3. Full shape "
        "received: (None, 8, 8)",
        "digit labels for a 2-class head": "Received a label value of 9 which is outside the "
        "valid range of [0, 2).  Label values: 9 0 1 3",
        "clone_model on an older Keras": "TypeError: clone_model() got an unexpected keyword "
        "argument 'call_function'",
    }


def test_messages_match_the_reviewed_text():
    assert json.loads(GOLDEN.read_text()) == current_messages(), (
        "a learner-facing message changed: review it, then run "
        "`python -m tests.core.test_messages --update`")


def test_the_reviewed_text_covers_every_kind_of_mistake():
    kinds = {key.split(": ", 1)[1] for key in json.loads(GOLDEN.read_text())}
    assert set(KINDS) <= kinds


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(current_messages(), indent=1) + "\n")
    print("wrote", GOLDEN)

