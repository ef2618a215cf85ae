"""Verdicts a teacher would sign: no false pass where a model cannot do the task, and the cause
named where learners really go wrong. Each class of fault is tested both ways: the wrong model
fails with its cause named, the right variants still pass."""

import re

import keras
import pytest
from keras import layers

import kfunc_lessons as kl
from kfunc_lessons.core.picture import DiagramUnavailable
from support.models import two_in_two_out
from support.suites import new_head_model
from tests.conftest import ROOT

PICTURES = ROOT / "test-artifacts" / "pictures"


def _keep_picture(result, name: str) -> None:
    """Render a failed check's picture to PNG, as a teacher or learner would see it."""
    try:
        png = result.picture.png()
    except DiagramUnavailable:
        pytest.skip("Graphviz is not installed here")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
    PICTURES.mkdir(parents=True, exist_ok=True)
    (PICTURES / f"{name}.png").write_bytes(png)


def _marked_labels(sketch) -> list[str]:
    return [sketch.labels[i] for i in sketch.marked]


# ---- 1. a new head that cannot train ------------------------------------------------------


def _new_head(freeze: str):
    trained = kl.load_starter("new_head")
    backbone = keras.Model(trained.inputs, trained.get_layer("pool").output, name="backbone")
    backbone.trainable = False
    inputs = keras.Input((8, 8, 1))
    hidden = layers.Dense(32, activation="relu", name="hidden")
    classes = layers.Dense(2, activation="softmax", name="is_big")
    head = keras.Sequential([layers.Dropout(0.2), hidden, classes], name="head")
    model = keras.Model(inputs, head(backbone(inputs)))
    if freeze == "model":
        model.trainable = False
    elif freeze == "head block":
        head.trainable = False
    elif freeze == "one layer":
        classes.trainable = False
    elif freeze == "model, then thawed right":  # the fix the message gives
        model.trainable = False
        model.trainable = True
        backbone.trainable = False
    return model


@pytest.mark.parametrize("freeze, words", [
    ("model", ["model.trainable = False froze the whole model", "model.trainable = True"]),
    ("head block", ["'hidden'", "'is_big'", "are frozen"]),
    ("one layer", ["'is_big' is frozen"]),
])
def test_a_frozen_new_head_fails_as_a_head_that_cannot_learn(freeze, words):
    result = kl.check("new_head", _new_head(freeze))
    assert (result.status, result.step, result.mistake) == (
        "failed", "requirements", "frozen-head"), str(result)
    assert "cannot learn" in result.message
    assert [w for w in words if w not in result.message] == [], result.message
    assert result.learn_more.endswith("#fine-tune-a-new-head-on-real-digits")
    marked = _marked_labels(result.picture.learner)
    assert marked and all("frozen, new weights" in label for label in marked), marked
    assert any("is_big" in label for label in marked)


def test_the_solution_s_own_model_frozen_whole_fails_too():
    result = kl.check("new_head", new_head_model(head_frozen=True))
    assert result.mistake == "frozen-head", str(result)
    assert result.picture is not None and result.picture.reference.labels
    _keep_picture(result, "1-frozen-head")


@pytest.mark.parametrize("freeze", ["none", "model, then thawed right"])
def test_a_trainable_head_on_a_frozen_backbone_passes(freeze):
    result = kl.check("new_head", _new_head(freeze))
    assert result.passed, str(result)


def test_every_thawed_backbone_layer_is_named_and_marked():
    result = kl.check("new_head", new_head_model(frozen=False))
    assert result.mistake == "unfrozen-backbone"
    assert "'conv_1', 'conv_2' are still trainable" in result.message
    marked = _marked_labels(result.picture.learner)
    assert len(marked) == 2 and all("trainable, trained weights" in m for m in marked), marked


# ---- 2. output dicts are named by their keys ------------------------------------------------


