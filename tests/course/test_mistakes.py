"""The catalogue of known mistakes: every entry is recognised in a learner-style model (or a
real exception), names the cause, links its lesson section, and never changes a verdict; and
no entry fires on a right model."""

import keras
import numpy as np
import pytest
from keras import layers

import kfunc_lessons as kl
from kfunc_lessons.core.links import lesson_url, site_url
from kfunc_lessons.course import catalogue as mistakes
from support.models import flat_blocks
from support.suites import EQUIVALENTS, new_head_model

# ---- learner-style models, one per model-level entry -----------------------------------------


class Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden, self.out = layers.Dense(64, activation="relu"), layers.Dense(10)

    def call(self, x):
        return self.out(self.hidden(x))


def _mlp(inputs, *, softmax=None):
    hidden = layers.Dense(64, activation="relu")(inputs)
    if softmax is None:
        return keras.Model(inputs, layers.Dense(10, activation="softmax")(hidden))
    return keras.Model(inputs, softmax(layers.Dense(10)(hidden)))


def _residual(shortcut_units=64, shortcut_activation=None):
    x = keras.Input((10,))
    h = layers.Dense(64, activation="relu")(x)
    s = layers.Dense(shortcut_units, activation=shortcut_activation)(x)
    merged = layers.add([x, s]) if shortcut_units == 1 else layers.add([h, s])
    return keras.Model(x, layers.Dense(10, activation="softmax")(merged))


def _branches(axis=-1, pool=True):
    image = keras.Input((28, 28, 1), name="image")
    a = layers.Conv2D(8, 3, padding="same", activation="relu")(image)
    b = layers.Conv2D(8, 5, padding="same", activation="relu")(image)
    merged = layers.concatenate([a, b], axis=axis)
    features = layers.GlobalAveragePooling2D()(merged) if pool else merged
    return keras.Model(image, layers.Dense(10, activation="softmax")(features))


def _multi(input_names=("series", "features"), output_names=("label", "value")):
    series, features = (keras.Input(shape, name=n) for shape, n in
                        zip(((20, 3), (10,)), input_names))
    merged = layers.concatenate([layers.LSTM(16)(series),
                                 layers.Dense(16, activation="relu")(features)])
    hidden = layers.Dense(32, activation="relu")(merged)
    return keras.Model([series, features], {
        output_names[0]: layers.Dense(3, activation="softmax", name=output_names[0])(hidden),
        output_names[1]: layers.Dense(1, name=output_names[1])(hidden)})




def _shared(separate=False, same_input=False):
    left, right = keras.Input((10,), name="left"), keras.Input((10,), name="right")
    encoder = layers.Dense(32, activation="relu")
    other = layers.Dense(32, activation="relu") if separate else encoder
    second = encoder(left) if same_input else other(right)
    merged = layers.concatenate([encoder(left), second])
    return keras.Model([left, right], layers.Dense(1, activation="sigmoid")(merged))


def _fresh_replace():
    x = keras.Input((10,))
    h = layers.Dense(64, activation="relu")(x)
    m = layers.Dense(64, activation="relu")(h)
    return keras.Model(x, layers.Dense(10, activation="softmax")(layers.add([h, m])))


def _chain(block_twice):
    """compare() reference and attempt: two width-10 blocks, or one block called twice."""
    def block():
        return keras.Sequential([layers.Dense(10, activation="relu")])

    x = keras.Input((10,))
    first = block()
    second = first if block_twice else block()
    return keras.Model(x, second(first(x)))


def _dense_chain(shared):
    x = keras.Input((10,))
    first = layers.Dense(10, activation="relu")
    second = first if shared else layers.Dense(10, activation="relu")
    return keras.Model(x, second(first(x)))


def _mixed_right():
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        return _mlp(keras.Input((10,)))
    finally:
        keras.mixed_precision.set_global_policy(previous)


