# ---
# jupyter:
#   accelerator: GPU
#   colab:
#     provenance: []
#     toc_visible: true
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 05: Replacing or inserting a layer in a trained model
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/kfunc-lessons/kfunc-lessons/blob/main/lessons/05_replace_layers.ipynb)
#
# The question this course is named after: *you have a trained model; how do you swap one
# of its layers, or insert a new one, without losing the training?*
#
# **What you will learn**
#
# - replace a model's last layer the simplest way: `layer.output` and a new head;
# - rebuild a Functional graph by re-calling the trained layer objects (their weights come along);
# - `keras.models.clone_model` with `clone_function` and `call_function` to swap, insert or
#   wrap a layer, and why Sequential models must be converted first;
# - why `model.layers.pop()`, `layer.inbound_nodes`, `Model(input=..., output=...)` and the
#   keras-surgeon package no longer work in Keras 3, and what `Sequential.pop()` still does;
# - what to do when the new layer changes a shape;
# - the small `kfunc_lessons.surgery` helpers that package all of this, and saving the result.

# %%
# Colab only: install the course package (Colab's own TensorFlow and Keras are kept) and
# print what pip added. Locally, `make serve` / `make test` set everything up.
import json
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.run(
        [sys.executable, "-m", "pip",
         "install", "-q", "--report", "/tmp/kfunc-lessons-install.json",
         "kfunc-lessons[lessons] @ git+https://github.com/kfunc-lessons/kfunc-lessons"],
        check=True,
    )
    with open("/tmp/kfunc-lessons-install.json") as report:
        added = [p["metadata"] for p in json.load(report)["install"]]
    print("installed:", ", ".join(f"{p['name']} {p['version']}" for p in added) or "nothing")

# %%
import keras
import numpy as np
from keras import layers

import kfunc_lessons as kl

print(kl.environment_report())
keras.utils.set_random_seed(42)  # same weights, same data, same numbers on every run

# %% [markdown]
# ## The trained model
#
# `kl.load_starter` builds the model and loads weights trained on a synthetic 10-class
# problem (shipped with the package: no training, identical everywhere).

# %%
from kfunc_lessons.course.starters import synthetic_classification

trained = kl.load_starter("replace_intermediate")
trained.summary()
x_test, y_test = synthetic_classification(n=1000, seed=5)
baseline = trained.predict(x_test, verbose=0)
print(f"accuracy: {np.mean(baseline.argmax(1) == y_test):.3f} (chance 0.100)")

# %% [markdown]
# ## The simplest edit: a new last layer
#
# The most common form of the question is "replace the last layer" (a new head for a new
# task). Every layer that has been called knows its output tensor, `layer.output`, and a
# model can end at any tensor of the graph. So take the graph up to `middle` and put a new
# head on it:

# %%
features = trained.get_layer("middle").output
new_head = layers.Dense(3, activation="softmax", name="new_head")(features)
three_classes = keras.Model(trained.inputs, new_head)
print([layer.name for layer in three_classes.layers])
assert three_classes.get_layer("middle") is trained.get_layer("middle")

# %% [markdown]
# Ending the model at `features` alone gives a *feature extractor*, the trained network
# without its head:

# %%
extractor = keras.Model(trained.inputs, trained.get_layer("middle").output)
print(extractor.predict(x_test[:2], verbose=0).shape)
assert extractor.output_shape == (None, 64)

# %% [markdown]
# ## Way 1: re-call the trained layers on a new graph
#
# A layer *object* owns its weights. Calling the same object on a new tensor reuses them.
# So the most direct edit is to walk the layers yourself and put something new in between.
# Here a `LayerNormalization` goes after `hidden`:

# %%
inputs = keras.Input(shape=(10,))
h = trained.get_layer("hidden")(inputs)
h = layers.LayerNormalization(name="inserted_norm")(h)
h = trained.get_layer("middle")(h)
outputs = trained.get_layer("classifier")(h)
rebuilt = keras.Model(inputs, outputs)
kl.plot_model(rebuilt, to_file="05_rebuilt.png", show_shapes=True,
                       show_layer_names=True)

