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
# # Lesson 09: Surgery on a pretrained network
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/kfunc-lessons/kfunc-lessons/blob/main/lessons/09_pretrained_surgery.ipynb)
#
# The title question is most often asked about a *pretrained* network: how do you give
# MobileNet a new head, or change a layer deep inside it, and keep the ImageNet weights?
#
# **What you will learn**
#
# - load a `keras.applications` network and classify a real photograph with its own
#   `preprocess_input`;
# - replace the 1000-class head, insert layers before it, swap an activation throughout the
#   backbone and wrap one block in a residual add, and prove each time which weights are the
#   pretrained ones (bit for bit) and which are new;
# - what `trainable = False` does, BatchNormalization included, and the fine-tuning trap;
# - fine-tune a new head on real handwritten digits with the backbone frozen, and prove that
#   the backbone did not move.

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
         "kfunc-lessons @ git+https://github.com/kfunc-lessons/kfunc-lessons"],
        check=True,
    )
    with open("/tmp/kfunc-lessons-install.json") as report:
        added = [p["metadata"] for p in json.load(report)["install"]]
    print("installed:", ", ".join(f"{p['name']} {p['version']}" for p in added) or "nothing")

# %%
import os
import time

import keras
import numpy as np
from keras import layers

import kfunc_lessons as kl
from kfunc_lessons import surgery

print(kl.environment_report())
keras.utils.set_random_seed(9)

# %% [markdown]
# ## A pretrained network
#
# `MobileNetV2` is small and fast; `alpha=0.35` makes it smaller still. Its ImageNet weights
# are downloaded on first use. This notebook asks for them in Colab (or anywhere you set
# `KFUNC_PRETRAINED=1`); elsewhere, and whenever the download fails, it builds the same
# network without them. Every check below holds either way: only the predictions differ.

# %%
SIZE = 96


def mobilenet(weights):
    return keras.applications.MobileNetV2(input_shape=(SIZE, SIZE, 3), alpha=0.35,
                                          weights=weights)


pretrained = False
if "google.colab" in sys.modules or os.environ.get("KFUNC_PRETRAINED") == "1":
    try:
        net, pretrained = mobilenet("imagenet"), True
    except Exception as exc:  # offline, or the download was refused
        print(f"The ImageNet weights could not be downloaded ({type(exc).__name__}).")
if not pretrained:
    net = mobilenet(None)
    print("Note: MobileNetV2 WITHOUT its ImageNet weights (random ones). Every assert still "
          "holds; the predictions below mean nothing.")
print(f"{net.name}: {len(net.layers)} layers, {net.count_params():,} parameters")
assert net.output_shape == (None, 1000)

# %% [markdown]
# ## A real photograph
#
# scikit-image ships a few photographs; `chelsea()` is a cat. The network expects its own
# preprocessing: `preprocess_input` maps pixel values from [0, 255] to [-1, 1].

# %%
from skimage import data as photographs
from skimage.transform import resize

cat = photographs.chelsea()
small = resize(cat, (SIZE, SIZE), anti_aliasing=True, preserve_range=True).astype("float32")
batch = keras.applications.mobilenet_v2.preprocess_input(small[None])
print("photo", cat.shape, "->", batch.shape, f"values in [{batch.min():.2f}, {batch.max():.2f}]")
assert batch.shape == (1, SIZE, SIZE, 3) and batch.min() >= -1.0 and batch.max() <= 1.0

# %%
scores = net.predict(batch, verbose=0)
if pretrained:
    for _, label, p in keras.applications.mobilenet_v2.decode_predictions(scores, top=3)[0]:
        print(f"{label:24s} {p:.3f}")
else:
    print("top-3 class indices:", np.argsort(scores[0])[::-1][:3].tolist(), "(random weights)")
assert scores.shape == (1, 1000) and np.isclose(scores.sum(), 1.0, atol=1e-4)

# %% [markdown]
# ## Replace the 1000-class head
#
# The features end at the layer `out_relu`; after it come the pooling and the 1000-class
# `predictions` layer. A model from `net.inputs` to `out_relu`'s output *is* the backbone:
# the same layer objects, so the same weights. Put a new head on it.

# %%
pretrained_weights = {w.path: w.numpy().copy() for w in net.weights}
backbone = keras.Model(net.inputs, net.get_layer("out_relu").output, name="backbone")
inputs = keras.Input((SIZE, SIZE, 3))
features = layers.GlobalAveragePooling2D(name="pool")(backbone(inputs))
outputs = layers.Dense(10, activation="softmax", name="digits")(features)
new_model = keras.Model(inputs, outputs, name="mobilenet_digits")


