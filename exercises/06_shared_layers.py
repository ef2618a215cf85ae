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
# # Exercise 06: One encoder, two inputs
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/kfunc-lessons/kfunc-lessons/blob/main/exercises/06_shared_layers.ipynb)
#
# Two inputs named `left` and `right`, shape (10,) each. ONE `Dense(32, relu)` encoder is
# applied to both (shared weights); concatenate `[encoded left, encoded right]`, in that order,
# then `Dense(1, sigmoid)`. Two separate encoders fail with a message about sharing.
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
left = keras.Input(shape=(10,), name="left")
right = keras.Input(shape=(10,), name="right")
# TODO: one encoder layer, applied to left and right; concatenate; Dense(1, sigmoid)
model = ...  # TODO: keras.Model([left, right], outputs)

# %% [markdown]
# ## Check your model

# %%
kl.check("shared_layers", model)

# %% [markdown]
# Need help? Uncomment one line at a time.

# %%
# print(kl.hint("shared_layers", level=1))
# print(kl.hint("shared_layers", level=2))
# print(kl.solution("shared_layers"))
