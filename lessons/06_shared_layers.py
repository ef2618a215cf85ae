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
# # Lesson 06: Shared layers
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/kfunc-lessons/kfunc-lessons/blob/main/lessons/06_shared_layers.ipynb)
#
# **What you will learn**
#
# - apply ONE encoder to two inputs (a siamese pair), so both are encoded the same way;
# - see that the weights are one set: the parameter count and the variables prove it;
# - what goes wrong with two separate encoders.

# %%
# Colab only: install the course package. Locally, `make serve` / `make test` set everything up.
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q",
         "kfunc-lessons @ git+https://github.com/kfunc-lessons/kfunc-lessons"],
        check=True,
    )

# %%
import keras
import numpy as np
from keras import layers

import kfunc_lessons as kl

print(kl.environment_report())
keras.utils.set_random_seed(42)  # same weights, same data, same numbers on every run

# %% [markdown]
# ## One encoder, two inputs
#
# A siamese model compares two things by encoding both with the *same* function. In Keras
# that means one layer object, called twice.

# %%
left = keras.Input(shape=(10,), name="left")
right = keras.Input(shape=(10,), name="right")
encoder = layers.Dense(32, activation="relu", name="encoder")
merged = layers.concatenate([encoder(left), encoder(right)], name="pair")
similarity = layers.Dense(1, activation="sigmoid", name="same")(merged)
siamese = keras.Model([left, right], similarity, name="siamese")
siamese.summary()

# %%
keras.utils.plot_model(siamese, to_file="06_siamese.png", show_shapes=True)

# %% [markdown]
# ## One set of weights
#
# The encoder appears once among the model's layers, with 10×32 + 32 = 352 parameters,
# although it is used twice. Its variables are the model's variables:

# %%
print("encoder parameters:", encoder.count_params())
print("layers of the model:", [layer.name for layer in siamese.layers])
assert siamese.count_params() == encoder.count_params() + (64 * 1 + 1) == 417
assert siamese.get_layer("encoder").kernel is encoder.kernel

# %% [markdown]
# Because it is one function, the same sample gives the same encoding on either side:

# %%
sample = np.random.default_rng(6).standard_normal((4, 10)).astype("float32")
encode_pair = keras.Model([left, right], [encoder(left), encoder(right)])
enc_left, enc_right = encode_pair.predict([sample, sample], verbose=0)
print("largest difference between the two sides:", np.max(np.abs(enc_left - enc_right)))
assert np.array_equal(enc_left, enc_right)

# %% [markdown]
# ## The mistake: two encoders
#
# Creating the layer inside the loop, or writing `Dense(32)` twice, makes two layers with
# two sets of weights. The model still runs, but it has twice the encoder parameters, and
# the two sides no longer encode the same way: "is A like B?" can differ from "is B like A?".

# %%
two = keras.Model(
    [left, right],
    layers.Dense(1, activation="sigmoid")(layers.concatenate([
        layers.Dense(32, activation="relu")(left),
        layers.Dense(32, activation="relu")(right),
    ])),
)
print("parameters, shared:", siamese.count_params(), " separate:", two.count_params())
assert two.count_params() == siamese.count_params() + 352

# %% [markdown]
# The grader of the exercise tells these apart: two encoders fail with a message about
# sharing, even though the shapes match.

# %%
print(kl.check("shared_layers", two))

# %% [markdown]
# ## Your turn
#
# Build the shared-encoder model:
# [Exercise 06: One encoder, two inputs](../exercises/06_shared_layers.ipynb).
