"""The reference-output comparison, proven on its own: models that only the numbers can judge.

Every mutant here passes the structure step (its only change hides inside a Lambda, a custom
layer class, or a constant), so only the comparison with the stored expected outputs can catch
it; every equivalent differs structurally in the same ways, so only the comparison can
accept it.
"""

import keras
import numpy as np
import pytest
from keras import layers

import kfunc_lessons as kl
from kfunc_lessons.core.execute import run_trace
from kfunc_lessons.core.graph import canonical_graph
from kfunc_lessons.course.references import build_solution, random_probe, reference
from support.numbers import (
    NUMBERS_EQUIVALENTS,
    NUMBERS_MUTANTS,
    check_numbers,
    replaced_by_subclass,
)

EXERCISES = kl.list_exercises()




@pytest.mark.parametrize("exercise_id", EXERCISES)
@pytest.mark.parametrize("mutant", NUMBERS_MUTANTS, ids=list(NUMBERS_MUTANTS))
def test_numbers_only_mutant_fails_in_the_numbers_step_naming_the_layer(exercise_id, mutant):
    build, name = NUMBERS_MUTANTS[mutant]
    result = check_numbers(exercise_id, build(exercise_id))
    assert result.status == "failed" and result.step == "numbers", str(result)
    assert f"'{name}'" in result.message, str(result)
    assert result.max_abs_diff > check_numbers(exercise_id, build_solution(exercise_id)).tolerance[
        "atol"]


@pytest.mark.parametrize("exercise_id", EXERCISES)
@pytest.mark.parametrize("variant", NUMBERS_EQUIVALENTS, ids=list(NUMBERS_EQUIVALENTS))
def test_numbers_only_equivalent_passes(exercise_id, variant):
    result = check_numbers(exercise_id, NUMBERS_EQUIVALENTS[variant](exercise_id))
    assert result.passed, str(result)


def test_the_lambda_relu_a_learner_writes_passes():
    inputs = keras.Input(shape=(10,))
    hidden = layers.Lambda(lambda t: keras.ops.relu(t))(layers.Dense(64)(inputs))
    merged = layers.add([hidden, layers.Dense(64)(inputs)])
    model = keras.Model(inputs, layers.Dense(10, activation="softmax")(merged))
    assert check_numbers("residual_add", model).passed


# ---- the comparison itself --------------------------------------------------------------------

def _scaled(factor):
    inputs = keras.Input(shape=(4,))
    hidden = layers.Dense(3, name="dense")(inputs)
    return keras.Model(inputs, hidden * factor)


@pytest.mark.parametrize(("factor", "passes"), [
    (2.0, True), (2.0 * (1 + 1e-7), True), (2.0 * (1 + 1e-3), False), (-2.0, False),
    (2e4, True), (2e4 * (1 + 5e-5), True),  # large outputs: the relative tolerance decides
    (2e4 * (1 + 5e-4), False)])
def test_a_constant_inside_an_op_is_judged_by_the_numbers_with_stated_tolerances(factor,
                                                                                 passes):
    keras.utils.set_random_seed(0)
    result = kl.compare(_scaled(2e4 if factor > 100 else 2.0), _scaled(factor))
    assert result.passed is passes, str(result)
    assert result.step == ("done" if passes else "numbers")
    assert result.tolerance == {"rtol": 1e-4, "atol": 1e-5}
    assert result.details and "largest difference" in result.details[0]


def test_reference_weights_are_injected_by_structure_not_kept_from_the_learner():
    """Exercises other than 05 grade with the reference's weights: the learner's own random
    initialisation must not matter, and a model whose weights were changed still passes."""
    model = build_solution("residual_add")
    model.set_weights([w + 1.0 for w in model.get_weights()])
    assert check_numbers("residual_add", model).passed


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_the_copy_runs_in_inference_mode_like_predict(exercise_id):
    model = build_solution(exercise_id)
    graph = canonical_graph(model)
    probe = random_probe(graph, seed=3)
    copied = run_trace(graph.trace, probe, lambda layer: None)
    predicted = keras.tree.flatten(model.predict(probe, verbose=0))
    assert all(np.allclose(a, b, rtol=1e-5, atol=1e-6) for a, b in zip(copied, predicted))


