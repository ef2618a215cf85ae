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
# # Exercise 09: A new head on a trained, frozen backbone
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/kfunc-lessons/kfunc-lessons/blob/main/exercises/09_new_head.ipynb)
#
# `kl.load_starter("new_head")` gives a digit classifier *trained* on scikit-learn's
# handwritten digits: `Input(8, 8, 1) -> Conv2D(8, 3, relu, "conv_1") ->
# Conv2D(16, 3, relu, "conv_2") -> GlobalAveragePooling2D("pool") -> Dense(10, softmax, "digit")`.
#
# A new task needs a new head: *is the digit 5 or more?* Build a Functional model on a new
# `keras.Input(shape=(8, 8, 1))` that
#
# - keeps the trained backbone (`conv_1`, `conv_2`, `pool`) with its trained weights, **frozen**;
# - drops the old 10-class `digit` head;
# - adds the new head: `Dropout(0.2) -> Dense(32, relu) -> Dense(2, softmax)`.
#
# Fresh, untrained convolutions fail this check, and so does a backbone left trainable.
#
# Build it in the cell marked **TODO**, then run the check cell. Stuck? Uncomment a
# `kl.hint(...)` line; `kl.solution(...)` shows the reference code (try first!).

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
from keras import layers

import kfunc_lessons as kl

print(kl.environment_report())

# %% tags=["exercise"]
trained = kl.load_starter("new_head")
trained.summary()

# TODO: a backbone from trained.inputs to the output of the "pool" layer, frozen
inputs = keras.Input(shape=(8, 8, 1))
# TODO: the new head on the backbone's features
model = ...  # TODO: keras.Model(inputs, outputs)

# %% [markdown]
# ## Check your model

# %%
kl.check("new_head", model)

# %% [markdown]
# Need help? Uncomment one line at a time.

# %%
# print(kl.hint("new_head", level=1))
# print(kl.hint("new_head", level=2))
# print(kl.solution("new_head"))