def _two_heads(keys=("label", "value"), names=("label", "value"), as_dict=True):
    series, features = keras.Input((20, 3), name="series"), keras.Input((10,), name="features")
    merged = layers.concatenate([layers.LSTM(16)(series),
                                 layers.Dense(16, activation="relu")(features)])
    hidden = layers.Dense(32, activation="relu")(merged)
    label = layers.Dense(3, activation="softmax", name=names[0])(hidden)
    value = layers.Dense(1, name=names[1])(hidden)
    outputs = {keys[0]: label, keys[1]: value} if as_dict else [label, value]
    return keras.Model([series, features], outputs)


def test_a_dict_keyed_by_other_names_fails_although_its_layers_have_the_right_names():
    model = _two_heads(keys=("cls", "reg"))
    result = kl.check("multi_input_output", model)
    assert (result.status, result.mistake) == ("failed", "output-names"), str(result)
    assert "dict is keyed 'cls', 'reg'" in result.message
    assert "Key the dict by 'label', 'value'" in result.message
    # the reason is Keras's own: a loss keyed by the exercise's names is refused
    model.compile("adam", loss={"label": "sparse_categorical_crossentropy", "value": "mse"})
    with pytest.raises(Exception, match=r"label|value|key"):
        model.fit([keras.ops.zeros((2, 20, 3)), keras.ops.zeros((2, 10))],
                  {"label": keras.ops.zeros((2,)), "value": keras.ops.zeros((2, 1))},
                  verbose=0)


def test_keys_that_swap_the_heads_fail_on_the_head_that_is_not_what_its_key_says():
    result = kl.check("multi_input_output", _two_heads(keys=("value", "label")))
    assert (result.status, result.step) == ("failed", "io"), str(result)
    assert "output 'label' (from your layer 'value')" in result.message


@pytest.mark.parametrize("build", [
    lambda: _two_heads(names=("head_a", "head_b")),  # keys count, not layer names
    lambda: _two_heads(as_dict=False),  # a list: Keras names outputs by their layers
])
def test_outputs_named_the_way_keras_names_them_pass(build):
    assert kl.check("multi_input_output", build()).passed


# ---- 3. one layer too many, with its activation ---------------------------------------------


def _mlp(extra_at=None, residual=False):
    inputs = keras.Input((10,))
    x = inputs
    if extra_at == "first":
        x = layers.Dense(64, activation="relu", name="extra")(x)
    hidden = x = layers.Dense(64, activation="relu", name="hidden")(x)
    if extra_at == "after":
        x = layers.Dense(64, activation="relu", name="extra")(x)
    if residual:
        x = layers.add([x, layers.Dense(64, name="shortcut")(inputs)])
    del hidden
    return keras.Model(inputs, layers.Dense(10, activation="softmax", name="classes")(x))


@pytest.mark.parametrize("exercise_id, model, where", [
    ("functional_equivalent", lambda: _mlp("after"),
     "between the relu activation of your layer 'hidden' and your layer 'classes'"),
    ("residual_add", lambda: _mlp("after", residual=True),
     "between the relu activation of your layer 'hidden' and your layer 'add"),
])
def test_an_extra_dense_with_activation_is_one_layer_too_many(exercise_id, model, where):
    result = kl.check(exercise_id, model())
    assert (result.status, result.step) == ("failed", "structure"), str(result)
    assert result.message.startswith("your layer 'extra' (Dense(units=64) with activation "
                                     "'relu') is one layer too many"), result.message
    assert where in result.message and "reads the model input" not in result.message
    marked = _marked_labels(result.picture.learner)
    assert len(marked) == 2 and all(label.startswith("extra\n")
                                    for label in marked), marked
    _keep_picture(result, f"3-extra-layer-{exercise_id}")


def test_an_extra_layer_before_the_first_is_named_where_it_sits():
    # Two identical Dense(64, relu) in a row: either one is the extra one; it is named with
    # both its neighbours, never as a rewiring.
    result = kl.check("functional_equivalent", _mlp("first"))
    assert re.match(r"your layer '(extra|hidden)' \(Dense\(units=64\) with activation 'relu'\) "
                    r"is one layer too many: it sits between ", result.message), result.message
    assert "reads the model input" not in result.message


