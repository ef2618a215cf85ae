"""compare() on real models nobody here wrote: keras.applications built without weights."""

import keras
import pytest

import kfunc_lessons as kl

pytestmark = pytest.mark.slow

# One mid-network activation per model, to change into a sigmoid.
CHANGED = {
    "ResNet50": "conv3_block2_2_relu",
    "MobileNetV2": "block_6_expand_relu",
    "DenseNet121": "conv3_block4_1_relu",
}


@pytest.fixture(scope="module", params=list(CHANGED))
def application(request):
    return request.param, getattr(keras.applications, request.param)(weights=None)


def test_clone_passes_and_one_changed_layer_fails_naming_it(application):
    name, model = application
    clone = keras.models.clone_model(model)
    assert kl.compare(model, clone).passed

    def swap(layer):
        if layer.name == CHANGED[name]:
            return keras.layers.Activation("sigmoid", name=layer.name)
        return layer.__class__.from_config(layer.get_config())

    changed = keras.models.clone_model(model, clone_function=swap)
    result = kl.compare(model, changed)
    assert result.status == "failed", str(result)
    assert CHANGED[name] in result.message and "sigmoid" in result.message
