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
hidden = layers.Dense(32, activation="relu", name="trunk")(merged)  # common to both heads

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
kl.plot_model(model, to_file="07_multi_io.png", show_shapes=True,
                       show_layer_names=True)

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
# ## Which name counts: the dict key
#
# With dict outputs, losses, metrics and data are matched by the dict's *keys*, not by the
# output layers' names. Here the key `cls` differs from the layer name `label`: a loss keyed
# by the layer name is refused, the key works.

# %%
tiny_in = keras.Input(shape=(4,), name="x")
keyed = keras.Model(tiny_in, {"cls": layers.Dense(2, name="label")(tiny_in)})
x_tiny, y_tiny = np.zeros((8, 4), "float32"), {"cls": np.zeros((8, 2), "float32")}
try:
    keyed.compile(optimizer="adam", loss={"label": "mse"})
    keyed.fit(x_tiny, y_tiny, epochs=1, verbose=0)
    refused = False
except (KeyError, ValueError) as exc:
    print(f"loss keyed by the layer name: {type(exc).__name__}: {str(exc)[:100]}")
    refused = True
assert refused
keyed.compile(optimizer="adam", loss={"cls": "mse"})
keyed.fit(x_tiny, y_tiny, epochs=1, verbose=0)
print("loss keyed by the dict key: trains")

# %% [markdown]
# Give the key and the layer the same name, as this lesson does, and the question never
# comes up.
#
# ## Saving and reloading
#
# A multi-input, multi-output model saves to one `.keras` file (architecture, weights,
# names) and reloads as the same computation:

# %%
import tempfile
from pathlib import Path

folder = Path(tempfile.mkdtemp())
model.save(folder / "two_by_two.keras")
reloaded = keras.models.load_model(folder / "two_by_two.keras")
again = reloaded.predict({"series": x_series[:4], "features": x_features[:4]}, verbose=0)
assert all(np.array_equal(again[k], predictions[k]) for k in predictions)
print("reloaded: same outputs, names", sorted(again))

# %% [markdown]
# Built-in layers need nothing more. Two kinds of layer need care, because their code is
# not in the file's configuration:
#
# - a `Lambda` stores Python bytecode, which could run anything, so `load_model` refuses it
#   unless you pass `safe_mode=False` for a file you trust;
# - a layer class of your own must be registered with
#   `@keras.saving.register_keras_serializable()` (and give a `get_config()` if its
#   `__init__` takes arguments), so that `load_model` can find the class.

# %%
doubled = keras.Model(tiny_in, layers.Lambda(lambda t: t * 2.0, name="double")(tiny_in))
doubled.save(folder / "lambda.keras")
try:
    keras.models.load_model(folder / "lambda.keras")
    refused = False
except ValueError as exc:
    print("default load:", str(exc).splitlines()[0][:90])
    refused = True
assert refused
trusted = keras.models.load_model(folder / "lambda.keras", safe_mode=False)
assert np.array_equal(trusted.predict(np.ones((1, 4)), verbose=0), 2.0 * np.ones((1, 4)))


@keras.saving.register_keras_serializable(package="lesson07")
class Scale(layers.Layer):
    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


scaled = keras.Model(tiny_in, Scale(3.0, name="scale")(tiny_in))
scaled.save(folder / "custom.keras")
restored = keras.models.load_model(folder / "custom.keras")
assert restored.get_layer("scale").factor == 3.0
print("custom layer restored with factor", restored.get_layer("scale").factor)

# %% [markdown]
# ## Your turn
#
# Build the two-input, two-output model with these names:
# [Exercise 07: Two inputs, two outputs](../exercises/07_multi_input_output.ipynb).