def test_an_activation_on_a_linear_layer_is_one_activation_too_many_not_a_layer():
    inputs = keras.Input((10,))
    hidden = layers.Dense(64, activation="relu")(inputs)
    shortcut = layers.Dense(64, activation="relu", name="shortcut")(inputs)
    merged = layers.add([hidden, shortcut])
    result = kl.check("residual_add", keras.Model(
        inputs, layers.Dense(10, activation="softmax")(merged)))
    found = " ".join([result.message, *result.details])
    assert "the relu activation of your layer 'shortcut' is one activation too many" in found
    assert "activation='relu'" in found and "one layer too many" not in found, found


def test_the_old_head_kept_under_the_new_one_is_found_where_it_sits():
    result = kl.check("new_head", new_head_model(old_head=True))
    assert result.mistake == "old-head-kept"
    found = next(d for d in result.details if d.startswith("The check found:"))
    assert "your layer 'digit' (Dense(units=10) with activation 'softmax')" in found
    assert "one layer too many" in found and "conv_1" not in found, found
    assert any("digit" in label for label in _marked_labels(result.picture.learner))
    _keep_picture(result, "3-old-head-kept")


def test_an_extra_convolution_in_one_branch_is_one_layer_too_many():
    image = keras.Input((28, 28, 1), name="image")
    a = layers.Conv2D(8, 3, padding="same", activation="relu")(image)
    a = layers.Conv2D(8, 3, padding="same", activation="relu", name="again")(a)
    b = layers.Conv2D(8, 5, padding="same", activation="relu")(image)
    pooled = layers.GlobalAveragePooling2D()(layers.concatenate([a, b]))
    result = kl.check("branch_merge", keras.Model(
        image, layers.Dense(10, activation="softmax")(pooled)))
    assert result.message.startswith("your layer 'again' (Conv2D("), result.message
    assert "one layer too many" in result.message


# ---- 4. the residual shape error's width comes from the Dense operand ------------------------


@pytest.mark.parametrize("order", ["hidden first", "input first"])
def test_the_residual_shape_error_advises_the_dense_width_in_either_order(order):
    inputs = keras.Input((10,))
    hidden = layers.Dense(64, activation="relu")(inputs)
    with pytest.raises(ValueError) as raised:
        layers.add([hidden, inputs] if order == "hidden first" else [inputs, hidden])
    text = kl.hint("residual_add", error=raised.value)
    assert "shortcut = layers.Dense(64)(inputs)" in text, text
    assert "layers.Dense(10)" not in text


def test_the_residual_shape_error_of_feature_maps_advises_a_1x1_convolution():
    maps = keras.Input((8, 8, 3))
    with pytest.raises(ValueError) as raised:
        layers.add([layers.Conv2D(16, 3, padding="same")(maps), maps])
    about = kl.hint("residual_add", error=raised.value).split("\n\nHint")[0]
    assert "layers.Conv2D(16, 1)(inputs)" in about and "Dense" not in about, about


@pytest.mark.parametrize("text", [
    "Inputs have incompatible shapes. Received shapes (?, 3) and (4,)",  # typed by hand
    "expected min_ndim=2, found ndim=1. Full shape received: ()",  # a scalar into Dense
    "expected min_ndim=2, found ndim=1. Full shape received: (None,)",
    "expected min_ndim=4, found ndim=2. Full shape received: (None, 784)",
])
def test_error_texts_that_are_not_the_catalogued_mistake_get_the_plain_hint(text):
    hint = kl.hint("new_head", error=text)
    assert hint.startswith("Hint 1/"), hint


# ---- 5. messages that agree with themselves and the picture -----------------------------------


def test_a_lambda_in_the_merge_s_place_is_not_called_a_right_structure():
    inputs = keras.Input((10,))
    hidden = layers.Dense(64, activation="relu")(inputs)
    shortcut = layers.Dense(64)(inputs)
    merged = layers.Lambda(lambda t: t[0] * t[1], name="merge")([hidden, shortcut])
    result = kl.check("residual_add", keras.Model(
        inputs, layers.Dense(10, activation="softmax", name="classes")(merged)))
    assert (result.status, result.step) == ("failed", "numbers")
    assert "structure looks right" not in result.message
    assert "'merge' (Lambda) stands where the exercise has a layer that adds" in result.message
    assert "from your layer 'classes'" in result.message


