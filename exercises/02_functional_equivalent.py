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
# # Exercise 02: The same model, Functional
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/kfunc-lessons/kfunc-lessons/blob/main/exercises/02_functional_equivalent.ipynb)
#
# Build the same model as Exercise 01, `Input(10) -> Dense(64, relu) -> Dense(10, softmax)`,
# with the Functional API: `keras.Input`, layers called on tensors, `keras.Model(inputs, outputs)`.
# A `keras.Sequential` is not accepted here.
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
inputs = keras.Input(shape=(10,))
# TODO: call a Dense(64, relu) layer on `inputs`, then a Dense(10, softmax) on the result.
model = ...  # TODO: keras.Model(inputs, outputs)

# %% [markdown]
# ## Check your model

# %%
kl.check("functional_equivalent", model)

# %% [markdown]
# Need help? Uncomment one line at a time.

# %%
# print(kl.hint("functional_equivalent", level=1))
# print(kl.hint("functional_equivalent", level=2))
# print(kl.solution("functional_equivalent"))
