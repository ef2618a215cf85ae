"""kfunc_lessons.surgery: edits keep every untouched weight bit-identical."""

import keras
import numpy as np
import pytest
from keras import layers

import kfunc_lessons as kl
from kfunc_lessons import surgery

BATCH = np.random.default_rng(0).standard_normal((4, 10)).astype("float32")


def _weights_by_name(model):
    found = {}
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found.update(_weights_by_name(layer))
        elif layer.weights:
            found[layer.name] = layer.get_weights()
    return found


def assert_untouched_weights_identical(before, after, changed=()):
    old, new = _weights_by_name(before), _weights_by_name(after)
    kept = [name for name in old if name not in changed]
    assert kept, "nothing to compare"
    for name in kept:
        assert all(np.array_equal(a, b) for a, b in zip(old[name], new[name])), name


def test_insert_after_in_a_sequential_keeps_weights_and_outputs():
    trained = kl.load_starter("replace_intermediate")
    edited = surgery.insert_after(trained, "hidden", layers.Dropout(0.3, name="drop"))
    assert [layer.name for layer in edited.layers][1:] == ["hidden", "drop", "middle",
                                                           "classifier"]
    assert_untouched_weights_identical(trained, edited)
    np.testing.assert_array_equal(edited.predict(BATCH, verbose=0),
                                  trained.predict(BATCH, verbose=0))


def test_wrap_layer_solves_the_exercise():
    trained = kl.load_starter("replace_intermediate")
    edited = surgery.wrap_layer(trained, "middle", lambda layer, h: layers.add([h, layer(h)]))
    assert kl.check("replace_intermediate", edited).passed
    assert trained.get_layer("middle") is not edited.get_layer("middle")  # a copy


def test_replace_inside_a_nested_block():
    block = keras.Sequential([layers.Dense(5, name="in1"), layers.Dense(5, name="in2")],
                             name="block")
    inputs = keras.Input((10,))
    model = keras.Model(inputs, layers.Dense(2, name="out")(block(inputs)))
    edited = surgery.replace_layer(model, "in2", layers.Dense(5, activation="tanh", name="new"))
    assert "new" in surgery.layer_names(edited) and "in2" not in surgery.layer_names(edited)
    assert_untouched_weights_identical(model, edited, changed={"in2"})


def test_shape_change_raises_or_reinitializes_downstream():
    trained = kl.load_starter("replace_intermediate")
    with pytest.raises(ValueError, match="middle"):
        surgery.replace_layer(trained, "hidden", layers.Dense(32, name="narrow"))
    edited = surgery.replace_layer(trained, "hidden", layers.Dense(32, name="narrow"),
                                   on_shape_change="reinitialize")
    assert edited.get_layer("middle").kernel.shape == (32, 64)
    assert_untouched_weights_identical(trained, edited, changed={"hidden", "middle"})


def test_unknown_layer_name_lists_the_names():
    with pytest.raises(ValueError, match="middle"):
        surgery.replace_layer(kl.load_starter("replace_intermediate"), "nope", layers.ReLU())


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "after", "activation"),
    [("ResNet50", "conv3_block4_out", "conv4_block1_1_relu"),
     ("MobileNetV2", "block_6_project_BN", "block_6_expand_relu")],
)
def test_real_applications(name, after, activation):
    model = getattr(keras.applications, name)(weights=None)
    image = np.random.default_rng(1).standard_normal((1, 224, 224, 3)).astype("float32")
    expected = model.predict(image, verbose=0)

    inserted = surgery.insert_after(model, after, layers.Dropout(0.5, name="inserted"))
    assert_untouched_weights_identical(model, inserted)
    np.testing.assert_allclose(inserted.predict(image, verbose=0), expected, atol=1e-6)

    swapped = surgery.replace_layer(model, activation, layers.Activation("gelu", name="gelu"))
    assert_untouched_weights_identical(model, swapped, changed={activation})
    assert swapped.get_layer("gelu").activation.__name__ == "gelu"
    result = kl.compare(model, swapped)  # the grader names the swapped layer
    assert result.status == "failed" and "gelu" in result.message
