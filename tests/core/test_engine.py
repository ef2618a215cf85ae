"""The grader engine: both directions, every bad input, and the learner's model untouched."""

import json
from typing import ClassVar

import keras
import numpy as np
import pytest
from keras import layers

import kfunc_lessons as kl
from kfunc_lessons.course.references import build_solution
from support.models import functional, residual


@pytest.mark.parametrize("exercise_id", kl.list_exercises())
def test_each_reference_solution_passes(exercise_id):
    result = kl.check(exercise_id, build_solution(exercise_id))
    assert result.status == "passed", str(result)
    assert result.passed and result.max_abs_diff is not None and result.max_abs_diff < 1e-5


@pytest.mark.parametrize("exercise_id", kl.list_exercises())
def test_ellipsis_is_not_attempted(exercise_id):
    result = kl.check(exercise_id, ...)
    assert result.status == "not_attempted" and not result.passed
    assert "model = ..." in result.message


def test_list_exercises_in_teaching_order():
    assert kl.list_exercises() == [
        "sequential_baseline", "functional_equivalent", "residual_add", "sequential_blocks",
        "replace_intermediate", "shared_layers", "multi_input_output", "branch_merge", "new_head",
    ]


class Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(10)

    def call(self, x):
        return self.dense(x)


def _lambda_model():
    inputs = keras.Input(shape=(10,))
    hidden = layers.Dense(64, activation="relu")(inputs)
    hidden = layers.Lambda(lambda t: t * 2.0)(hidden)
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(hidden))


class Fragile(layers.Layer):
    """Runs symbolically, but raises when run for real under a name listed in BROKEN."""

    BROKEN: ClassVar[set] = set()

    def call(self, x):
        if self.name in Fragile.BROKEN:
            raise ZeroDivisionError("division by zero")
        return x


def test_model_that_raises_when_run_gets_the_layer_and_error():
    def build(name):
        inputs = keras.Input(shape=(4,))
        return keras.Model(inputs, layers.Dense(2)(Fragile(name=name)(inputs)))

    reference, learner = build("fine"), build("broken")
    Fragile.BROKEN = {"broken"}
    try:
        result = kl.compare(reference, learner)
    finally:
        Fragile.BROKEN = set()
    assert result.status == "failed" and "raised an error" in result.message
    assert "'broken'" in result.message and "ZeroDivisionError" in result.message


def _nan_model():
    model = functional()
    kernel, bias = model.layers[1].get_weights()
    kernel[0, 0] = np.nan
    model.layers[1].set_weights([kernel, bias])
    return model