def test_dropout_and_batchnorm_are_run_in_inference_mode():
    inputs = keras.Input(shape=(6,))
    normalised = layers.BatchNormalization(name="bn")(inputs)
    dropped = layers.Dropout(0.5, name="drop")(normalised)
    model = keras.Model(inputs, layers.Dense(2, name="out")(dropped))
    bn = model.get_layer("bn")
    gamma, beta, mean, variance = bn.get_weights()
    bn.set_weights([gamma, beta, mean + 3.0, variance * 4.0])  # far from batch statistics
    graph = canonical_graph(model)
    probe = random_probe(graph, seed=0)
    copied = run_trace(graph.trace, probe, lambda layer: None)[0]
    assert np.allclose(copied, model.predict(probe, verbose=0), atol=1e-6)
    training = model(probe[0], training=True)
    assert not np.allclose(copied, keras.ops.convert_to_numpy(training), atol=1e-3)


def test_the_stored_expected_outputs_are_what_the_reference_computes():
    for exercise_id in EXERCISES:
        ref = reference(exercise_id)
        computed = run_trace(ref.graph.trace, ref.probe, ref.weights_of)
        assert all(np.allclose(a, b, rtol=1e-5, atol=1e-6)
                   for a, b in zip(computed, ref.expected)), exercise_id


class Blend(layers.Layer):
    """A custom two-input layer: opaque, so only its numbers and its operand count matter."""

    def call(self, inputs):
        return inputs[0] + inputs[1]


def test_an_opaque_layer_must_still_take_as_many_inputs_as_the_layer_it_replaces():
    inputs = keras.Input((10,))
    hidden = layers.Dense(64, activation="relu")(inputs)
    blended = Blend(name="blend")([hidden, hidden])
    head = layers.Dense(10, activation="softmax")(layers.Dense(64)(blended))
    result = check_numbers("functional_equivalent", keras.Model(inputs, head))
    assert result.status == "failed" and result.step == "structure", str(result)
    assert "'blend'" in result.message and "takes 2 inputs" in result.message


def test_an_opaque_layer_in_place_of_a_trained_one_fails_exercise_05():
    trained = kl.load_starter("replace_intermediate")
    inputs = keras.Input((10,))
    h = trained.get_layer("hidden")(inputs)
    stand_in = layers.Lambda(lambda t: t, name="stand_in")(h)
    model = keras.Model(inputs, trained.get_layer("classifier")(layers.add([h, stand_in])))
    result = check_numbers("replace_intermediate", model)
    assert result.status == "failed" and result.step == "requirements"
    assert "The trained layer 'middle' is not in your model" in result.message


def test_a_custom_layer_with_weights_gets_the_reference_weights_by_structure():
    """Its own (random) weights would fail the numbers; mapped ones pass."""
    model = replaced_by_subclass("residual_add", 1.0)
    custom = model.get_layer("custom")
    custom.set_weights([w * 0.0 + 3.0 for w in custom.get_weights()])
    assert check_numbers("residual_add", model).passed


class Combine(layers.Layer):
    """A custom merge of the learner's own: stands in for the exercise's Add, one to one."""

    def __init__(self, sign=1.0, **kwargs):
        super().__init__(**kwargs)
        self.sign = sign

    def call(self, inputs):
        return inputs[0] + self.sign * inputs[1]

    def get_config(self):
        return {**super().get_config(), "sign": self.sign}


@pytest.mark.parametrize(("sign", "passes"), [(1.0, True), (-1.0, False)])
def test_a_custom_merge_in_place_of_add_is_judged_by_its_numbers(sign, passes):
    inputs = keras.Input((10,))
    hidden = layers.Dense(64, activation="relu")(inputs)
    merged = Combine(sign, name="combine")([hidden, layers.Dense(64)(inputs)])
    model = keras.Model(inputs, layers.Dense(10, activation="softmax")(merged))
    result = check_numbers("residual_add", model)
    assert result.passed is passes, str(result)
    if not passes:
        assert result.step == "numbers" and "'combine'" in result.message


@pytest.mark.parametrize("where", ["first", "last"])
def test_a_lambda_can_stand_for_a_whole_layer_at_either_end(where):
    """An opaque layer may replace a chain that starts at the input or ends at the output."""
    inputs = keras.Input((10,))
    if where == "first":
        dense = layers.Dense(64, name="d")
        hidden = layers.Lambda(lambda t: keras.ops.relu(dense(t)), name="whole")(inputs)
        outputs = layers.Dense(10, activation="softmax")(hidden)
    else:
        hidden = layers.Dense(64, activation="relu")(inputs)
        outputs = layers.Lambda(lambda t: keras.ops.softmax(t), name="whole")(
            layers.Dense(10)(hidden))
    result = check_numbers("functional_equivalent", keras.Model(inputs, outputs))
    assert result.status in ("passed", "failed"), str(result)
    if where == "last":
        assert result.passed, str(result)
    else:  # the Lambda hides a Dense whose weights the grader cannot map: numbers decide
        assert result.step == "numbers" and "'whole'" in result.message
