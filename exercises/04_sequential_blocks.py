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
# # Exercise 04: Reusable Sequential blocks
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/kfunc-lessons/kfunc-lessons/blob/main/exercises/04_sequential_blocks.ipynb)
#
# Build the model from two nested `keras.Sequential` blocks, each called like a layer:
#
# | part | layers |
# |---|---|
# | input | (10,) |
# | `block1` | Dense(32, relu), Dense(16, relu) |
# | `block2` | Dense(64, relu), Dense(32, relu) |
# | head | Dense(10, softmax) |
#
# A flat model computes the same thing but misses the point: the check asks for the blocks.
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
# TODO: block1 = keras.Sequential([...]); block2 = keras.Sequential([...])
inputs = keras.Input(shape=(10,))
# TODO: call block1 on inputs, block2 on the result, then the Dense(10, softmax) head
model = ...  # TODO: keras.Model(inputs, outputs)

# %% [markdown]
# ## Check your model

# %%
kl.check("sequential_blocks", model)

# %% [markdown]
# Need help? Uncomment one line at a time.

# %%
# print(kl.hint("sequential_blocks", level=1))
# print(kl.hint("sequential_blocks", level=2))
# print(kl.solution("sequential_blocks"))