# (entry id, exercise id or a compare() reference builder, the attempt, words of the message)
CASES = [
    ("subclassed-model", "functional_equivalent", Subclassed, ["Subclassed", "call()"]),
    ("unbuilt-sequential", "functional_equivalent",
     lambda: keras.Sequential([layers.Dense(3)], name="no_input"), ["'no_input'", "keras.Input"]),
    ("batch-size-in-input-shape", "functional_equivalent",
     lambda: _mlp(keras.Input((32, 10))), ["shape=(32, 10)", "shape=(10,)", "batch"]),
    ("input-names", "multi_input_output", lambda: _multi(input_names=("a", "b")),
     ["'series'", "'a'", "name="]),
    ("output-names", "multi_input_output", lambda: _multi(output_names=("cls", "reg")),
     ["'label'", "'cls'"]),
    ("dense-on-feature-map", "branch_merge", lambda: _branches(pool=False),
     ["(None, 28, 28, 10)", "GlobalAveragePooling2D"]),
    ("broadcasting-merge", "residual_add", lambda: _residual(shortcut_units=1),
     ["(None, 10) and (None, 1)", "broadcasts"]),
    ("nonlinear-shortcut", "residual_add", lambda: _residual(shortcut_activation="relu"),
     ["linear", "relu", "Dense(64)"]),
    ("concatenate-axis", "branch_merge", lambda: _branches(axis=1),
     ["axis=1", "(None, 56, 28, 8)", "axis=-1"]),
    ("softmax-axis", "functional_equivalent",
     lambda: _mlp(keras.Input((10,)), softmax=layers.Softmax(axis=0)), ["axis 0", "last axis"]),
    ("flat-instead-of-blocks", "sequential_blocks", flat_blocks,
     ["flat", "keras.Sequential", "Dense(units=32) + Dense(units=16)"]),
    ("one-block-twice", lambda: _chain(block_twice=False), lambda: _chain(block_twice=True),
     ["block", "called more than once", "new keras.Sequential"]),
    ("shared-where-separate", lambda: _dense_chain(shared=False),
     lambda: _dense_chain(shared=True), ["called more than once", "separate layer"]),
    ("separate-where-shared", "shared_layers", lambda: _shared(separate=True),
     ["two separate layers", "ONE layer"]),
    ("shared-encoder-same-input", "shared_layers", lambda: _shared(same_input=True),
     ["'right'", "never used"]),
    ("fresh-layer", "replace_intermediate", _fresh_replace,
     ["trained weights", "trained.get_layer"]),
    ("unfrozen-backbone", "new_head", lambda: new_head_model(frozen=False),
     ["'conv_1'", "'conv_2'", "trainable = False"]),
    ("frozen-head", "new_head", lambda: new_head_model(head_frozen=True),
     ["cannot learn", "model.trainable = False", "backbone.trainable = False"]),
    ("old-head-kept", "new_head", lambda: new_head_model(old_head=True),
     ["'digit'", "trained.get_layer('pool').output"]),
]


def _check(target, model):
    if isinstance(target, str):
        return kl.check(target, model)
    return kl.compare(target(), model)


def _built(entry, build):
    """The attempt; where this Keras refuses to build it, the catalogue explains the error."""
    try:
        return build()
    except ValueError as exc:
        finding = mistakes.error_finding(exc)
        assert finding is not None and finding.mistake.id == entry, str(exc)
        pytest.skip(f"this Keras refuses the model ({exc}); its error is explained instead")


@pytest.mark.parametrize("entry, target, build, words", CASES, ids=[c[0] for c in CASES])
def test_each_entry_names_the_cause_and_links_its_section(entry, target, build, words):
    result = _check(target, _built(entry, build))
    assert result.status == "failed", str(result)
    assert result.mistake == entry, str(result)
    missing = [w for w in words if w not in result.message]
    assert missing == [], result.message
    mistake = next(m for m in mistakes.CATALOGUE if m.id == entry)
    assert result.learn_more == mistake.link == lesson_url(mistake.lesson, mistake.anchor)
    assert f"Learn more: {mistake.link}" in result.details


@pytest.mark.parametrize("entry, target, build, words", CASES, ids=[c[0] for c in CASES])
def test_the_catalogue_never_changes_a_verdict(monkeypatch, entry, target, build, words):
    model = _built(entry, build)
    explained = _check(target, model)
    monkeypatch.setattr(mistakes, "CATALOGUE", ())
    plain = _check(target, model)
    assert plain.mistake is None
    assert (explained.status, explained.step, explained.max_abs_diff) == (
        plain.status, plain.step, plain.max_abs_diff)


def test_a_mixed_precision_model_passes_with_a_note_and_its_link():
    result = kl.check("functional_equivalent", _mixed_right())
    assert result.passed and result.mistake is None
    note = next(d for d in result.details if d.startswith("Note: "))
    assert "mixed_float16" in note and "float32" in note
    assert lesson_url("01_sequential", "mixed-precision-on-a-gpu") in note


@pytest.mark.parametrize("exercise_id", kl.list_exercises())
def test_no_entry_fires_on_a_right_model(exercise_id):
    for name, build in EQUIVALENTS[exercise_id].items():
        result = kl.check(exercise_id, build())
        assert result.passed and result.mistake is None, (name, str(result))
        assert not any(d.startswith("Note: ") for d in result.details), name


def test_every_model_entry_is_tested_here_and_there_are_at_least_15():
    # Model-level entries: spotted by a detector here, or found and worded by the check.
    spotted = {m.id for m in mistakes.CATALOGUE
               if (m.spot is not None or m.error is None) and not m.note}
    assert spotted == {case[0] for case in CASES}
    assert len(mistakes.CATALOGUE) >= 15


def test_links_come_from_the_one_repository_url():
    assert site_url() == "https://kfunc-lessons.github.io/kfunc-lessons/"
    assert all(m.link.startswith(site_url() + "lessons/" + m.lesson + "/#")
               for m in mistakes.CATALOGUE)


# ---- exceptions ---------------------------------------------------------------------------------


def _raised(action):
    try:
        action()
    except Exception as exc:  # the real exception Keras raises for the learner
        return exc
    raise AssertionError("expected an exception")


