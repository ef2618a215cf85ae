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
# - what `trainable = False` does, BatchNormalization included, and when `fit()` honours it;
# - fine-tune a new head on real handwritten digits with the backbone frozen, and prove that
#   the backbone did not move;
# - why a head on a *random* backbone stays at chance (scale, not missing information);
# - fine-tune the top blocks without the BatchNormalization trap.

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
          "holds; the predictions below mean nothing, and each number says why.")
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
    spread = float(scores.max() - scores.min())
    why = ("all 1000 scores are 1/1000, so these are the last indices of a tie" if spread == 0
           else f"the 1000 scores differ by at most {spread:.2g}, so the ranking is noise")
    print("top-3 class indices:", np.argsort(scores[0])[::-1][:3].tolist(),
          f"(random weights: {why}, not a prediction)")
assert scores.shape == (1, 1000) and np.isclose(scores.sum(), 1.0, atol=1e-4)

# %% [markdown]
# ## Replace the 1000-class head
#
# The features end at the layer `out_relu`; after it come the pooling and the 1000-class
# `predictions` layer. A model from `net.input` to `out_relu`'s output *is* the backbone:
# the same layer objects, so the same weights. Put a new head on it.

# %%
pretrained_weights = {w.path: w.numpy().copy() for w in net.weights}
backbone = keras.Model(net.input, net.get_layer("out_relu").output, name="backbone")
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
# `kfunc_lessons.surgery.insert_after` (lesson 05) puts a layer after a named one. The new
# Dense changes the width the head reads, so the head must be re-initialised:
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
# The name may also be a layer *inside* the nested backbone: the backbone is rebuilt with the
# new layer between `block_16_project_BN` and the `Conv_1` that read it, and every pretrained
# array is still there.

# %%
inner = surgery.insert_after(new_model, "block_16_project_BN",
                             layers.Dropout(0.1, name="inner_drop"))
inner_backbone = inner.get_layer("backbone")
inner_drop = inner_backbone.get_layer("inner_drop")
kept, new = kept_and_new(inner)
assert inner_drop.input is inner_backbone.get_layer("block_16_project_BN").output
assert inner_backbone.get_layer("Conv_1").input is inner_drop.output
assert len(kept) == len(backbone.weights) and new == ["digits/bias", "digits/kernel"]
print("inside the backbone now: block_16_project_BN -> inner_drop -> Conv_1 |",
      f"{len(kept)} pretrained arrays kept; new: {new}")

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
if not pretrained:
    print("(random weights: no activation ever reaches 6, so removing the cap changes nothing)")
    assert difference == 0
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
print(f"{len(wrapped.layers)} layers (was {len(net.layers)}); new weights: {new}")
assert len(wrapped.layers) == len(net.layers) + 1 and new == []
assert isinstance(wrapped.get_layer("skip"), layers.Add)

# %% [markdown]
# ## Freezing the backbone
#
# `backbone.trainable = False` freezes every layer inside it: no trainable weights are left,
# so `fit()` cannot change them, provided no `fit()` has run since the last `compile()` (the
# first `fit()` after a `compile()` fixes which weights it trains; the last section shows
# what happens otherwise). In Keras 3 a frozen `BatchNormalization` layer also
# runs in *inference mode*, even when called with `training=True`: it uses its stored
# statistics and does not update them.

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
# ## Fine-tune a new head on real digits
#
# scikit-learn ships 1797 handwritten digits, 8×8 grey images with values 0 to 16. A small
# input adapter inside the model turns them into what the backbone expects: three colour
# channels, `SIZE`×`SIZE` pixels, values in [-1, 1] (`Rescaling` does what `preprocess_input`
# does). Then the frozen backbone and a new head, trained alone. The backbone is called with
# `training=False`, as the keras.io transfer-learning guide does; the last section shows why
# that alone does not protect BatchNormalization once the backbone is unfrozen.

# %%
from sklearn.datasets import load_digits

digits = load_digits()
x_digits = (digits.images[..., None] * (255 / 16)).astype("float32")
y_digits = digits.target
print(x_digits.shape, "images; images per digit:", np.bincount(y_digits).tolist())

