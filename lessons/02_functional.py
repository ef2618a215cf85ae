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
# # Lesson 02: The same model, Functional
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/kfunc-lessons/kfunc-lessons/blob/main/lessons/02_functional.ipynb)
#
# **What you will learn**
#
# - write Lesson 01's model with the Functional API: `keras.Model(inputs, outputs)`;
# - prove that both compute the same function, three ways: parameter counts, copied weights,
#   identical outputs;
# - turn any built `Sequential` into a Functional model with `keras.Model(seq.inputs, seq.outputs)`;
# - the `seq.input` pitfall on a `Sequential` that was never called.

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
# ## Layers are called on tensors
#
# In the Functional API you start from a symbolic `keras.Input`, call each layer on a tensor
# to get the next tensor, and finally name the ends: `keras.Model(inputs, outputs)`.
# *Symbolic* means the tensor has a shape and a dtype but no values yet: calling a layer on it
# records the call (Keras calls each recorded call a *node* of the graph) instead of
# computing numbers.

# %%
inputs = keras.Input(shape=(10,), name="features")
hidden = layers.Dense(64, activation="relu", name="hidden")(inputs)
outputs = layers.Dense(10, activation="softmax", name="probabilities")(hidden)
functional = keras.Model(inputs, outputs, name="functional")
functional.summary()

# %% [markdown]
# The diagram now shows the names we gave each tensor's layer:

# %%
kl.plot_model(functional, to_file="02_functional.png", show_shapes=True,
                       show_layer_names=True, show_layer_activations=True)

# %% [markdown]
# The same model as a `Sequential`, for comparison:

# %%
sequential = keras.Sequential(
    [keras.Input(shape=(10,)), layers.Dense(64, activation="relu"),
     layers.Dense(10, activation="softmax")],
    name="sequential",
)

# %% [markdown]
# ## Proof 1: the same parameters

# %%
print(sequential.count_params(), functional.count_params())
assert sequential.count_params() == functional.count_params() == 1354
assert [w.shape for w in sequential.get_weights()] == [w.shape for w in functional.get_weights()]

# %% [markdown]
# ## Proof 2: the weights of one fit the other
#
# Both were initialised randomly, so they differ now. `get_weights()` returns the arrays in
# layer order; because the two models have the same layers in the same order, `set_weights`
# can copy them across.

# %%
functional.set_weights(sequential.get_weights())

# %% [markdown]
# ## Proof 3: identical outputs on the same batch

# %%
batch = np.random.default_rng(1).standard_normal((32, 10)).astype("float32")
difference = np.max(np.abs(sequential.predict(batch, verbose=0) -
                           functional.predict(batch, verbose=0)))
print(f"largest absolute difference: {difference}")
assert difference < 1e-6

# %% [markdown]
# ## Any built Sequential already has a Functional graph
#
# A built `Sequential` exposes its symbolic `inputs` and `outputs`, so
# `keras.Model(seq.inputs, seq.outputs)` wraps the *same layer objects* in a Functional
# model. Nothing is copied: the two models share their weights.

# %%
wrapped = keras.Model(sequential.inputs, sequential.outputs)
print(type(wrapped).__name__, [layer.name for layer in wrapped.layers])
assert wrapped.layers[-1] is sequential.layers[-1]
assert np.array_equal(wrapped.predict(batch, verbose=0), sequential.predict(batch, verbose=0))

# %% [markdown]
# ## Pitfall: `seq.input` on a Sequential that was never called
#
# On a `Sequential`, `input` and `output` (singular) come from the model's *calls*: they exist
# once it has been called on a symbolic tensor (a `KerasTensor`: a placeholder that carries a
# shape and a dtype, but no values). A fresh `Sequential` has a graph (it has `inputs`), but it
# was never called, so `input` fails with an error that surprises many people:

# %% tags=["raises-exception"] raises="AttributeError: has never been called"
fresh = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(64, activation="relu")])
fresh.input

# %% [markdown]
# Use the plural `inputs` and `outputs`: every built model has them, called or not. (A
# `Sequential` created *without* `keras.Input` is not even built, and has no `inputs` until it
# sees data; start the list with `keras.Input`.)

# %%
print(fresh.inputs, fresh.outputs)
functional_again = keras.Model(fresh.inputs, fresh.outputs)
assert functional_again.layers[-1] is fresh.layers[-1]

# %% [markdown]
# The rule is about `Sequential` only. A Functional model is *defined* by its input and
# output tensors, so its singular `input` and `output` work from the start, never called:

# %%
print(functional_again.input, functional_again.output)
assert keras.tree.flatten(functional_again.input)[0] is functional_again.inputs[0]

# %% [markdown]
# ## Your turn
#
# Build the Functional version and check it:
# [Exercise 02: The same model, Functional](../exercises/02_functional_equivalent.ipynb).