def _image():
    return keras.Input((28, 28, 1))


def _width_changed():
    dense = layers.Dense(4, name="narrow")
    dense(keras.Input((16,)))
    dense(keras.Input((8,)))


def _keras_engine():
    import importlib

    importlib.import_module("keras.engine")


def _two_class_head_on_digit_labels():
    if keras.backend.backend() != "tensorflow":  # JAX computes a NaN loss without a word
        pytest.skip("only TensorFlow refuses a label outside the classes")
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(np.zeros((4, 4)), np.array([0, 9, 3, 1]), verbose=0)


def _keras_before_3_3_3():
    def clone_model(model, input_tensors=None, clone_function=None):
        """clone_model's signature before Keras 3.3.3 added call_function."""

    return clone_model


def _backbone():
    trained = kl.load_starter("new_head")
    return keras.Model(trained.inputs, trained.get_layer("pool").output)


def _three_axes_image_into(layer_or_model):
    return lambda: layer_or_model()(keras.Input((8, 8)))


ERRORS = [
    ("missing-projection-shortcut",
     lambda: layers.add([x := keras.Input((10,)), layers.Dense(64)(x)]),
     ["(10,) and (64,)", "layers.Dense(64)(inputs)"]),
    ("concatenate-shapes",
     lambda: layers.concatenate([layers.Conv2D(8, 3)(i := _image()), layers.Conv2D(8, 5)(i)]),
     ["padding='same'", "(None, 26, 26, 8)"]),
    ("layer-width-changed", _width_changed, ["'narrow'", "16 features", "(None, 8)"]),
    ("never-called-input",
     lambda: keras.Sequential([keras.Input((3,)), layers.Dense(2)], name="seq").input,
     ["'seq'", "model.inputs"]),
    ("keras2-model-keywords",
     lambda: keras.Model(input=(x := keras.Input((3,))), output=layers.Dense(2)(x)),
     ["inputs=", "outputs="]),
    ("keras2-inbound-nodes", lambda: layers.Dense(2).inbound_nodes, ["Keras 2", "surgery"]),
    ("keras2-engine-import", _keras_engine, ["keras.engine", "clone_model"]),
    ("clone-sequential",
     lambda: keras.models.clone_model(
         keras.Sequential([keras.Input((3,)), layers.Dense(2)]),
         call_function=lambda layer, *args, **kwargs: layer(*args)),
     ["Functional", "keras.Model(seq.inputs, seq.outputs)"]),
    ("channel-axis-missing", _three_axes_image_into(lambda: layers.Conv2D(8, 3)),
     ["(None, 8, 8)", "keras.Input(shape=(8, 8, 1))", "channel axis"]),
    ("channel-axis-missing",  # a whole backbone called on it: Keras words it otherwise
     _three_axes_image_into(_backbone),
     ["(None, 8, 8)", "keras.Input(shape=(8, 8, 1))"]),
    ("labels-of-another-task", _two_class_head_on_digit_labels,
     ["label is 9", "2 classes", "0 to 1", "(digits >= 5)"]),
    ("clone-call-function-missing",
     lambda: _keras_before_3_3_3()(None, call_function=lambda layer, *a, **k: layer(*a)),
     ["3.3.3", "Way 1"]),
    ("layer-inside-block",
     lambda: keras.Model(x := keras.Input((3,)), keras.Sequential(
         [layers.Dense(2, name="inner")], name="block")(x)).get_layer("inner"),
     ["'inner'", "get_layer('block')"]),
]


@pytest.mark.parametrize("entry, action, words", ERRORS, ids=[e[0] for e in ERRORS])
def test_each_catalogued_exception_is_explained_by_hint(entry, action, words):
    exc = _raised(action)
    finding = mistakes.error_finding(exc)
    assert finding is not None and finding.mistake.id == entry, f"{type(exc).__name__}: {exc}"
    text = kl.hint("residual_add", error=exc)
    assert text.startswith("About your error: ")
    missing = [w for w in words if w not in text]
    assert missing == [], text
    assert finding.mistake.link in text


def test_every_exception_entry_is_tested_and_unknown_errors_are_left_alone():
    errors_only = {m.id for m in mistakes.CATALOGUE if m.error is not None and m.spot is None}
    assert errors_only == {e[0] for e in ERRORS}
    unconnected = mistakes.error_finding(ValueError("`inputs` not connected to `outputs`"))
    assert unconnected.mistake.id == "shared-encoder-same-input"
    assert mistakes.explain_error(ValueError("something else")) is None
    assert kl.hint("residual_add", error=ValueError("something else")).startswith("Hint 1/")


def test_without_package_metadata_links_fall_back_to_the_repository_paths(monkeypatch):
    import importlib.metadata

    from kfunc_lessons.core import links

    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "metadata", missing)
    assert links.site_url() is None
    assert links.lesson_url("03_residual_add", "x") == "lessons/03_residual_add.ipynb#x"
    assert links.issues_url() == "the kfunc-lessons issue tracker"