def test_a_merge_on_the_wrong_axis_says_one_axis_everywhere():
    image = keras.Input((28, 28, 1), name="image")
    a = layers.Conv2D(8, 3, padding="same", activation="relu")(image)
    b = layers.Conv2D(8, 5, padding="same", activation="relu")(image)
    merged = layers.concatenate([a, b], axis=1)
    result = kl.check("branch_merge", keras.Model(image, layers.Dense(10, activation="softmax")(
        layers.GlobalAveragePooling2D()(merged))))
    said = " ".join([result.message, *result.details])
    assert result.mistake == "concatenate-axis" and "axis=-1" in said
    assert "axis=3" not in said and "axis 3" not in said, said


@pytest.mark.parametrize("value_reads", ["its own trunk", "the merge"])
def test_two_heads_that_must_share_one_trunk_say_so(value_reads):
    series, features = keras.Input((20, 3), name="series"), keras.Input((10,), name="features")
    merged = layers.concatenate([layers.LSTM(16)(series),
                                 layers.Dense(16, activation="relu")(features)])
    trunk = layers.Dense(32, activation="relu", name="trunk")(merged)
    other = (layers.Dense(32, activation="relu", name="second_trunk")(merged)
             if value_reads == "its own trunk" else merged)
    result = kl.check("multi_input_output", keras.Model([series, features], {
        "label": layers.Dense(3, activation="softmax", name="label")(trunk),
        "value": layers.Dense(1, name="value")(other)}))
    assert result.step == "structure" and "already used elsewhere" not in result.message
    assert "your layer 'value' (Dense) reads" in result.message
    assert "the same tensor as your layer 'label' (Dense), the relu activation of your layer " \
           "'trunk': both read ONE tensor" in result.message, result.message


def test_compare_names_the_learner_s_layers_never_the_reference_s():
    def model(prefix, scale):
        inputs = keras.Input((10,))
        hidden = layers.Dense(8, activation="relu", name=f"{prefix}_hidden")(inputs)
        scaled = layers.Lambda(lambda t: t * scale, name=f"{prefix}_scale")(hidden)
        return keras.Model(inputs, layers.Dense(2, name=f"{prefix}_out")(scaled))

    result = kl.compare(model("teacher", 1.0), model("student", 2.0))
    assert result.status == "failed" and "teacher" not in str(result), str(result)
    assert "'student_out'" in result.message and "'student_scale'" in result.message


# ---- 6. compare() with the names Keras generated ----------------------------------------------




@pytest.mark.parametrize("student_names", [None, {"a": "x1", "b": "x2", "y": "p", "z": "q"}])
def test_automatic_names_in_a_teacher_s_reference_are_matched_by_position(student_names):
    result = kl.compare(two_in_two_out(), two_in_two_out(student_names))
    assert result.passed, str(result)


def test_positions_still_judge_shapes_and_say_which_output():
    result = kl.compare(two_in_two_out(), two_in_two_out(widths=(3, 4)))
    assert result.status == "failed" and "by name" not in result.message, str(result)
    teacher = two_in_two_out()
    merged = teacher.outputs[0]._keras_history.operation.input
    student = keras.Model(teacher.inputs, [teacher.outputs[0],
                                           layers.Dense(2, name="odd")(merged)])
    said = kl.compare(two_in_two_out(), student)
    assert said.status == "failed", str(said)
    assert "output 2 (from your layer 'odd')" in said.message, said.message


def test_compare_never_quotes_the_reference_s_generated_input_names():
    teacher = two_in_two_out()
    a, b = keras.Input((4,), name="first"), keras.Input((3,), name="second")
    merged = layers.concatenate([layers.Dense(8)(a), b])  # the Dense on 'second' is missing
    result = kl.compare(teacher, keras.Model([a, b], [layers.Dense(2)(merged),
                                                      layers.Dense(1)(merged)]))
    assert result.status == "failed"
    assert "input_layer" not in result.message and "'second'" in result.message, result.message


