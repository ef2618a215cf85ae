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
# # Exercise 07: Two inputs, two outputs
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/kfunc-lessons/kfunc-lessons/blob/main/exercises/07_multi_input_output.ipynb)
#
# | name | kind | shape | path |
# |---|---|---|---|
# | `series` | input | (20, 3) | LSTM(16) |
# | `features` | input | (10,) | Dense(16, relu) |
# | | merge | | concatenate [lstm, dense] -> Dense(32, relu) |
# | `label` | output | (3,) | Dense(3, softmax) |
# | `value` | output | (1,) | Dense(1), linear |
#
# Inputs and outputs are matched by these names, never by position.
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
series = keras.Input(shape=(20, 3), name="series")
features = keras.Input(shape=(10,), name="features")
# TODO: the two branches, the merge, the common trunk Dense(32, relu), and the two named heads
model = ...  # TODO: keras.Model([series, features], [label, value])

# %% [markdown]
# ## Check your model

# %%
kl.check("multi_input_output", model)

# %% [markdown]
# Need help? Uncomment one line at a time.

# %%
# print(kl.hint("multi_input_output", level=1))
# print(kl.hint("multi_input_output", level=2))
# print(kl.solution("multi_input_output"))
