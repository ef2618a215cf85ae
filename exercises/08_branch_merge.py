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
# # Exercise 08: Branch and merge convolutions
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/kfunc-lessons/kfunc-lessons/blob/main/exercises/08_branch_merge.ipynb)
#
# One image input named `image`, shape (28, 28, 1), read by two parallel streams:
#
# ```
# image ─> Conv2D(8, 3, padding="same", relu) ─┐
#   └────> Conv2D(8, 5, padding="same", relu) ─┴─> concatenate (channels) ─> GlobalAveragePooling2D ─> Dense(10, softmax)
# ```
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
image = keras.Input(shape=(28, 28, 1), name="image")
# TODO: two Conv2D streams, concatenated on channels, pooled, then Dense(10, softmax)
model = ...  # TODO: keras.Model(image, outputs)

# %% [markdown]
# ## Check your model

# %%
kl.check("branch_merge", model)

# %% [markdown]
# Need help? Uncomment one line at a time.

# %%
# print(kl.hint("branch_merge", level=1))
# print(kl.hint("branch_merge", level=2))
# print(kl.solution("branch_merge"))
