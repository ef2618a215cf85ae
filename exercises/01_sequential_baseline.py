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
# # Exercise 01: A Sequential baseline
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/kfunc-lessons/kfunc-lessons/blob/main/exercises/01_sequential_baseline.ipynb)
#
# Build the model of [Lesson 01](../lessons/01_sequential.ipynb) as a `keras.Sequential`:
#
# | layer | output shape | activation |
# |---|---|---|
# | Input | (10,) | |
# | Dense | (64,) | relu |
# | Dense | (10,) | softmax |
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
model = ...  # TODO: keras.Sequential([...])

# %% [markdown]
# ## Check your model

# %%
kl.check("sequential_baseline", model)

# %% [markdown]
# Need help? Uncomment one line at a time.

# %%
# print(kl.hint("sequential_baseline", level=1))
# print(kl.hint("sequential_baseline", level=2))
# print(kl.solution("sequential_baseline"))
