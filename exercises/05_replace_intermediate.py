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
# # Exercise 05: Wrap a trained layer in a residual connection
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/kfunc-lessons/kfunc-lessons/blob/main/exercises/05_replace_intermediate.ipynb)
#
# `kl.load_starter("replace_intermediate")` gives a *trained* Sequential model:
# `Input(10) -> Dense(64, relu, "hidden") -> Dense(64, relu, "middle") -> Dense(10, softmax, "classifier")`.
#
# Build a Functional model in which `middle` is wrapped in a residual connection,
# `out = classifier(add(h, middle(h)))` with `h = hidden(x)`, **keeping all trained weights**.
# Fresh, untrained layers fail this check.
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
trained = kl.load_starter("replace_intermediate")
trained.summary()

inputs = keras.Input(shape=(10,))
# TODO: reuse the trained layers: trained.get_layer("hidden"), "middle", "classifier"
model = ...  # TODO: keras.Model(inputs, outputs)

# %% [markdown]
# ## Check your model

# %%
kl.check("replace_intermediate", model)

# %% [markdown]
# Need help? Uncomment one line at a time.

# %%
# print(kl.hint("replace_intermediate", level=1))
# print(kl.hint("replace_intermediate", level=2))
# print(kl.solution("replace_intermediate"))