def test_a_reference_made_by_clone_model_is_paired_by_position():
    teacher = keras.models.clone_model(two_in_two_out())  # inputs named 'keras_tensor_N'
    assert kl.compare(teacher, two_in_two_out({"a": "x", "b": "y"})).passed


def test_names_a_teacher_chose_are_still_matched_by_name():
    chosen = {"a": "left", "b": "right", "y": "label", "z": "value"}
    result = kl.compare(two_in_two_out(chosen), two_in_two_out())
    assert result.status == "failed" and "by name" in result.message, str(result)
    assert kl.compare(two_in_two_out(chosen), two_in_two_out(chosen)).passed


# ---- 7. exceptions learners paste for exercise 09 ------------------------------------------------


def test_new_head_hints_explain_the_channel_axis_and_the_labels():
    trained = kl.load_starter("new_head")
    backbone = keras.Model(trained.inputs, trained.get_layer("pool").output)
    with pytest.raises(ValueError) as raised:
        backbone(keras.Input((8, 8)))
    assert "keras.Input(shape=(8, 8, 1))" in kl.hint("new_head", error=raised.value)
    text = kl.hint("new_head", error="Received a label value of 9 which is outside the valid "
                   "range of [0, 2).  Label values: 9 0 1 3")
    assert "(digits >= 5)" in text and text.startswith("About your error:")


# ---- 8. the picture carries the cause ------------------------------------------------------------


def test_fresh_layers_are_badged_new_beside_the_exercise_s_trained_ones():
    result = kl.check("new_head", new_head_model(fresh=True))
    assert result.status == "failed"
    mine, ref = result.picture.learner.labels.values(), result.picture.reference.labels.values()
    assert sum("frozen, new weights" in label for label in mine) == 2
    assert sum("frozen, trained weights" in label for label in ref) == 2
    assert sum("trainable, new weights" in label for label in ref) == 2
    _keep_picture(result, "8-fresh-backbone")


def test_a_shared_layer_is_one_node_with_two_uses_and_inputs_are_labelled():
    left, right = keras.Input((10,), name="left"), keras.Input((10,), name="right")
    merged = layers.concatenate([layers.Dense(32, activation="relu")(left),
                                 layers.Dense(32, activation="relu")(right)])
    result = kl.check("shared_layers", keras.Model(
        [left, right], layers.Dense(1, activation="sigmoid")(merged)))
    ref = list(result.picture.reference.labels.values())
    assert sum("shared: 2 uses" in label for label in ref) == 2  # the Dense and its relu
    assert ref[:2] == ["Input 'left'\n(None, 10)", "Input 'right'\n(None, 10)"]
    assert len(result.picture.learner.marked) == 2  # both layers the message names
    dot = result.picture.to_dot()
    assert re.search(r"rank=same", dot) and "invis" in dot
    _keep_picture(result, "8-shared-layer")


def test_both_pictures_draw_the_branches_in_the_same_order():
    inputs = keras.Input((10,))
    hidden = layers.Dense(64, activation="relu", name="hidden")(inputs)
    shortcut = layers.Dense(64, name="shortcut")(inputs)
    merged = layers.add([shortcut, hidden])  # the other operand order than the exercise's
    result = kl.check("residual_add", keras.Model(
        inputs, layers.Dense(10, activation="relu", name="classes")(merged)))
    assert result.status == "failed"
    drawn = list(result.picture.learner.labels.values())
    first = next(i for i, label in enumerate(drawn) if label.startswith("hidden\n"))
    second = next(i for i, label in enumerate(drawn) if label.startswith("shortcut\n"))
    ref = list(result.picture.reference.labels.values())
    assert ref[2].startswith("relu\n")  # the exercise draws the hidden branch first
    assert first < second, drawn


