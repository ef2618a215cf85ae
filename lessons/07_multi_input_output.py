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
# # Lesson 07: Multiple inputs and outputs
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/kfunc-lessons/kfunc-lessons/blob/main/lessons/07_multi_input_output.ipynb)
#
# **What you will learn**
#
# - feed a time series through an `LSTM` and tabular features through a `Dense` branch;
# - merge the branches and grow two heads: a classifier and a regressor;
# - name inputs and outputs, and train with dicts of data, per-output losses and loss weights.

# %%
# Colab only: install the course package. Locally, `make serve` / `make test` set everything up.
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q",
         "kfunc-lessons @ git+https://github.com/kfunc-lessons/kfunc-lessons"],
        check=True,
    )

# %%
import keras
import numpy as np
from keras import layers

import kfunc_lessons as kl

print(kl.environment_report())
keras.utils.set_random_seed(42)  # same weights, same data, same numbers on every run

# %% [markdown]
# ## Two inputs, two branches
#
# Names matter here: Keras matches data, losses and metrics to inputs and outputs by name.

# %%
series = keras.Input(shape=(20, 3), name="series")
features = keras.Input(shape=(10,), name="features")

recurrent = layers.LSTM(16, name="lstm")(series)
dense = layers.Dense(16, activation="relu", name="tabular")(features)
merged = layers.concatenate([recurrent, dense], name="merge")
hidden = layers.Dense(32, activation="relu", name="shared_hidden")(merged)

# %% [markdown]
# ## Two heads
#
# A 3-class `label` (softmax) and a real-valued `value` (linear). A dict of outputs makes
# the model return a dict too.

# %%
label = layers.Dense(3, activation="softmax", name="label")(hidden)
value = layers.Dense(1, name="value")(hidden)
model = keras.Model(
    inputs={"series": series, "features": features},
    outputs={"label": label, "value": value},
    name="two_by_two",
)
model.summary()

# %%
keras.utils.plot_model(model, to_file="07_multi_io.png", show_shapes=True)

# %% [markdown]
# ## Synthetic data, as dicts
#
# The label depends on the series (which channel has the largest mean), the value on the
# features (a fixed linear function), so each head must use its own branch.

# %%
rng = np.random.default_rng(7)
n = 1200
x_series = rng.standard_normal((n, 20, 3)).astype("float32")
x_series += rng.normal(0, 0.5, (n, 1, 3)).astype("float32")  # a per-sample offset per channel
x_features = rng.standard_normal((n, 10)).astype("float32")
y_label = x_series.mean(axis=1).argmax(axis=1)
y_value = (x_features @ rng.standard_normal((10, 1))).astype("float32")

x = {"series": x_series, "features": x_features}
y = {"label": y_label, "value": y_value}
print({k: v.shape for k, v in x.items()}, {k: v.shape for k, v in y.items()})

# %% [markdown]
# ## One loss per output, weighted
#
# The classifier uses cross-entropy, the regressor mean squared error; `loss_weights` sets
# how much each counts in the total that training minimises.

# %%
model.compile(
    optimizer=keras.optimizers.Adam(0.01),
    loss={"label": "sparse_categorical_crossentropy", "value": "mse"},
    loss_weights={"label": 1.0, "value": 0.5},
    metrics={"label": ["accuracy"], "value": ["mae"]},
)
history = model.fit(x, y, epochs=6, batch_size=64, validation_split=0.2, verbose=0)
for key in ["loss", "label_accuracy", "value_mae"]:
    print(f"{key:15s} {history.history[key][0]:.3f} -> {history.history[key][-1]:.3f}")

# %%
assert history.history["loss"][-1] < history.history["loss"][0]
assert history.history["label_accuracy"][-1] > 0.5  # chance is 1/3

# %% [markdown]
# ## Predictions come back by name

# %%
predictions = model.predict({"series": x_series[:4], "features": x_features[:4]}, verbose=0)
print({name: array.shape for name, array in predictions.items()})
assert predictions["label"].shape == (4, 3) and predictions["value"].shape == (4, 1)

# %% [markdown]
# ## Your turn
#
# Build the two-input, two-output model with these names:
# [Exercise 07: Two inputs, two outputs](../exercises/07_multi_input_output.ipynb).