def kept_and_new(model):
    """Weights identical to the pretrained ones, and paths of the weights that are new."""
    kept = {w.path for w in model.weights if w.path in pretrained_weights
            and np.array_equal(w.numpy(), pretrained_weights[w.path])}
    return kept, sorted(w.path for w in model.weights if w.path not in kept)


kept, new = kept_and_new(new_model)
print(len(kept), "pretrained arrays kept bit for bit; new:", new)
assert len(kept) == len(backbone.weights) and new == ["digits/bias", "digits/kernel"]

# %% [markdown]
# ## Insert Dropout and a Dense layer before the head
#
# `kfunc_lessons.surgery.insert_after` (lesson 05) works inside the nested backbone model too.
# The new Dense changes the width the head reads, so the head must be re-initialised:
# `on_shape_change="reinitialize"` says so explicitly.

# %%
deeper = surgery.insert_after(new_model, "pool", layers.Dropout(0.2, name="drop"))
deeper = surgery.insert_after(deeper, "drop", layers.Dense(64, activation="relu",
                                                           name="adapter"),
                              on_shape_change="reinitialize")
kept, new = kept_and_new(deeper)
print(len(kept), "pretrained arrays kept; new:", new)
assert len(kept) == len(backbone.weights)
assert new == ["adapter/bias", "adapter/kernel", "digits/bias", "digits/kernel"]

# %% [markdown]
# ## Swap an activation throughout the backbone
#
# MobileNetV2 caps its ReLUs at 6 (`ReLU(max_value=6)`). To use plain ReLUs instead, clone
# the network with a `clone_function` that returns a new `ReLU` for each ReLU layer and *the
# layer itself* for every other layer: reused layers keep their weights, bit for bit.

# %%
def plain_relu(layer):
    if isinstance(layer, layers.ReLU):
        return layers.ReLU(name=layer.name)
    return layer


swapped = keras.models.clone_model(net, clone_function=plain_relu)
relus = [layer for layer in swapped.layers if isinstance(layer, layers.ReLU)]
kept, new = kept_and_new(swapped)
difference = np.max(np.abs(swapped.predict(batch, verbose=0) - scores))
print(f"{len(relus)} ReLU layers swapped; {len(kept)} pretrained arrays kept; new: {new}; "
      f"largest change in the output: {difference:.2g}")
assert relus and all(layer.max_value is None for layer in relus)
assert len(kept) == len(net.weights) and new == []

# %% [markdown]
# ## Wrap one block in a residual add
#
# `block_16_depthwise` keeps its input's shape, so it can become `x + layer(x)`. The add has no
# weights: every array is still the pretrained one, and the graph has one more layer.

# %%
wrapped = surgery.wrap_layer(net, "block_16_depthwise",
                             lambda layer, x: layers.add([x, layer(x)], name="skip"))
kept, new = kept_and_new(wrapped)
print(len(wrapped.layers), "layers (was", len(net.layers), "); new weights:", new)
assert len(wrapped.layers) == len(net.layers) + 1 and new == []
assert isinstance(wrapped.get_layer("skip"), layers.Add)

# %% [markdown]
# ## Freezing the backbone
#
# `backbone.trainable = False` freezes every layer inside it: no trainable weights are left,
# so `fit()` cannot change them. In Keras 3 a frozen `BatchNormalization` layer also runs in
# *inference mode*, even when called with `training=True`: it uses its stored statistics and
# does not update them.

# %%
backbone.trainable = False
bn = backbone.get_layer("bn_Conv1")
mean_before = bn.moving_mean.numpy().copy()
backbone(batch, training=True)
print("trainable weights:", len(backbone.trainable_weights),
      "| frozen:", len(backbone.non_trainable_weights),
      "| bn_Conv1 moving mean changed:", not np.array_equal(bn.moving_mean.numpy(), mean_before))
assert backbone.trainable_weights == [] and np.array_equal(bn.moving_mean.numpy(), mean_before)

# %% [markdown]
# The classic fine-tuning trap: unfreeze the whole network and train it together with a new,
# random head at a learning rate meant for the head. One single step on one batch moves the
# pretrained weights and the BatchNormalization statistics, and every later step moves them
# further from what ImageNet taught them. (The weights are put back afterwards.)

# %%
digit_batch = np.random.default_rng(0).uniform(-1, 1, (16, SIZE, SIZE, 3)).astype("float32")
labels = np.arange(16) % 10
backbone.trainable = True
new_model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
saved = [w.numpy().copy() for w in backbone.weights]
new_model.train_on_batch(digit_batch, labels)
moved = max(float(np.max(np.abs(w.numpy() - s))) for w, s in zip(backbone.weights, saved))
mean_shift = float(np.max(np.abs(bn.moving_mean.numpy() - mean_before)))
print(f"one unfrozen step: pretrained weights moved by up to {moved:.3g}; "
      f"bn_Conv1 moving mean by {mean_shift:.3g}")