# %% [markdown]
# Every trained layer is the *same object*, so every trained weight is unchanged, bit for bit:

# %%
for name in ["hidden", "middle", "classifier"]:
    assert rebuilt.get_layer(name) is trained.get_layer(name)
    for old, new in zip(trained.get_layer(name).get_weights(),
                        rebuilt.get_layer(name).get_weights()):
        assert np.array_equal(old, new)
print("all trained weights identical")

# %% [markdown]
# Sharing has a consequence: training `rebuilt` also changes `trained`, because they hold the
# same variables. When you want an independent copy, clone instead (Way 2).
#
# ## Way 2: `clone_model` with `call_function`
#
# `keras.models.clone_model(model, clone_function=..., call_function=...)` rebuilds a
# Functional model layer by layer. `clone_function(layer)` makes each new layer;
# `call_function(layer, *args, **kwargs)` makes each *call* in the new graph, so it can
# replace, insert or wrap. It works on Functional models only:

# %% tags=["raises-exception"] raises="ValueError: not supported with Sequential models"
keras.models.clone_model(trained, call_function=lambda layer, *args, **kwargs: layer(*args))

# %% [markdown]
# A built Sequential already has a Functional graph: wrap it first.

# %%
functional = keras.Model(trained.inputs, trained.outputs)
print(type(functional).__name__)

# %% [markdown]
# One more trap: the default `clone_function` creates *fresh, untrained* layers. Cloning
# without copying weights throws the training away:

# %%
fresh = keras.models.clone_model(functional)
same = np.array_equal(fresh.get_layer("middle").kernel, trained.get_layer("middle").kernel)
print("weights kept by a bare clone_model:", same)
assert not same

# %% [markdown]
# So we copy each layer from its config *and* its weights, and swap `middle` for a GELU
# layer of the same width while we are at it:

# %%
copies = []


def copy_layer(layer):
    if not isinstance(layer, layers.Layer):
        return layer  # an operation such as `a + b` (lesson 03): nothing to copy
    clone = layer.__class__.from_config(layer.get_config())
    copies.append((layer, clone))
    return clone


def swap_mid(layer, *args, **kwargs):
    if layer.name == "middle":
        return layers.Dense(64, activation="gelu", name="middle_gelu")(*args, **kwargs)
    return layer(*args, **kwargs)


swapped = keras.models.clone_model(functional, clone_function=copy_layer, call_function=swap_mid)
for original, clone in copies:
    if clone.built and original.weights:
        clone.set_weights(original.get_weights())
print([layer.name for layer in swapped.layers[1:]])  # [0] is the input layer
assert np.array_equal(swapped.get_layer("hidden").kernel, trained.get_layer("hidden").kernel)

# %% [markdown]
# The new layer starts untrained, so the outputs change until you fine-tune it:

# %%
accuracy = np.mean(swapped.predict(x_test, verbose=0).argmax(1) == y_test)
print(f"accuracy with an untrained middle layer: {accuracy:.3f}")

# %% [markdown]
# ## Old recipes that break in Keras 3
#
# Answers from the Keras 2 era still rank high in search results. Here is what each does now.
#
# **`model.layers.pop()`** used to remove the last layer. In Keras 3 `model.layers` returns a
# new list every time: popping from it changes nothing, silently.

# %%
before = len(trained.layers)
trained.layers.pop()
print(before, "->", len(trained.layers))
assert len(trained.layers) == before

# %% [markdown]
# The method `Sequential.pop()` does work in Keras 3: it removes the last layer *from that
# model*, in place. Use it on a copy you own, not on the trained model you still need:

# %%
headless = kl.load_starter("replace_intermediate")  # a fresh copy of the trained model
headless.pop()
print([layer.name for layer in headless.layers], headless.output_shape)
assert headless.output_shape == (None, 64) and len(trained.layers) == before

# %% [markdown]
# **`layer.inbound_nodes`** (and `outbound_nodes`) were public in Keras 2 and are gone:

# %% tags=["raises-exception"] raises="AttributeError: has no attribute 'inbound_nodes'"
trained.get_layer("middle").inbound_nodes

# %% [markdown]
# **`keras.Model(input=..., output=...)`**, the singular keywords of Keras 1, are rejected:

