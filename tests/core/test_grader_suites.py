"""Prove the graders right: mutants fail, equivalents pass, nothing crashes, same verdicts."""

import importlib.util
import json
import re
import subprocess
import sys

import keras
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from keras import layers

import kfunc_lessons as kl
from support.suites import CONSTRUCTION_PATHS, EQUIVALENTS, mutants, run_mutants
from tests.core.test_backends import BACKENDS, backend_env

EXERCISES = kl.list_exercises()


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_every_mutant_fails_with_a_message_naming_the_changed_layer(exercise_id):
    outcomes, _ = run_mutants(exercise_id)
    assert len(outcomes) >= 20, f"only {len(outcomes)} mutants"
    wrong = [f"{o.description}: {o.status}" for o in outcomes if o.status != "failed"]
    unclear = [f"{o.description}: {o.message!r}" for o in outcomes if not o.named]
    assert wrong == [] and unclear == []


def test_most_mutants_change_the_function():
    """Mutants that compute the reference's very function (a Dropout, a ReLU after a
    softmax) test the architecture rule, not the grader's judgement of computations; they are
    counted apart, and must stay a minority."""
    outcomes = [o for e in EXERCISES for o in run_mutants(e)[0]]
    same = [o for o in outcomes if o.same_function]
    assert any("Dropout" in o.description for o in same)  # the classifier can say "same"
    assert len(same) < len(outcomes) / 3


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


def _spelling(model):
    """What a model's code says: the model class, the structure and given names of its inputs
    and outputs, and each call's class, settings, operands, nesting, given name and creation
    rank (Keras numbers automatic names in creation order)."""
    from kfunc_lessons.core.graph import canonical_graph

    def settings(operation):
        try:
            config = operation.get_config()
        except Exception:
            config = {}
        return repr(sorted((k, v) for k, v in config.items() if k != "name"))

    def given_name(thing):  # a name the code chose, not one Keras numbered automatically
        name = getattr(thing, "name", "")
        return "" if re.sub(r"_\d+$", "", name) in _AUTO_NAMES else name

    def structure(attribute):
        try:
            value = getattr(model, attribute)
        except (AttributeError, ValueError):
            return None
        return keras.tree.map_structure(lambda t: given_name(t._keras_history.operation),
                                        value)

    trace = canonical_graph(model).trace
    bases = [re.sub(r"_\d+$", "", c.operation.name) for c in trace.calls]
    numbers = [int(m.group(1)) if (m := re.search(r"_(\d+)$", c.operation.name)) else 0
               for c in trace.calls]
    ranks = [sorted(n for b, n in zip(bases, numbers) if b == base).index(number)
             for base, number in zip(bases, numbers)]
    return (type(model).__name__, repr(structure("input")), repr(structure("output")),
            [(type(c.operation).__name__, settings(c.operation), c.inputs,
              given_name(c.operation), rank, [(type(m).__name__, given_name(m)) for m in c.scope])
             for c, rank in zip(trace.calls, ranks)])


_AUTO_NAMES = {"dense", "conv2d", "lstm", "add", "concatenate", "re_lu", "softmax", "activation",
               "sequential", "functional", "global_average_pooling2d", "input_layer"}


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_no_equivalent_is_the_reference_spelled_again(exercise_id):
    from kfunc_lessons.course.references import build_solution

    reference = _spelling(build_solution(exercise_id))
    again = [name for name, build in EQUIVALENTS[exercise_id].items()
             if _spelling(build()) == reference
             and name not in CONSTRUCTION_PATHS.get(exercise_id, ())]
    assert again == []
    assert len(EQUIVALENTS[exercise_id]) >= 6


def test_the_published_suite_table_is_what_the_suites_give_today(root):
    """The Grading guide's table is measured, never typed: regenerate it with
    `python benchmarks/grader_suites.py` when this fails."""
    from support.suites import suite_rows

    published = json.loads((root / "benchmarks" / "results" / "grader_suites.json").read_text())
    assert published["tables"]["Grader suites"] == suite_rows()


# ---- the same verdicts under another backend ----------------------------------------------

UNDER_ANOTHER_BACKEND = r"""
import json, keras
import kfunc_lessons as kl
from kfunc_lessons.course.references import build_solution
from support.suites import EQUIVALENTS, run_mutants
report = {"backend": keras.backend.backend(), "exercises": {}}
for ex in kl.list_exercises():
    outcomes, rejected = run_mutants(ex)
    report["exercises"][ex] = {
        "reference": kl.check(ex, build_solution(ex)).status,
        "not_attempted": kl.check(ex, ...).status,
        "mutants": [[o.status, o.named, o.same_function] for o in outcomes],
        "rejected_by_keras": rejected,
        "equivalents_rejected": [n for n, b in EQUIVALENTS[ex].items()
                                 if not kl.check(ex, b()).passed],
    }
print(json.dumps(report))
"""


@pytest.fixture(scope="module", autouse=True)
def other_backends(request, root, tmp_path_factory):
    """The suites above re-run under each other backend whose test below is selected, in a
    fresh interpreter started with this module's first test: it runs while the TensorFlow
    suites do, and its test then compares with what they left in run_mutants's cache. A
    backend that is not installed is left to its test, which skips."""
    selected = {item.callspec.params["backend"] for item in request.session.items
                if getattr(item, "module", None) is request.module  # (not a notebook's)
                and item.originalname == "test_verdicts_agree_under_another_backend"}
    started = {}
    try:
        for backend in sorted(selected):
            if importlib.util.find_spec(backend) is None:
                continue
            folder = tmp_path_factory.mktemp(backend)
            with (folder / "stdout").open("w") as out, (folder / "stderr").open("w") as err:
                started[backend] = folder, subprocess.Popen(
                    [sys.executable, "-c", UNDER_ANOTHER_BACKEND], cwd=root,
                    env=backend_env(backend), stdout=out, stderr=err)
        yield started
    finally:
        for _, process in started.values():
            process.kill()
            process.wait()


@pytest.mark.slow  # minutes: make test runs it, make check does not
@pytest.mark.parametrize("backend", BACKENDS)
def test_verdicts_agree_under_another_backend(backend, other_backends):
    """Every mutant gets the verdict, the named difference and the same-function class it
    gets under TensorFlow (this process), and every equivalent passes."""
    pytest.importorskip(backend)
    folder, process = other_backends[backend]
    assert process.wait(timeout=900) == 0, (folder / "stderr").read_text()[-3000:]
    report = json.loads((folder / "stdout").read_text().strip().splitlines()[-1])
    assert report["backend"] == backend
    for exercise_id, verdicts in report["exercises"].items():
        outcomes, rejected = run_mutants(exercise_id)
        # (descriptions hold Keras's automatic layer names, which differ between processes)
        here = [[o.status, o.named, o.same_function] for o in outcomes]
        assert verdicts["reference"] == "passed", exercise_id
        assert verdicts["not_attempted"] == "not_attempted", exercise_id
        assert verdicts["mutants"] == here and verdicts["rejected_by_keras"] == rejected
        assert verdicts["equivalents_rejected"] == [], exercise_id
