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
# # Lesson 01: A Sequential model
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/kfunc-lessons/kfunc-lessons/blob/main/lessons/01_sequential.ipynb)
#
# **What you will learn**
#
# - build a `keras.Sequential` model: `Input(10) -> Dense(64, relu) -> Dense(10, softmax)`;
# - read its summary and draw it with `keras.utils.plot_model`;
# - train it briefly on synthetic data generated right here (no downloads);
# - what `model.inputs` and `model.outputs` are, and why `Sequential` stops being enough.

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
# ## A stack of layers
#
# A `Sequential` model is a list of layers, each feeding the next. Starting the list with
# `keras.Input` tells Keras the shape of one sample (the batch dimension is left out), so the
# model is built at once and every weight exists.

# %%
model = keras.Sequential(
    [
        keras.Input(shape=(10,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ],
    name="baseline",
)
model.summary()

# %% [markdown]
# The first `Dense` holds a 10×64 kernel plus 64 biases (704 parameters); the second a
# 64×10 kernel plus 10 biases (650).

# %%
assert model.count_params() == (10 * 64 + 64) + (64 * 10 + 10) == 1354

# %% [markdown]
# The softmax turns each sample's 10 scores into probabilities: it normalises over the last
# axis, the classes, so every row sums to 1. (Over axis 0, the batch, it would mix samples.)

# %%
probabilities = model.predict(np.ones((3, 10), dtype="float32"), verbose=0)
print(probabilities.sum(axis=-1))
assert np.allclose(probabilities.sum(axis=-1), 1.0, atol=1e-5)

# %% [markdown]
# ## The diagram
#
# `keras.utils.plot_model` draws the graph with Graphviz, one box per layer. `show_shapes=True`
# writes each layer's input and output shapes inside its box; `None` is the batch dimension,
# free until you feed data. Layer names are off by default in Keras 3: `show_layer_names=True`
# turns them on. The lessons call it as `kl.plot_model`, the same function except where
# Graphviz is not installed: there it prints one line saying how to get it and the lesson
# carries on (Keras itself stops with an ImportError in a plain Jupyter kernel).

# %%
kl.plot_model(model, to_file="01_sequential.png", show_shapes=True,
                       show_layer_names=True, show_layer_activations=True)

# %% [markdown]
# ## Training on synthetic data
#
# A seeded toy problem: 10 features, and the label is which of 10 fixed random directions
# the sample points along most. It is learnable, and generated here, so the lesson needs no
# network.

# %%
rng = np.random.default_rng(0)
directions = rng.standard_normal((10, 10)).astype("float32")
x_train = rng.standard_normal((2000, 10)).astype("float32")
y_train = np.argmax(x_train @ directions, axis=1)
x_test = rng.standard_normal((500, 10)).astype("float32")
y_test = np.argmax(x_test @ directions, axis=1)
print(x_train.shape, y_train.shape, np.bincount(y_train))

# %%
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, epochs=8, batch_size=64, verbose=0)
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy after 8 epochs: {accuracy:.3f} (chance is 0.100)")

# %%
assert accuracy > 0.5, "the model should beat chance by far"
assert history.history["loss"][-1] < history.history["loss"][0]

# %% [markdown]
# ## Inputs and outputs are symbolic tensors
#
# Once built, a `Sequential` model has `inputs` and `outputs`: symbolic `KerasTensor`s that
# record shapes, not values. They are the bridge to the Functional API of the next lesson.

# %%
print(model.inputs)
print(model.outputs)
assert tuple(model.inputs[0].shape) == (None, 10)
assert tuple(model.outputs[0].shape) == (None, 10)

# %% [markdown]
# ## Where Sequential stops
#
# `Sequential` means exactly one input, one output, and each layer reading only the layer
# before it. None of these can be written as a list of layers:
#
# - a **residual add**, a layer's input added to its output (Lesson 03);
# - a **shared layer** applied to two inputs (Lesson 06);
# - **several inputs or outputs** (Lesson 07), or **parallel branches** (Lesson 08).
#
# The list is all a `Sequential` knows: its layers, in order.

# %%
print([layer.name for layer in model.layers])
assert len(model.inputs) == len(model.outputs) == 1

# %% [markdown]
# ## Mixed precision on a GPU
#
# On a Colab GPU you may switch on *mixed precision*: layers compute in float16 (faster on
# GPUs with tensor cores) while their weights stay float32. The numbers move a little,
# because float16 keeps about three decimal digits:

# %%
keras.mixed_precision.set_global_policy("mixed_float16")
half = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(64, activation="relu"),
                         layers.Dense(10, activation="softmax", dtype="float32")])
keras.mixed_precision.set_global_policy("float32")  # back to the default for what follows
half.set_weights(model.get_weights())
print(half.layers[0].dtype_policy.name, "computes in", half.layers[0].compute_dtype,
      "with weights in", half.layers[0].variable_dtype)
moved = np.max(np.abs(half.predict(x_train[:256], verbose=0)
                      - model.predict(x_train[:256], verbose=0)))
print(f"largest change of a probability: {moved:.1e}")
assert 0 < moved < 1e-2

# %% [markdown]
# (The last layer keeps `dtype="float32"`, the usual advice, so the softmax is computed in
# full precision.) The graders compute in float32 whatever the policy: a right model built
# under mixed precision passes, with a note that says so.

# %%
result = kl.check("sequential_baseline", half)
print(result)
assert result.passed and "mixed_float16" in " ".join(result.details)

# %% [markdown]
# ## Your turn
#
# Build this model yourself and let the grader check it:
# [Exercise 01: A Sequential baseline](../exercises/01_sequential_baseline.ipynb).