def test_two_differences_in_two_branches_fail_on_one_of_them_and_never_crash():
    """Neither branch of the add matches either of the exercise's (tanh where it has relu,
    sigmoid where it has none): the matcher finds a difference in each and names one."""
    inputs = keras.Input((10,))
    hidden = layers.Dense(64, activation="tanh", name="hidden")(inputs)
    shortcut = layers.Dense(64, activation="sigmoid", name="shortcut")(inputs)
    model = keras.Model(inputs, layers.Dense(10, activation="softmax")(
        layers.add([hidden, shortcut])))
    result = kl.check("residual_add", model)
    assert (result.status, result.step) == ("failed", "structure"), str(result)
    assert "'hidden'" in result.message or "'shortcut'" in result.message, result.message


def _three_branches(first_units=8):
    inputs = keras.Input((10,), name="x")
    hidden = layers.Dense(16, activation="relu", name="trunk")(inputs)
    branches = [layers.Dense(units, name=name)(hidden) for units, name in
                ((first_units, "first"), (8, "second"), (8, "third"))]
    return keras.Model(inputs, layers.Dense(2, name="out")(layers.concatenate(branches)))


def test_every_branch_is_visited_after_one_meets_a_layer_already_matched():
    """Three branches read one trunk: once two of them have matched it, the third is still
    compared, and its own difference is the one named (not the merge's shape after it)."""
    result = kl.compare(_three_branches(), _three_branches(first_units=4))
    assert (result.status, result.step) == ("failed", "structure"), str(result)
    assert "'first'" in result.message and "units=4" in result.message, result.message


def test_relu_written_as_a_layer_is_the_same_as_relu_written_as_an_argument():
    inputs = keras.Input((10,))
    hidden = layers.ReLU()(layers.Dense(64)(inputs))
    model = keras.Model(inputs, layers.Dense(10, activation="softmax")(hidden))
    assert kl.check("functional_equivalent", model).passed


def test_a_crash_inside_the_grader_is_the_grader_s_error_with_its_exception(monkeypatch):
    from kfunc_lessons.core import engine

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(engine, "_check_numbers", broken)
    from kfunc_lessons.course.references import build_solution

    result = kl.check("functional_equivalent", build_solution("functional_equivalent"))
    assert (result.status, result.step) == ("error", "grader"), str(result)
    assert "bug in kfunc_lessons" in result.message and result.details == ["RuntimeError: boom"]


def _one_in_two_named_out(order=("label", "value")):
    inputs = keras.Input((10,), name="x")
    hidden = layers.Dense(8, activation="relu", name="hidden")(inputs)
    heads = {"label": layers.Dense(3, name="label"), "value": layers.Dense(1, name="value")}
    return keras.Model(inputs, [heads[name](hidden) for name in order])


def test_named_outputs_of_a_one_input_reference_are_paired_by_name():
    """One input, two named outputs: the outputs pair by name (their order is free); the
    input count plays no part."""
    keras.utils.set_random_seed(3)
    teacher = _one_in_two_named_out()
    keras.utils.set_random_seed(3)
    student = _one_in_two_named_out(order=("value", "label"))
    assert kl.compare(teacher, student).passed, str(kl.compare(teacher, student))


class _ScaledDense(layers.Dense):
    """A layer class of the learner's own whose config cannot rebuild it."""

    def __init__(self, units, factor, **kwargs):
        super().__init__(units, **kwargs)
        self.factor = factor


def test_a_layer_that_cannot_be_rebuilt_from_its_config_is_named_with_the_reason():
    inputs = keras.Input((10,))
    hidden = _ScaledDense(64, 1.0, activation="relu", name="scaled")(inputs)
    model = keras.Model(inputs, layers.Dense(10, activation="softmax")(hidden))
    result = kl.check("functional_equivalent", model)
    assert (result.status, result.step) == ("failed", "numbers"), str(result)
    assert "cannot be copied for grading" in result.message
    assert "layer 'scaled' (_ScaledDense) cannot be re-created from its config" in result.message
    assert "get_config()" in result.message


def test_an_identity_layer_changes_nothing_in_the_structure():
    inputs = keras.Input((10,))
    hidden = layers.Identity()(layers.Dense(64, activation="relu")(inputs))
    model = keras.Model(inputs, layers.Dense(10, activation="softmax")(hidden))
    assert kl.check("functional_equivalent", model).passed
