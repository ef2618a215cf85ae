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
# # Lesson 04: Sequential blocks inside a Functional model
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/kfunc-lessons/kfunc-lessons/blob/main/lessons/04_sequential_blocks.ipynb)
#
# **What you will learn**
#
# - a `keras.Sequential` is a layer: call it on a tensor inside a Functional model;
# - `summary(expand_nested=True)` and `plot_model(expand_nested=True)` show inside the blocks;
# - one block called twice shares its weights; two blocks do not;
# - `get_layer` does not look inside nested models, and how to reach in;
# - saving and reloading a nested model as `.keras` keeps it exact.

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
# ## Blocks are layers
#
# Two small `Sequential` models, called one after the other like layers:

# %%
block1 = keras.Sequential(
    [layers.Dense(32, activation="relu", name="b1_dense_a"),
     layers.Dense(16, activation="relu", name="b1_dense_b")], name="block1")
block2 = keras.Sequential(
    [layers.Dense(64, activation="relu", name="b2_dense_a"),
     layers.Dense(32, activation="relu", name="b2_dense_b")], name="block2")

inputs = keras.Input(shape=(10,))
x = block1(inputs)
x = block2(x)
outputs = layers.Dense(10, activation="softmax", name="head")(x)
model = keras.Model(inputs, outputs, name="blocks")
model.summary()

# %% [markdown]
# The plain summary lists each block as one row. `expand_nested=True` opens them:

# %%
model.summary(expand_nested=True)

# %%
kl.plot_model(model, to_file="04_blocks.png", show_shapes=True, expand_nested=True,
                       show_layer_names=True)

# %% [markdown]
# ## One block, called twice: shared weights
#
# Calling the *same* block object twice reuses its layers, so both calls use one set of
# weights. Here a 16→16 block is applied twice in a row.

# %%
shared_block = keras.Sequential(
    [layers.Dense(16, activation="relu"), layers.Dense(16, activation="relu")], name="shared")
x_in = keras.Input(shape=(16,))
twice = keras.Model(x_in, shared_block(shared_block(x_in)), name="twice")
print("parameters, block called twice:", twice.count_params())
print("same variable objects:", all(a is b for a, b in zip(twice.weights, shared_block.weights)))
assert twice.count_params() == shared_block.count_params() == 2 * (16 * 16 + 16)

# %% [markdown]
# Two *instances* of the same design are two sets of weights: twice the parameters.

# %%
def make_block(name):
    return keras.Sequential(
        [layers.Dense(16, activation="relu"), layers.Dense(16, activation="relu")], name=name)


separate = keras.Model(x_in, make_block("first")(make_block("second")(x_in)), name="separate")
print("parameters, two instances:", separate.count_params())
assert separate.count_params() == 2 * twice.count_params()

# %% [markdown]
# ## Reaching inside a block
#
# `model.get_layer` only looks at the model's own layers. A layer inside a block is not one
# of them:

# %% tags=["raises-exception"] raises="ValueError: No such layer: b1_dense_a"
model.get_layer("b1_dense_a")

# %% [markdown]
# Ask the block instead: first get the block, then the layer inside it.

# %%
inner = model.get_layer("block1").get_layer("b1_dense_a")
print(inner.name, inner.kernel.shape)
assert inner is block1.layers[0]

# %% [markdown]
# ## Save and reload, nested blocks included
#
# The `.keras` format stores the whole nested structure and its weights.

# %%
import tempfile
from pathlib import Path

path = Path(tempfile.mkdtemp()) / "blocks.keras"
model.save(path)
reloaded = keras.models.load_model(path)
batch = np.random.default_rng(4).standard_normal((8, 10)).astype("float32")
diff = np.max(np.abs(model.predict(batch, verbose=0) - reloaded.predict(batch, verbose=0)))
print("reloaded block names:", [layer.name for layer in reloaded.layers])
print("largest difference after reload:", diff)
assert diff == 0.0

# %% [markdown]
# ## Every model is a layer
#
# Blocks need not be `Sequential`. Any Keras model, Functional ones included, can be called
# on a tensor like a layer. A classic pair: an encoder and a decoder built as two Functional
# models, then chained into an autoencoder. The autoencoder reuses the very same layers.

# %%
code_in = keras.Input(shape=(10,), name="code_in")
encoder = keras.Model(code_in, layers.Dense(3, activation="relu", name="squeeze")(code_in),
                      name="encoder")
latent_in = keras.Input(shape=(3,), name="latent_in")
decoder = keras.Model(latent_in, layers.Dense(10, name="expand")(latent_in), name="decoder")

sample_in = keras.Input(shape=(10,), name="sample")
autoencoder = keras.Model(sample_in, decoder(encoder(sample_in)), name="autoencoder")
print([layer.name for layer in autoencoder.layers])
assert autoencoder.get_layer("encoder") is encoder
assert autoencoder.count_params() == encoder.count_params() + decoder.count_params()

# %% [markdown]
# Calling several models on the same input and averaging their outputs is an *ensemble*.
# `layers.average` is the merge for it: three small classifiers, one prediction.

# %%
def classifier(name):
    x = keras.Input(shape=(10,))
    return keras.Model(x, layers.Dense(10, activation="softmax")(x), name=name)


members = [classifier(f"member_{i}") for i in range(3)]
ensemble_in = keras.Input(shape=(10,))
ensemble = keras.Model(ensemble_in, layers.average([m(ensemble_in) for m in members]),
                       name="ensemble")
together = ensemble.predict(batch, verbose=0)
one_by_one = np.mean([m.predict(batch, verbose=0) for m in members], axis=0)
print("largest difference from averaging by hand:", np.max(np.abs(together - one_by_one)))
assert np.allclose(together, one_by_one, atol=1e-6)

# %% [markdown]
# ## Your turn
#
# Build the two-block model and check it:
# [Exercise 04: Reusable Sequential blocks](../exercises/04_sequential_blocks.ipynb).
