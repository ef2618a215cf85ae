"""Rules and options that no mutant exercises: each proven in both directions."""

import json
from typing import ClassVar

import keras
import numpy as np
import pytest
from keras import layers

import kfunc_lessons as kl
from kfunc_lessons import surgery
from kfunc_lessons.cli import main
from kfunc_lessons.course.exercises import EXERCISES
from support.models import flat_blocks
from support.suites import EQUIVALENTS

# ---- exercise 04: nested Sequential blocks -----------------------------------------------------




def _one_block():
    block = keras.Sequential([layers.Dense(u, activation="relu") for u in (32, 16, 64, 32)])
    inputs = keras.Input((10,))
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(block(inputs)))


def _functional_blocks():
    def block(units):  # (first width, second width, input width)
        start = keras.Input((units[2],))
        out = layers.Dense(units[1], activation="relu")(
            layers.Dense(units[0], activation="relu")(start))
        return keras.Model(start, out, name=f"functional_block_{units[0]}")

    inputs = keras.Input((10,))
    x = block((64, 32, 16))(block((32, 16, 10))(inputs))
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(x))


@pytest.mark.parametrize(("build", "words"), [
    (flat_blocks, "nested keras.Sequential block"),
    (_one_block, "two separate keras.Sequential blocks"),
    (_functional_blocks, "asks for keras.Sequential blocks"),
], ids=["flat", "one block", "Functional blocks"])
def test_exercise_04_requires_two_nested_sequential_blocks(build, words):
    result = kl.check("sequential_blocks", build())
    assert result.status == "failed" and result.step == "requirements", str(result)
    assert words in result.message
    if build is _functional_blocks:  # once said "inside block X ... is not inside its own block"
        assert "is not inside its own" not in result.message


def test_exercise_04_passes_with_two_blocks():
    assert kl.check("sequential_blocks", EQUIVALENTS["sequential_blocks"]["unnamed blocks"]())


# ---- shared versus separate layers, operand order, settings ------------------------------------

def _two_inputs(shared: bool, merge=layers.concatenate):
    left, right = keras.Input((4,), name="left"), keras.Input((4,), name="right")
    first = layers.Dense(3, name="first")
    second = first if shared else layers.Dense(3, name="second")
    return keras.Model([left, right], merge([first(left), second(right)]))


def test_shared_where_separate_is_expected_fails_and_the_reverse_too():
    keras.utils.set_random_seed(0)
    separate, shared = _two_inputs(False), _two_inputs(True)
    assert kl.compare(separate, _two_inputs(False)).passed
    assert kl.compare(shared, _two_inputs(True)).passed
    result = kl.compare(separate, shared)
    assert result.status == "failed" and "called more than once" in result.message
    result = kl.compare(shared, separate)
    assert result.status == "failed" and "ONE layer" in result.message


def _merged(merge, swap):
    inputs = keras.Input((4,), name="x")
    a, b = layers.Dense(4, name="a")(inputs), layers.Dense(4, name="b", use_bias=False)(inputs)
    return keras.Model(inputs, merge([b, a] if swap else [a, b]))


@pytest.mark.parametrize("merge", [layers.subtract, layers.concatenate])
def test_operands_of_order_sensitive_merges_must_keep_their_order(merge):
    reference = _merged(merge, swap=False)
    assert kl.compare(reference, _merged(merge, swap=False)).passed
    result = kl.compare(reference, _merged(merge, swap=True))
    assert result.status == "failed" and "wrong order" in result.message, str(result)


@pytest.mark.parametrize("merge", [layers.add, layers.multiply, layers.average, layers.maximum,
                                   layers.minimum])
def test_operands_of_commutative_merges_may_come_in_any_order(merge):
    assert kl.compare(_merged(merge, swap=False), _merged(merge, swap=True)).passed


def _dropout(rate):
    inputs = keras.Input((4,))
    return keras.Model(inputs, layers.Dense(2)(layers.Dropout(rate)(inputs)))


def test_dropout_rate_is_part_of_the_architecture():
    """Dropout does nothing at inference, so only the structure step can see its rate."""
    assert kl.compare(_dropout(0.2), _dropout(0.2)).passed
    result = kl.compare(_dropout(0.2), _dropout(0.5))
    assert result.status == "failed" and "rate=0.5" in result.message
    assert "rate=0.2" in result.message


# ---- kl.compare's options ---------------------------------------------------------------------

