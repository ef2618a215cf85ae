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
# # Lesson 08: Branching and merging
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/kfunc-lessons/kfunc-lessons/blob/main/lessons/08_branch_merge.ipynb)
#
# **What you will learn**
#
# - read one image with two parallel convolution streams of different kernel sizes;
# - concatenate them on the channel axis (an Inception-style block) and pool;
# - follow the shapes through the branches, and see the block in a diagram.

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
# ## Two streams over one input
#
# A 3×3 and a 5×5 convolution look at neighbourhoods of different sizes. With
# `padding="same"` both keep the 28×28 grid, so their outputs can be stacked.

# %%
image = keras.Input(shape=(28, 28, 1), name="image")
small = layers.Conv2D(8, 3, padding="same", activation="relu", name="conv3x3")(image)
large = layers.Conv2D(8, 5, padding="same", activation="relu", name="conv5x5")(image)
print("3x3 stream:", small.shape, " 5x5 stream:", large.shape)

# %% [markdown]
# ## Merge on channels
#
# Channels are the last axis (`channels_last`), so concatenating stacks 8 + 8 = 16 feature
# maps. Then `GlobalAveragePooling2D` averages each map to one number.

# %%
merged = layers.concatenate([small, large], name="stack")
pooled = layers.GlobalAveragePooling2D(name="pool")(merged)
outputs = layers.Dense(10, activation="softmax", name="classes")(pooled)
model = keras.Model(image, outputs, name="two_streams")
print("merged:", merged.shape, " pooled:", pooled.shape)
assert tuple(merged.shape) == (None, 28, 28, 16) and tuple(pooled.shape) == (None, 16)

# %%
model.summary()

# %%
kl.plot_model(model, to_file="08_branches.png", show_shapes=True,
                       show_layer_names=True, show_layer_activations=True)

# %% [markdown]
# ## Why the padding matters
#
# Without `padding="same"` each convolution trims its border by a different amount (2 and
# 4 pixels), and the two grids no longer line up:

# %% tags=["raises-exception"] raises="ValueError: requires inputs with matching shapes"
a = layers.Conv2D(8, 3)(image)
b = layers.Conv2D(8, 5)(image)
print(a.shape, b.shape)
layers.concatenate([a, b])

# %% [markdown]
# ## It trains
#
# `GlobalAveragePooling2D` keeps *what* each feature map found and throws away *where*, so
# the synthetic task is about what: each of 10 classes is a brightness level, hidden in
# noise. Three epochs on a CPU leave chance (0.1) far behind.

# %%
rng = np.random.default_rng(8)
n = 1500
y_train = rng.integers(0, 10, n)
x_train = rng.normal(0, 1.0, (n, 28, 28, 1)).astype("float32")
x_train += (y_train / 5.0).astype("float32")[:, None, None, None]
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
history = model.fit(x_train, y_train, epochs=3, batch_size=64, verbose=0)
print("accuracy per epoch:", [round(a, 3) for a in history.history["accuracy"]])
assert history.history["accuracy"][-1] > 0.3

# %% [markdown]
# ## Your turn
#
# Build the two-stream block:
# [Exercise 08: Branch and merge convolutions](../exercises/08_branch_merge.ipynb).