image = keras.Input((8, 8, 1), name="digit_image")
rgb = layers.Concatenate()([image, image, image])
scaled = layers.Rescaling(1 / 127.5, offset=-1.0)(layers.Resizing(SIZE, SIZE)(rgb))
head_input = layers.GlobalAveragePooling2D()(backbone(scaled, training=False))
digit = layers.Dense(10, activation="softmax", name="digit")(layers.Dropout(0.2)(head_input))
classifier = keras.Model(image, digit, name="digit_classifier")
probe = np.full((1, 4, 4, 3), 200.0, dtype="float32")
assert np.allclose(layers.Rescaling(1 / 127.5, offset=-1.0)(probe),
                   keras.applications.mobilenet_v2.preprocess_input(probe.copy()), atol=1e-6)

# %% [markdown]
# The diagram shows the whole classifier: the input adapter, the backbone as one nested
# model (one box), and the new head.

# %%
kl.plot_model(classifier, to_file="09_classifier.png", show_shapes=True,
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
# ## Why the head stays at chance on a random backbone
#
# With the ImageNet weights the head learns. With random weights (an offline run, such as
# this notebook's tests) the validation accuracy stays near chance, 10%. The features are
# not empty: they still differ from digit to digit. They are *tiny*. Every untrained block
# shrinks what it receives, and after 150 layers the numbers are far too small for a freshly
# initialised `Dense` layer to turn into different scores. The mean and the spread at a few
# depths show it:

# %%
depths = ["Conv1_relu", "block_6_expand_relu", "block_13_expand_relu", "out_relu"]
probe_model = keras.Model(backbone.input, [backbone.get_layer(n).output for n in depths])
adapter = keras.Model(image, scaled)
activations = [keras.ops.convert_to_numpy(a) for a in probe_model(adapter(x_digits[:200]))]
for name, values in zip(depths, activations):
    print(f"{name:22s} mean {values.mean():9.3g}   spread (std) {values.std():9.3g}")
first, last = activations[0].std(), activations[-1].std()
print(f"the spread shrinks {first / last:.3g}-fold ({'ImageNet' if pretrained else 'random'} "
      "weights)")
assert pretrained or last < first / 1e3

# %% [markdown]
# One way out is to put the scale back: a `Normalization` layer at the start of the head,
# adapted to the training features, gives the `Dense` layer inputs with mean 0 and spread 1.
# The backbone's features are computed once; two small heads are trained on them, alike in
# every way (optimizer, epochs, seed) except the `Normalization` layer.

# %%
feature_model = keras.Model(image, head_input)
features = np.concatenate([keras.ops.convert_to_numpy(feature_model(x_digits[i:i + 300]))
                           for i in range(0, len(x_digits), 300)])


def head_accuracy(normalised):
    keras.utils.set_random_seed(1)
    feature_input = keras.Input(features.shape[1:], name="features")
    x = feature_input
    if normalised:
        normalise = layers.Normalization(name="standardise")
        normalise.adapt(features[:1400])
        x = normalise(x)
    head_model = keras.Model(feature_input, layers.Dense(10, activation="softmax")(x))
    head_model.compile(optimizer=keras.optimizers.Adam(1e-2),
                       loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    fitted = head_model.fit(features[:1400], y_digits[:1400], epochs=20, batch_size=64,
                            validation_data=(features[1400:], y_digits[1400:]), verbose=0)
    return fitted.history["val_accuracy"][-1]


without_scale, with_scale = head_accuracy(False), head_accuracy(True)
print(f"validation accuracy of the same head: {without_scale:.3f} without Normalization, "
      f"{with_scale:.3f} with it (chance: 0.100)")
assert with_scale > 0.3 and (pretrained or without_scale < 0.2)

# %% [markdown]
# So pretraining buys more than information: features at a scale a new head can use, and
# features that separate the classes well. With the ImageNet weights both heads learn.
#
# ## Fine-tuning the top blocks, BatchNormalization kept safe
#
# The usual second round unfreezes the top few blocks and trains again with a small learning
# rate. It has a trap. Calling the backbone with `training=False` was meant to keep its
# BatchNormalization layers in inference mode, but in Keras 3, once the backbone is
# unfrozen, `fit()` updates their moving statistics anyway: a Functional model passes its
# own `training` value to every layer it calls, nested models included, over the one
# written in the graph (keras-team/keras#20285). One short fit on a few digits shows it;
# every weight is put back afterwards.

# %%
few_x, few_y = x_digits[:32], y_digits[:32]
batch_norms = [layer for layer in backbone.layers
               if isinstance(layer, layers.BatchNormalization)]
statistics = {v.path for layer in batch_norms for v in (layer.moving_mean,
                                                         layer.moving_variance)}


def changed_by_one_fit():
    """Paths of the weights one short fit changes; every variable is put back afterwards."""
    before = [v.numpy().copy() for v in classifier.variables]  # weights and random seeds
    try:
        classifier.fit(few_x, few_y, epochs=1, batch_size=32, verbose=0)
        return {v.path for v, b in zip(classifier.variables, before)
                if not np.array_equal(v.numpy(), b)}
    finally:
        for v, b in zip(classifier.variables, before):
            v.assign(b)


backbone.trainable = True
classifier.compile(optimizer=keras.optimizers.Adam(1e-4),
                   loss="sparse_categorical_crossentropy")
changed = changed_by_one_fit() & statistics
print(f"training=False alone: {len(changed)} of {len(statistics)} moving means and variances "
      f"of the {len(batch_norms)} BatchNormalization layers changed")
assert changed == statistics, "this Keras keeps them: the trap is fixed, update this lesson"

# %% [markdown]
# What does protect them is freezing each BatchNormalization layer itself. The recipe:
# unfreeze the backbone, freeze every layer below the top blocks, freeze every
# BatchNormalization layer, and **compile again** before the next `fit()`: the first `fit()`
# after a `compile()` builds the optimizer and the training step for the weights that are
# trainable at that moment, and later changes to `trainable` do not reach them.

# %%
top = backbone.layers.index(backbone.get_layer("block_16_expand"))
for position, layer in enumerate(backbone.layers):
    layer.trainable = position >= top and not isinstance(layer, layers.BatchNormalization)
classifier.compile(optimizer=keras.optimizers.Adam(1e-4),
                   loss="sparse_categorical_crossentropy")
convolutions = [layer for layer in backbone.layers
                if isinstance(layer, (layers.Conv2D, layers.DepthwiseConv2D))]
top_kernels = {layer.kernel.path for layer in convolutions if backbone.layers.index(layer) >= top}
lower_kernels = {layer.kernel.path for layer in convolutions} - top_kernels
changed = changed_by_one_fit()
print(f"BatchNormalization statistics changed: {len(changed & statistics)}; "
      f"top convolutions changed: {len(changed & top_kernels)} of {len(top_kernels)}; "
      f"lower ones: {len(changed & lower_kernels)} of {len(lower_kernels)}")
assert not changed & statistics and not changed & lower_kernels
assert changed >= top_kernels

# %% [markdown]
# And why compiling again matters: freeze the whole backbone after that fit, without calling
# `compile()`. On TensorFlow the training step traced before the change still updates the
# "frozen" weights; on JAX `fit()` refuses (the optimizer was built for other weights). After
# `compile()`, nothing in the backbone moves and the head still learns.

# %%
backbone_paths = {w.path for w in backbone.weights}
backbone.trainable = False
if keras.backend.backend() == "jax":
    try:
        changed_by_one_fit()
        raise AssertionError("fit() ran with an optimizer built for other weights")
    except ValueError as error:
        print("frozen without compile(): fit() refused:", str(error)[:160], "...")
else:
    stale = changed_by_one_fit() & backbone_paths
    print(f"frozen without compile(): {len(stale)} backbone weights still changed")
    assert stale
classifier.compile(optimizer=keras.optimizers.Adam(1e-4),
                   loss="sparse_categorical_crossentropy")
changed = changed_by_one_fit()
print("after compile():", len(changed & backbone_paths), "backbone weights changed; head "
      "changed:", "digit/kernel" in changed)
assert not changed & backbone_paths and "digit/kernel" in changed

# %% [markdown]
#
# What a Colab GPU changes: most of each epoch here is the frozen backbone's forward pass,
# convolutions that a GPU runs in parallel. Run this notebook in Colab and compare its time
# per epoch and the device in its environment report with the ones printed above. A faster
# epoch is what makes the second round affordable: the recipe above, with a learning rate 10
# to 100 times smaller than the head's, for a few epochs.
#
# ## Your turn
#
# Give a trained digit network a new head:
# [Exercise 09: A new head on a trained, frozen backbone](../exercises/09_new_head.ipynb).