class BatchSpy(layers.Layer):
    """An identity layer that records the batch sizes it is run on."""

    SEEN: ClassVar[list] = []

    def call(self, x):
        if x.shape[0] is not None:  # a real batch, not a symbolic one
            BatchSpy.SEEN.append(int(x.shape[0]))
        return x


def _spied(shape):
    inputs = keras.Input(shape)
    return keras.Model(inputs, BatchSpy()(inputs))


@pytest.mark.parametrize(("shape", "batch", "expected"), [
    ((10,), None, 8), ((64, 64, 3), None, 2), ((10,), 3, 3)])
def test_compare_probe_batch_size(shape, batch, expected):
    BatchSpy.SEEN = []
    model = _spied(shape)
    assert kl.compare(model, model, batch=batch).passed
    assert set(BatchSpy.SEEN) == {expected}


def test_compare_seed_picks_the_probe_batch():
    keras.utils.set_random_seed(1)
    inputs = keras.Input((6,))
    hidden = layers.Dense(6, name="d")(inputs)
    reference = keras.Model(inputs, keras.ops.relu(hidden))
    learner = keras.Model(inputs, layers.Lambda(lambda t: keras.ops.relu(t) * 1.001)(hidden))
    first, again = kl.compare(reference, learner, seed=0), kl.compare(reference, learner, seed=0)
    other = kl.compare(reference, learner, seed=1)
    assert not first.passed and first.max_abs_diff == again.max_abs_diff
    assert other.max_abs_diff != first.max_abs_diff


class NoConfig(layers.Layer):
    def __init__(self, units):
        super().__init__()
        self.units = units

    def build(self, shape):
        self.kernel = self.add_weight(shape=(shape[-1], self.units))

    def call(self, x):
        return x @ self.kernel

    def get_config(self):
        raise NotImplementedError("no config")


def test_a_reference_the_grader_cannot_use_is_a_clear_value_error():
    inputs = keras.Input((4,))
    uncopyable = keras.Model(inputs, NoConfig(3)(inputs))
    with pytest.raises(ValueError, match="reference model cannot be run for grading"):
        kl.compare(uncopyable, uncopyable)

    class Subclassed(keras.Model):
        def call(self, x):
            return x

    with pytest.raises(ValueError, match="cannot be traced"):
        kl.compare(Subclassed(), uncopyable)


# ---- surgery ----------------------------------------------------------------------------------

def _blocks_model():
    b1 = keras.Sequential([keras.Input((4,)), layers.Dense(5, name="in1"),
                           layers.Dense(5, name="in2")], name="b1")
    b2 = keras.Sequential([keras.Input((5,)), layers.Dense(6, name="c1"),
                           layers.Dense(6, name="c2")], name="b2")
    inputs = keras.Input((4,))
    return keras.Model(inputs, layers.Dense(3, name="after")(b2(b1(inputs))))


def _state(model):
    return ([w.copy() for w in model.get_weights()], surgery.layer_names(model),
            [tuple(t.shape) for t in model.outputs])


def test_surgery_rejects_an_unknown_on_shape_change():
    with pytest.raises(ValueError, match="on_shape_change must be"):
        surgery.insert_after(_blocks_model(), "in1", layers.ReLU(), on_shape_change="keep")


def test_a_width_change_at_a_block_boundary_rebuilds_only_the_layer_that_reads_it():
    model = _blocks_model()
    before = _state(model)
    with pytest.raises(ValueError, match="input shape of c1"):
        surgery.replace_layer(model, "in2", layers.Dense(7, name="wide"))
    edited = surgery.replace_layer(model, "in2", layers.Dense(7, name="wide"),
                                   on_shape_change="reinitialize")
    assert edited.get_layer("b1").outputs[0].shape[-1] == 7
    names = surgery.layer_names(edited)
    assert "wide" in names and "in2" not in names
    kept = {n: edited.get_layer("b2").get_layer(n).get_weights() if n.startswith("c") else
            edited.get_layer(n).get_weights() for n in ("c2", "after")}
    for name, weights in kept.items():
        original = (model.get_layer("b2").get_layer(name) if name.startswith("c")
                    else model.get_layer(name)).get_weights()
        assert all(np.array_equal(a, b) for a, b in zip(weights, original)), name
    after = _state(model)
    assert all(np.array_equal(a, b) for a, b in zip(before[0], after[0]))
    assert before[1:] == after[1:]  # the original is left untouched