BAD_INPUTS = {
    "None": (lambda: None, "is None"),
    "a layer": (lambda: layers.Dense(10), "layer, not a model"),
    "a string": (lambda: "model", "not a Keras model"),
    "a number": (lambda: 3, "not a Keras model"),
    "an unbuilt Sequential": (
        lambda: keras.Sequential([layers.Dense(64, activation="relu"), layers.Dense(10)]),
        "not built yet"),
    "a subclassed model": (Subclassed, "subclassed model"),
    "a wrong input shape": (
        lambda: keras.Sequential([keras.Input((12,)), layers.Dense(10, activation="softmax")]),
        "needs (None, 10)"),
    "a wrong output shape": (
        lambda: keras.Model(inp := keras.Input((10,)), layers.Dense(3)(inp)),
        "has shape (None, 3)"),
    "NaN weights": (_nan_model, "NaN"),
    "an extra Lambda layer": (_lambda_model, "grader cannot read what a Lambda"),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_bad_input_gets_a_clear_message(case):
    build, expected_words = BAD_INPUTS[case]
    result = kl.check("functional_equivalent", build())
    assert result.status == "failed", str(result)
    assert expected_words in result.message
    assert "Traceback" not in str(result)


def _snapshot(model):
    return (
        [w.copy() for w in model.get_weights()],
        [(layer.name, layer.trainable, layer.built) for layer in model.layers],
        model.compiled,
        getattr(model, "optimizer", None),
        [len(layer._inbound_nodes) for layer in model.layers],
    )


@pytest.mark.parametrize("exercise_id", kl.list_exercises())
def test_check_leaves_the_model_bit_identical(exercise_id):
    model = build_solution(exercise_id)
    if exercise_id == "sequential_baseline":
        model.compile(optimizer="adam", loss="mse")
    model.layers[-1].trainable = False
    before = _snapshot(model)
    kl.check(exercise_id, model)
    after = _snapshot(model)
    assert all(np.array_equal(a, b) for a, b in zip(before[0], after[0]))
    assert before[1:] == after[1:]


@pytest.mark.parametrize(
    ("exercise_id", "model", "words"),
    [
        ("functional_equivalent", lambda: functional(units=32), "units=32; the exercise needs "
         "units=64"),
        ("functional_equivalent", lambda: functional(hidden_activation="tanh"), "'tanh'"),
        ("residual_add", lambda: residual(merge=layers.concatenate), "concatenates"),
        ("residual_add", lambda: residual(skip_from_hidden=True), "reads the relu activation"),
        ("residual_add", lambda: residual(shortcut_bias=False), "use_bias=False"),
        ("sequential_baseline", lambda: build_solution("functional_equivalent"),
         "asks for a keras.Sequential"),
        ("functional_equivalent", lambda: build_solution("sequential_baseline"),
         "Functional API"),
    ],
)
def test_wrong_models_fail_and_name_the_difference(exercise_id, model, words):
    result = kl.check(exercise_id, model())
    assert result.status == "failed" and words in result.message, str(result)


class FunctionalSubclass(keras.Model):
    """A common pattern: a keras.Model subclass that builds a Functional graph in __init__."""

    def __init__(self):
        inputs = keras.Input(shape=(10,))
        hidden = layers.Dense(64, activation="relu")(inputs)
        super().__init__(inputs, layers.Dense(10, activation="softmax")(hidden))


def test_a_subclass_that_builds_a_functional_graph_is_graded():
    assert kl.check("functional_equivalent", FunctionalSubclass()).passed


def test_raw_activation_ops_are_activations():
    inputs = keras.Input(shape=(10,))
    hidden = keras.ops.relu(layers.Dense(64)(inputs))
    outputs = keras.ops.softmax(layers.Dense(10)(hidden))
    assert kl.check("functional_equivalent", keras.Model(inputs, outputs)).passed
    gelu = keras.Model(inputs, layers.Dense(10, activation="softmax")(
        keras.ops.gelu(layers.Dense(64)(inputs))))
    assert kl.check("functional_equivalent", gelu).status == "failed"


def test_call_arguments_are_part_of_the_computation():
    def build(training):
        inputs = keras.Input(shape=(4,))
        normalised = layers.BatchNormalization(name="bn")(inputs, training=training)
        return keras.Model(inputs, layers.Dense(2)(normalised))

    reference = build(None)
    assert kl.compare(reference, build(None)).passed
    result = kl.compare(reference, build(True))
    assert result.status == "failed" and "training" in result.message


def test_fresh_layers_fail_replace_intermediate():
    inputs = keras.Input(shape=(10,))
    h = layers.Dense(64, activation="relu")(inputs)
    merged = layers.add([h, layers.Dense(64, activation="relu")(h)])
    model = keras.Model(inputs, layers.Dense(10, activation="softmax")(merged))
    result = kl.check("replace_intermediate", model)
    assert result.status == "failed" and "trained weights" in result.message
    assert result.step == "requirements"


def test_result_forms():
    result = kl.check("residual_add", residual(merge=layers.concatenate))
    data = result.to_dict()
    assert json.loads(json.dumps(data))["status"] == "failed" and data["passed"] is False
    assert str(result).startswith("Incorrect: ")
    inputs = keras.Input(shape=(10,))
    hidden = layers.Dense(32, name="<img src=x onerror=alert(1)>")(inputs)
    bad = keras.Model(inputs, layers.Dense(10, activation="softmax")(hidden))
    rendered = kl.check("functional_equivalent", bad)._repr_html_()
    assert "<img" not in rendered and "&lt;img src=x onerror=alert(1)&gt;" in rendered


def test_unknown_exercise_lists_valid_ids():
    with pytest.raises(KeyError, match="residual_add"):
        kl.check("no_such_exercise", None)


def test_hints_are_layered_and_level_one_does_not_give_the_answer():
    for exercise_id in kl.list_exercises():
        first, last = kl.hint(exercise_id, 1), kl.hint(exercise_id, 99)
        assert first.startswith("Hint 1/") and first != last
        assert "keras.Model(" not in first and "layers." not in first
    assert kl.hint("residual_add", 0).startswith("Hint 1/")


def test_hint_explains_the_classic_residual_error():
    inputs = keras.Input(shape=(10,))
    with pytest.raises(ValueError) as caught:
        layers.add([inputs, layers.Dense(64)(inputs)])
    assert "incompatible shapes" in str(caught.value).lower()
    text = kl.hint("residual_add", error=caught.value)
    assert "(10,) and (64,)" in text and "Dense(64)(inputs)" in text


def test_solution_is_the_reference_code():
    code = kl.solution("shared_layers")
    namespace = {}
    exec(code, namespace)
    assert kl.check("shared_layers", namespace["model"]).passed


def test_load_starter_is_trained_and_fresh_each_call():
    a, b = kl.load_starter("replace_intermediate"), kl.load_starter("replace_intermediate")
    assert a is not b and [layer.name for layer in a.layers] == ["hidden", "middle", "classifier"]
    assert all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights()))
    from kfunc_lessons.course.starters import synthetic_classification

    x, y = synthetic_classification(n=512, seed=99)  # held-out data
    accuracy = float(np.mean(np.argmax(a.predict(x, verbose=0), axis=1) == y))
    assert accuracy > 0.6, accuracy  # chance is 0.1
    with pytest.raises(ValueError, match="no starter"):
        kl.load_starter("residual_add")


