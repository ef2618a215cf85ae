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
kl.plot_model(siamese, to_file="06_siamese.png", show_shapes=True,
                       show_layer_names=True)

# %% [markdown]
# `plot_model` draws each *layer* once, so the shared `encoder` is one box with both inputs
# feeding it; its two calls are the two arrows into it, and it sends one arrow to `pair`
# that carries both encodings.

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
# ## Shared is not symmetric
#
# Sharing the encoder makes both sides *encode* alike. It does not make the model answer
# "is A like B?" the same as "is B like A?": the concatenation keeps the order, and the
# `Dense(1)` head weighs the left half and the right half with different weights.

# %%
a, b = sample[:1], sample[1:2]
forwards = float(siamese.predict([a, b], verbose=0)[0, 0])
backwards = float(siamese.predict([b, a], verbose=0)[0, 0])
print(f"f(a, b) = {forwards:.3f}, f(b, a) = {backwards:.3f}")
assert abs(forwards - backwards) > 1e-3

# %% [markdown]
# A symmetric head combines the two encodings with an order-free operation, such as the
# absolute difference `|e1 - e2|` (or a product, or a cosine similarity):

# %%
distance = layers.Lambda(lambda pair: keras.ops.abs(pair[0] - pair[1]), name="distance")
symmetric_out = layers.Dense(1, activation="sigmoid", name="same_sym")(
    distance([encoder(left), encoder(right)]))
symmetric = keras.Model([left, right], symmetric_out, name="symmetric_siamese")
forwards = symmetric.predict([a, b], verbose=0)
backwards = symmetric.predict([b, a], verbose=0)
print(f"f(a, b) = {forwards[0, 0]:.3f}, f(b, a) = {backwards[0, 0]:.3f}")
assert np.allclose(forwards, backwards)

# %% [markdown]
# ## The mistake: two encoders
#
# Creating the layer inside the loop, or writing `Dense(32)` twice, makes two layers with
# two sets of weights. The model still runs, but it has twice the encoder parameters, and
# the two sides no longer encode the same way: the same sample gets two different encodings.

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