# %% tags=["raises-exception"] raises="ValueError: Unrecognized keyword arguments passed to Model"
keras.Model(input=trained.inputs, output=trained.outputs)

# %% [markdown]
# **keras-surgeon** (`kerassurgeon`) rewires models through Keras 2 internals such as
# `keras.engine`, which no longer exists:

# %% tags=["raises-exception"] raises="ModuleNotFoundError: No module named 'keras.engine'"
import keras.engine  # what keras-surgeon imports from

# %% [markdown]
# ## When the new layer changes a shape
#
# Weights have shapes. If `hidden` becomes 32 wide, the trained `middle` still expects
# 64 inputs, and calling it on a 32-wide tensor fails:

# %% tags=["raises-exception"] raises="ValueError: is incompatible with the layer"
inputs = keras.Input(shape=(10,))
narrow = layers.Dense(32, activation="relu")(inputs)
trained.get_layer("middle")(narrow)

# %% [markdown]
# Only the layer that *reads* the changed tensor needs new weights: its kernel's shape
# depends on its input width. Here that is `middle`, rebuilt 32 -> 64. Its output is 64 wide
# again, so the trained `classifier` after it keeps its weights, and every layer before the
# change keeps its own:

# %%
new_mid = layers.Dense(64, activation="relu", name="middle_rebuilt")(narrow)
reshaped = keras.Model(inputs, trained.get_layer("classifier")(new_mid))
print(reshaped.get_layer("middle_rebuilt").kernel.shape)
assert reshaped.get_layer("classifier") is trained.get_layer("classifier")

# %% [markdown]
# ## The `kfunc_lessons.surgery` helpers
#
# The package wraps Way 2 into three tested helpers that work on Sequential, Functional and
# nested-block models, and on models with operations that are not layers (`a + b`,
# `keras.ops.relu`), and keep every untouched weight bit-identical, without touching the
# original: `replace_layer`, `insert_after` and `wrap_layer`.

# %%
from kfunc_lessons import surgery

with_dropout = surgery.insert_after(trained, "hidden", layers.Dropout(0.2, name="drop"))
print([layer.name for layer in with_dropout.layers[1:]])  # [0] is the input layer
diff = np.max(np.abs(with_dropout.predict(x_test, verbose=0) - baseline))
print("largest output difference (Dropout is off at inference):", diff)
assert diff == 0.0

# %% [markdown]
# *Inference mode* is how `predict` runs a model (`training=False`): `Dropout` passes values
# through unchanged and `BatchNormalization` uses its stored statistics. Dropout only drops
# during `fit`, so inserting it changes training, never predictions.
#
# The edited model is an ordinary Keras model: it saves and reloads with its weights.

# %%
import tempfile
from pathlib import Path

path = Path(tempfile.mkdtemp()) / "with_dropout.keras"
with_dropout.save(path)
reloaded = keras.models.load_model(path)
assert np.array_equal(reloaded.predict(x_test, verbose=0), with_dropout.predict(x_test, verbose=0))
print("reloaded from", path.name, "with identical outputs")

# %% [markdown]
# A shape change is reported, not silently mis-loaded; `on_shape_change="reinitialize"`
# gives fresh weights, on purpose, to exactly the layers whose input width changed:

# %% tags=["raises-exception"] raises="ValueError: the edit changed the input shape of middle"
surgery.replace_layer(trained, "hidden", layers.Dense(32, name="narrow"))

# %%
narrowed = surgery.replace_layer(trained, "hidden", layers.Dense(32, name="narrow"),
                                 on_shape_change="reinitialize")
kept = np.array_equal(narrowed.get_layer("classifier").kernel,
                      trained.get_layer("classifier").kernel)
print("classifier kept its trained weights:", kept)
assert kept and narrowed.get_layer("middle").kernel.shape == (32, 64)

# %% [markdown]
# ## Your turn
#
# Wrap the trained `middle` in a residual connection, `classifier(add(h, middle(h)))`,
# keeping every trained weight:
# [Exercise 05: Wrap a trained layer](../exercises/05_replace_intermediate.ipynb).