def test_the_residual_shape_error_is_explained_with_the_learners_own_shapes(tmp_path):
    """The classic blog recipe, run from a learner's file, and a different width: the
    explanation names the shapes the learner hit and the projection that fixes it."""
    from kfunc_lessons.classroom.grading import grade_file

    recipe = ("import keras\nfrom keras import layers\ninputs = keras.Input(shape=(10,))\n"
              "model = keras.Model(inputs, layers.add([inputs, layers.Dense(64)(inputs)]))\n")
    (tmp_path / "blog.py").write_text(recipe)
    result = grade_file("residual_add", tmp_path / "blog.py", timeout=60)
    assert result.status == "error" and result.step == "run"
    assert "Received shapes (10,) and (64,)" in result.message
    assert 0 < result.message.index("at blog.py, line 4") < result.message.index(
        "\nAbout this error: ")
    assert "layers.Dense(64)(inputs)" in result.message
    from kfunc_lessons.course.catalogue import explain_error

    wide = explain_error("Inputs have incompatible shapes. Received shapes (5, 8) and (5, 32)")
    assert "(5, 8) and (5, 32)" in wide and "layers.Dense(32)(inputs)" in wide
    assert explain_error(ValueError("something else")) is None


@pytest.mark.parametrize(("count", "said"), [
    (1, "'l0'"), (3, "'l0', 'l1', 'l2'"), (4, "'l0', 'l1', 'l2' and 1 more"),
    (6, "'l0', 'l1', 'l2' and 3 more")])
def test_a_message_names_three_layers_and_counts_the_rest(count, said):
    from kfunc_lessons.core.engine import _listed

    assert _listed([layers.Dense(1, name=f"l{i}") for i in range(count)]) == said