def test_surgery_works_on_models_with_operations_that_are_not_layers():
    inputs = keras.Input((10,))
    hidden = layers.Dense(8, activation="relu", name="h")(inputs)
    skip = layers.Dense(8, name="s")(inputs)
    model = keras.Model(inputs, layers.Dense(2, name="out")(keras.ops.relu(hidden + skip)))
    batch = np.random.default_rng(0).standard_normal((3, 10)).astype("float32")
    edited = surgery.insert_after(model, "h", layers.Dropout(0.3, name="drop"))
    np.testing.assert_allclose(edited.predict(batch, verbose=0), model.predict(batch, verbose=0),
                               rtol=1e-6)
    assert "drop" in surgery.layer_names(edited)


# ---- the command line -------------------------------------------------------------------------

def _run(capsys, *argv):
    code = main(list(argv))
    return code, capsys.readouterr().out


@pytest.mark.parametrize("command", ["hint", "solution"])
def test_unknown_ids_for_hint_and_solution_list_the_valid_ones(command, capsys):
    code, out = _run(capsys, command, "no_such_exercise")
    assert code == 2 and "Valid ids" in out and "residual_add" in out


def test_check_a_txt_file_is_one_line_and_exit_1(tmp_path, capsys):
    path = tmp_path / "answer.txt"
    path.write_text("model = ...\n")
    code, out = _run(capsys, "check", "residual_add", str(path))
    assert code == 1 and len(out.strip().splitlines()) == 1 and ".py or .ipynb" in out


def test_grade_a_directory_holding_only_some_exercises(tmp_path, capsys):
    solved = EXERCISES[2]
    (tmp_path / f"{solved.slug}.py").write_text(kl.solution(solved.id))
    code, out = _run(capsys, "grade", str(tmp_path), "--json")
    statuses = {r["exercise"]: r["status"] for r in json.loads(out)["results"]}
    assert statuses == {e.id: "passed" if e is solved else "not_attempted" for e in EXERCISES}
    assert code == 1


# ---- mixed precision --------------------------------------------------------------------------

def _under_policy(policy, build):
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(policy)
    try:
        return build()
    finally:
        keras.mixed_precision.set_global_policy(previous)


def _residual(units=64):
    inputs = keras.Input((10,))
    hidden = layers.Dense(64, activation="relu")(inputs)
    merged = layers.add([hidden, layers.Dense(units)(inputs)])
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(merged))


def test_a_right_mixed_precision_model_passes_with_a_note():
    model = _under_policy("mixed_float16", _residual)
    assert model.layers[1].dtype_policy.name == "mixed_float16"
    result = kl.check("residual_add", model)
    assert result.passed, str(result)
    assert any("mixed_float16" in d and "float32" in d for d in result.details)
    plain = kl.check("residual_add", _residual())
    assert not any("dtype policy" in d for d in plain.details)


def test_a_wrong_mixed_precision_model_fails_on_its_real_difference():
    result = kl.check("residual_add", _under_policy("mixed_float16", _relu_shortcut))
    assert result.status == "failed" and "reads" in result.message, str(result)


def _relu_shortcut():
    inputs = keras.Input((10,))
    hidden = layers.Dense(64, activation="relu")(inputs)
    merged = layers.add([hidden, layers.Dense(64)(hidden)])
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(merged))


# ---- axes -------------------------------------------------------------------------------------

def _axis_model(shape, axis, layer):
    inputs = keras.Input(shape)
    a, b = layers.Dense(3, name="a")(inputs), layers.Dense(3, name="b")(inputs)
    if layer == "concatenate":
        out = layers.Concatenate(axis=axis)([a, b])
    else:
        out = layers.Softmax(axis=axis)(a)
    return keras.Model(inputs, out)


@pytest.mark.parametrize(("layer", "shape", "axis", "same"), [
    ("concatenate", (4,), 1, True), ("concatenate", (2, 4), 2, True),
    ("concatenate", (2, 4), 1, False), ("softmax", (4,), 1, True),
    ("softmax", (2, 4), 1, False)])
def test_negative_and_positive_axes_mean_the_same_axis(layer, shape, axis, same):
    keras.utils.set_random_seed(0)
    reference = _axis_model(shape, -1, layer)
    result = kl.compare(reference, _axis_model(shape, axis, layer))
    assert result.passed is same, str(result)


def test_the_grader_error_message_points_at_the_issue_tracker():
    from kfunc_lessons.core.engine import issues_url

    assert issues_url() == "https://github.com/kfunc-lessons/kfunc-lessons/issues"