assert moved > 0 and mean_shift > 0
for w, s in zip(backbone.weights, saved):
    w.assign(s)
backbone.trainable = False

# %% [markdown]
# ## Fine-tune a new head on real digits
#
# scikit-learn ships 1797 handwritten digits, 8×8 grey images with values 0 to 16. A small
# input adapter inside the model turns them into what the backbone expects: three colour
# channels, `SIZE`×`SIZE` pixels, values in [-1, 1] (`Rescaling` does what `preprocess_input`
# does). Then the frozen backbone and a new head, trained alone.

# %%
from sklearn.datasets import load_digits

digits = load_digits()
x_digits = (digits.images[..., None] * (255 / 16)).astype("float32")
y_digits = digits.target
print(x_digits.shape, "images, labels", np.bincount(y_digits).tolist())

image = keras.Input((8, 8, 1), name="digit_image")
rgb = layers.Concatenate()([image, image, image])
scaled = layers.Rescaling(1 / 127.5, offset=-1.0)(layers.Resizing(SIZE, SIZE)(rgb))
head_input = layers.GlobalAveragePooling2D()(backbone(scaled))
digit = layers.Dense(10, activation="softmax", name="digit")(layers.Dropout(0.2)(head_input))
classifier = keras.Model(image, digit, name="digit_classifier")
probe = np.full((1, 4, 4, 3), 200.0, dtype="float32")
assert np.allclose(layers.Rescaling(1 / 127.5, offset=-1.0)(probe),
                   keras.applications.mobilenet_v2.preprocess_input(probe.copy()), atol=1e-6)

# %% [markdown]
# The diagram shows the whole classifier: the input adapter, the backbone as one nested
# model (one box), and the new head.

# %%
keras.utils.plot_model(classifier, to_file="09_classifier.png", show_shapes=True,
                       show_layer_names=True)

# %%
backbone_before = [w.numpy().copy() for w in backbone.weights]
head = classifier.get_layer("digit")
head_before = [w.numpy().copy() for w in head.weights]
classifier.compile(optimizer=keras.optimizers.Adam(1e-3),
                   loss="sparse_categorical_crossentropy", metrics=["accuracy"])
EPOCHS = 3
start = time.perf_counter()
history = classifier.fit(x_digits[:1400], y_digits[:1400], epochs=EPOCHS, batch_size=64,
                         validation_data=(x_digits[1400:], y_digits[1400:]), verbose=0)
per_epoch = (time.perf_counter() - start) / EPOCHS
print(f"{per_epoch:.1f} s per epoch;", kl.environment_report().splitlines()[-1])
print("validation accuracy per epoch:",
      [round(a, 3) for a in history.history["val_accuracy"]])

# %%
backbone_moved = any(not np.array_equal(w.numpy(), b)
                     for w, b in zip(backbone.weights, backbone_before))
head_moved = all(not np.array_equal(w.numpy(), b) for w, b in zip(head.weights, head_before))
print("backbone changed:", backbone_moved, "| head changed:", head_moved)
assert not backbone_moved and head_moved

# %% [markdown]
# Only the head learned: the backbone's weights and its BatchNormalization statistics are the
# ones it started with, bit for bit.
#
# How well the head can do depends on what the frozen backbone gives it. With the ImageNet
# weights (in Colab) its features differ from digit to digit and the head has something to
# learn from. With random weights (an offline run, and this site, which is built offline) the
# signal fades through 150 untrained layers: the features are almost the same for every
# digit, and the accuracy stays near chance (10%). That is what pretraining buys, so no
# accuracy is asserted here. The spread of the features shows which case this run is:

# %%
feature_model = keras.Model(image, head_input)
spread = float(feature_model.predict(x_digits[:200], verbose=0).std(axis=0).mean())
print(f"features of 200 digits: mean spread {spread:.3g} "
      f"({'ImageNet' if pretrained else 'random'} weights)")

# %% [markdown]
#
# What a Colab GPU changes: most of each epoch here is the frozen backbone's forward pass,
# convolutions that a GPU runs in parallel. Run this notebook in Colab and compare its time
# per epoch and the device in its environment report with the ones printed above. A faster
# epoch is what makes the usual second round affordable: unfreeze the top few blocks and
# train again with a learning rate 10 to 100 times smaller.
#
# ## Your turn
#
# Give a trained digit network a new head:
# [Exercise 09: A new head on a trained, frozen backbone](../exercises/09_new_head.ipynb).
