"""Prove the graders right: mutants fail, equivalents pass, nothing crashes, same verdicts."""

import keras
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from keras import layers

import kfunc_lessons as kl
from tests.suites import EQUIVALENTS, mutants

EXERCISES = kl.list_exercises()


def run_mutants(exercise_id):
    """(built, caught, named, failures) for the exercise's generated mutants."""
    built = caught = named = 0
    failures = []
    for mutant in mutants(exercise_id):
        try:
            model = mutant.build()
        except ValueError:
            continue  # an edit Keras itself rejects (e.g. adding 32- and 64-wide tensors)
        built += 1
        result = kl.check(exercise_id, model)
        if result.status != "failed":
            failures.append(f"{mutant.description}: {result.status}")
            continue
        caught += 1
        if any(word.lower() in result.message.lower() for word in mutant.expect):
            named += 1
        else:
            failures.append(f"{mutant.description}: unclear message {result.message!r}")
    return built, caught, named, failures


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_every_mutant_fails_with_a_message_naming_the_difference(exercise_id):
    built, caught, named, failures = run_mutants(exercise_id)
    assert built >= 20, f"only {built} mutants"
    assert failures == []
    assert caught == named == built


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_every_equivalent_passes(exercise_id):
    variants = EQUIVALENTS[exercise_id]
    assert len(variants) >= 6
    rejected = {name: str(r) for name, build in variants.items()
                if not (r := kl.check(exercise_id, build())).passed}
    assert rejected == {}


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_same_model_same_verdict_and_figures(exercise_id):
    right = next(iter(EQUIVALENTS[exercise_id].values()))()
    wrong = next(m for m in mutants(exercise_id) if "insert Dense" in m.description).build()
    for model in (right, wrong):
        first, second = kl.check(exercise_id, model), kl.check(exercise_id, model)
        assert first.to_dict() == second.to_dict()


# ---- bad input never crashes ----------------------------------------------------------------

plain_objects = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20),
    st.binary(max_size=20), st.lists(st.integers(), max_size=4),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.builds(lambda: np.zeros((2, 10))),  # (a bare layer is covered in test_engine.py)
    st.just(Ellipsis), st.just(keras), st.just(object()),
)

LAYER_CHOICES = ["dense", "relu", "dropout", "softmax", "tanh", "dense_sigmoid", "norm"]


# A model is drawn as plain data and built in the test: Keras seeds its initializers with
# `random`, which Hypothesis strategies must not use.
model_specs = st.fixed_dictionaries({
    "width": st.integers(1, 12),
    "input_name": st.sampled_from(["x", "left", "series", "image"]),
    "layers": st.lists(st.tuples(st.sampled_from(LAYER_CHOICES), st.integers(1, 70)),
                       min_size=1, max_size=4),  # Keras < 3.13 refuses Model(x, x)
    "sequential": st.booleans(),
})


def build_model(spec):
    make = {
        "dense": lambda units: layers.Dense(units),
        "relu": lambda units: layers.ReLU(),
        "dropout": lambda units: layers.Dropout(0.3),
        "softmax": lambda units: layers.Softmax(),
        "tanh": lambda units: layers.Activation("tanh"),
        "dense_sigmoid": lambda units: layers.Dense(units, activation="sigmoid"),
        "norm": lambda units: layers.LayerNormalization(),
    }
    stack = [make[kind](units) for kind, units in spec["layers"]]
    inputs = keras.Input((spec["width"],), name=spec["input_name"])
    if spec["sequential"]:
        return keras.Sequential([inputs, *stack])
    x = inputs
    for layer in stack:
        x = layer(x)
    return keras.Model(inputs, x)


def _assert_graceful(exercise_id, thing):
    before = [w.copy() for w in thing.get_weights()] if isinstance(thing, keras.Model) else None
    result = kl.check(exercise_id, thing)
    assert result.status in ("failed", "not_attempted", "passed")
    assert result.message and "Traceback" not in result.message
    if before is not None:
        assert all(np.array_equal(a, b) for a, b in zip(before, thing.get_weights()))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(thing=plain_objects, exercise_id=st.sampled_from(EXERCISES))
def test_arbitrary_objects_never_crash(thing, exercise_id):
    _assert_graceful(exercise_id, thing)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(spec=model_specs, exercise_id=st.sampled_from(EXERCISES))
def test_arbitrary_small_models_never_crash(spec, exercise_id):
    _assert_graceful(exercise_id, build_model(spec))
