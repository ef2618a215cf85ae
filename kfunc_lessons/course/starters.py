"""Starter models that exercises begin from; trained once, shipped as weights data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np

from kfunc_lessons.course.data_files import load_npz

STARTER_FILE = "starter_replace_intermediate"  # data/<STARTER_FILE>.npz
STARTER_LAYERS = ("hidden", "middle", "classifier")
NEW_HEAD_FILE = "starter_new_head"


def _replace_intermediate_architecture() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input(shape=(10,)),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dense(64, activation="relu", name="middle"),
            keras.layers.Dense(10, activation="softmax", name="classifier"),
        ],
        name="trained_model",
    )


def _new_head_architecture() -> keras.Model:
    """A small digit classifier: a convolutional backbone and a 10-class head."""
    image = keras.Input(shape=(8, 8, 1), name="image")
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv_1")(image)
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="conv_2")(x)
    features = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    digit = keras.layers.Dense(10, activation="softmax", name="digit")(features)
    return keras.Model(image, digit, name="digit_net")


def synthetic_classification(n: int = 1024, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A seeded 10-feature, 10-class problem: the label is the largest of a fixed projection."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 10)).astype("float32")
    projection = np.random.default_rng(12345).standard_normal((10, 10)).astype("float32")
    return x, np.argmax(x @ projection, axis=1)


def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's handwritten digits (1797 images, 8x8, shipped with scikit-learn) as
    float32 images in [0, 1] with a channel axis, and their labels. Needs scikit-learn (a
    lesson and rebuild dependency, not a runtime one)."""
    from sklearn.datasets import load_digits

    data = load_digits()
    return (data.images[..., None] / 16.0).astype("float32"), data.target


def new_head_probe() -> np.ndarray:
    """Exercise 09's probe batch: eight real digits the starter was not trained on. Random
    noise would saturate the trained backbone's softmax head and hide small differences."""
    return digits()[0][1500:1508]


def _weights_by_layer(model: keras.Model) -> dict[str, np.ndarray]:
    return {f"{layer.name}/{i}": w for layer in model.layers
            for i, w in enumerate(layer.get_weights())}


def train_starter_weights() -> dict[str, np.ndarray]:
    """Train the replace_intermediate starter (used only to rebuild the shipped data)."""
    keras.utils.set_random_seed(7)
    model = _replace_intermediate_architecture()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    x, y = synthetic_classification()
    model.fit(x, y, epochs=5, batch_size=64, shuffle=False, verbose=0)
    return _weights_by_layer(model)


def train_new_head_weights() -> dict[str, np.ndarray]:
    """Train the new_head starter on the real digits (used only to rebuild the shipped data)."""
    keras.utils.set_random_seed(9)
    model = _new_head_architecture()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    x, y = digits()
    model.fit(x[:1500], y[:1500], epochs=20, batch_size=64, shuffle=False, verbose=0)
    return _weights_by_layer(model)


@dataclass(frozen=True)
class Starter:
    """A trained starter model: its data file, how it is built and trained (only by the
    rebuild command), and, where random noise would not exercise it, the real inputs its
    exercise's probe batch is made of."""

    file: str
    architecture: Callable[[], keras.Model]
    train: Callable[[], dict[str, np.ndarray]]
    probe: Callable[[], np.ndarray] | None = None


STARTERS = {
    "replace_intermediate": Starter(STARTER_FILE, _replace_intermediate_architecture,
                                    train_starter_weights),
    "new_head": Starter(NEW_HEAD_FILE, _new_head_architecture, train_new_head_weights,
                        new_head_probe),
}


def load_starter(exercise_id: str) -> keras.Model:
    """A freshly built starter model for an exercise, with its shipped (trained) weights.

    - ``"replace_intermediate"``: a trained Sequential ``Input(10) -> Dense(64, relu,
      "hidden") -> Dense(64, relu, "middle") -> Dense(10, softmax, "classifier")``.
    - ``"new_head"``: a digit classifier trained on scikit-learn's handwritten digits,
      ``Input(8, 8, 1) -> Conv2D(8, 3, relu, "conv_1") -> Conv2D(16, 3, relu, "conv_2")
      -> GlobalAveragePooling2D("pool") -> Dense(10, softmax, "digit")``.

    Each call returns a new model.
    """
    if exercise_id not in STARTERS:
        raise ValueError(f"exercise {exercise_id!r} has no starter model; only "
                         f"{', '.join(repr(k) for k in STARTERS)} do")
    starter = STARTERS[exercise_id]
    data = load_npz(starter.file)
    model = starter.architecture()
    for layer in model.layers:
        layer.set_weights([data[f"{layer.name}/{i}"] for i in range(len(layer.weights))])
    return model
