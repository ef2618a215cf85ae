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
# # Exercise 03: A residual add with a projection shortcut
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/kfunc-lessons/kfunc-lessons/blob/main/exercises/03_residual_add.ipynb)
#
# The classic blog recipe `add([inputs, Dense(64)(inputs)])` fails on a 10-wide input
# (`Inputs have incompatible shapes. Received shapes (10,) and (64,)`). Build the version
# that works, with a linear projection shortcut:
#
# ```
# x (10,) ──> Dense(64, relu) ──> h (64,) ─┐
#    └──────> Dense(64) ───────> s (64,) ──┴─> add ──> Dense(10, softmax)
# ```
#
# If you hit the shape error, run `print(kl.hint("residual_add", error=sys.last_value))` in a
# new cell: Jupyter keeps the last error in `sys.last_value`, and the hint explains it.
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
# TODO: h = Dense(64, relu) of inputs; s = Dense(64) of inputs (no activation)
# TODO: add h and s, then Dense(10, softmax)
model = ...  # TODO: keras.Model(inputs, outputs)

# %% [markdown]
# ## Check your model

# %%
kl.check("residual_add", model)

# %% [markdown]
# Need help? Uncomment one line at a time.

# %%
# print(kl.hint("residual_add", level=1))
# print(kl.hint("residual_add", level=2))
# print(kl.hint("residual_add", error=sys.last_value))  # explains the last error you hit
# print(kl.solution("residual_add"))
