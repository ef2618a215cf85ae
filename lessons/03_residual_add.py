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
# # Lesson 03: Residual adds
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/kfunc-lessons/kfunc-lessons/blob/main/lessons/03_residual_add.ipynb)
#
# **What you will learn**
#
# - why the classic recipe `add([inputs, Dense(64)(inputs)])` fails on a 10-wide input;
# - the two fixes: matching widths, and a linear projection shortcut (as in ResNet);
# - that `layers.Add()`, `layers.add()` and `+` build the same computation;
# - the silent broadcasting trap, and how to see the skip edge in a diagram.

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
# ## The recipe that does not run
#
# A residual connection adds a block's input to its output. Blog posts often show it like
# this, with a 10-wide input and a 64-wide `Dense`:

# %% tags=["raises-exception"] raises="ValueError: Inputs have incompatible shapes"
inputs = keras.Input(shape=(10,))
layers.add([inputs, layers.Dense(64)(inputs)])

# %% [markdown]
# ## Why: an add is element-wise
#
# Adding two tensors adds entry by entry, so both must have the same shape. Here one operand
# has 10 features per sample and the other 64: there is no 11th to 64th feature to add to.

# %%
print("input:", inputs.shape, " Dense(64) output:", layers.Dense(64)(inputs).shape)

# %% [markdown]
# ## Fix 1: make the widths match
#
# If the block keeps the width of its input, the add just works. Here the block maps 10
# features to 10 features.

# %%
block_out = layers.Dense(10, activation="relu")(inputs)
same_width = layers.add([inputs, block_out])
print(same_width.shape)
assert tuple(same_width.shape) == (None, 10)

# %% [markdown]
# ## Fix 2: project the shortcut
#
# When the block must change the width, send the shortcut through a *linear* `Dense(64)`
# (no activation): a learned projection to the new width. ResNet does the same with a
# 1×1 convolution on its "projection shortcuts".

# %%
hidden = layers.Dense(64, activation="relu")(inputs)
shortcut = layers.Dense(64)(inputs)  # the projection
merged = layers.add([hidden, shortcut])
outputs = layers.Dense(10, activation="softmax")(merged)
residual = keras.Model(inputs, outputs, name="residual")
residual.summary()

# %% [markdown]
# ## The skip edge in a diagram
#
# The diagram shows the input feeding two layers, and both paths meeting at the add.

# %%
kl.plot_model(residual, to_file="03_residual.png", show_shapes=True,
                       show_layer_activations=True)

# %% [markdown]
# ## Three spellings, one computation
#
# `layers.Add()` is the layer class, `layers.add([...])` a shortcut that creates one, and
# `a + b` on symbolic tensors records an add operation. Three models built each way, with the
# same weights, give the same outputs.

# %%
def build(merge):
    x = keras.Input(shape=(10,))
    h = layers.Dense(64, activation="relu")(x)
    s = layers.Dense(64)(x)
    return keras.Model(x, layers.Dense(10, activation="softmax")(merge(h, s)))


variants = {
    "Add()": build(lambda a, b: layers.Add()([a, b])),
    "add()": build(lambda a, b: layers.add([a, b])),
    "+": build(lambda a, b: a + b),
}
batch = np.random.default_rng(3).standard_normal((16, 10)).astype("float32")
reference = variants["Add()"]
for name, model in variants.items():
    model.set_weights(reference.get_weights())
    diff = np.max(np.abs(model.predict(batch, verbose=0) - reference.predict(batch, verbose=0)))
    print(f"{name:6s} largest difference {diff}")
    assert diff == 0.0

# %% [markdown]
# The numbers agree, but the models are not built alike. `Add()` and `add()` make a *layer*:
# it is in `model.layers` and `get_layer` finds it by name. `a + b` records an *operation*,
# which is part of the graph but is not a layer: it is not in `model.layers`, has no name to
# look up, and has no weights. Code that walks `model.layers` (the surgery of lesson 05)
# must expect such operations.

# %%
for name, model in variants.items():
    kinds = [type(layer).__name__ for layer in model.layers]
    print(f"{name:6s}", kinds)
assert "Add" in [type(layer).__name__ for layer in variants["add()"].layers]
assert "Add" not in [type(layer).__name__ for layer in variants["+"].layers]
assert len(variants["+"].layers) == len(variants["add()"].layers) - 1

# %% [markdown]
# ## The silent trap: broadcasting
#
# Shapes that differ are not always an error. A width of 1 *broadcasts*: `(None, 10) + (None, 1)`
# adds the same single number to all 10 features. It runs without complaint, and it is almost
# never what a residual connection means.

# %%
x = keras.Input(shape=(10,))
one_wide = layers.Dense(1)(x)
broadcast = x + one_wide
print(x.shape, "+", one_wide.shape, "->", broadcast.shape)
assert tuple(broadcast.shape) == (None, 10)

# %% [markdown]
# Check your shapes before an add: `print(a.shape, b.shape)`. The grader of exercise 03
# catches a broadcast add: it names both shapes, links back here, and draws your graph beside
# the exercise's with the first difference marked (the picture needs Graphviz; without it, a
# line says how to get it).

# %%
broadcast_model = keras.Model(x, layers.Dense(10, activation="softmax")(broadcast))
result = kl.check("residual_add", broadcast_model)
assert not result.passed and "(None, 10) and (None, 1)" in result.message
assert result.mistake == "broadcasting-merge"
result

# %% [markdown]
# ## Your turn
#
# Build the projection-shortcut model and check it:
# [Exercise 03: A residual add](../exercises/03_residual_add.ipynb).
