"""Every learner-facing message, reviewed as whole sentences.

Other tests check that a message names the right layer and setting; this one keeps the full
text of one message per kind of mistake and exercise, so that any change of wording shows up
in review. Keras numbers automatic layer names in creation order ('dense', 'dense_7'), which
depends on what ran before; those names are written as 'dense_N'. After an intended change,
regenerate the file and read the diff: `python -m tests.test_messages --update`.
"""

import json
import re
import sys

import keras
from keras import layers

import kfunc_lessons as kl
from tests.conftest import ROOT
from tests.models import functional, residual
from tests.suites import mutants

GOLDEN = ROOT / "tests" / "data" / "messages.json"
# One mutant per kind of edit: the description without its (automatic) layer name.
KINDS = ("units", "filters", "kernel_size", "activation", "no bias", "LSTM ->",
         "Add ->", "Concatenate ->", "operands reversed", "insert Dense", "insert ReLU",
         "insert Dropout", "drop", "unshare", "reads", "fresh, untrained")


AUTOMATIC = re.compile(  # a quoted automatic name: 'dense', 'dense_7'
    r"'(dense|conv2d|lstm|gru|simple_rnn|add|multiply|concatenate|re_lu|"
    r"dropout|lambda|input_layer|keras_tensor|functional|sequential|global_average_pooling2d)"
    r"(_\d+)?'")


# A right model's largest difference is rounding noise, which differs between CPUs and
# builds (0 on one machine, 2.98e-08 on another): the snapshot keeps the words, not it.
NOISE = re.compile(r"largest difference (\d[\d.e+-]*)")


def _quiet(text: str) -> str:
    return NOISE.sub(lambda m: "largest difference ~0" if float(m[1]) < 1e-6 else m[0], text)


def _said(result) -> str:
    """Status, message and detail lines (largest difference, notes)."""
    return _quiet(AUTOMATIC.sub(r"'\1_N'", f"{result.status}: {result}"))


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

    return {
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
    return dict(sorted(found.items()))


def test_messages_match_the_reviewed_text():
    assert json.loads(GOLDEN.read_text()) == current_messages(), (
        "a learner-facing message changed: review it, then run "
        "`python -m tests.test_messages --update`")


def test_the_reviewed_text_covers_every_kind_of_mistake():
    kinds = {key.split(": ", 1)[1] for key in json.loads(GOLDEN.read_text())}
    assert set(KINDS) <= kinds


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(current_messages(), indent=1) + "\n")
    print("wrote", GOLDEN)

