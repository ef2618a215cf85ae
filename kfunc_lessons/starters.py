"""Starter models that exercises begin from; trained once, shipped as weights data."""

from __future__ import annotations

import keras
import numpy as np

from kfunc_lessons.data_files import load_npz

STARTER_FILE = "starter_replace_intermediate"  # data/<STARTER_FILE>.npz
STARTER_LAYERS = ("hidden", "middle", "classifier")


def _replace_intermediate_architecture() -> keras.Sequential:
    return keras.Sequential(
        [
            keras.Input(shape=(10,)),
            keras.layers.Dense(64, activation="relu", name="hidden"),
            keras.layers.Dense(64, activation="relu", name="middle"),
            keras.layers.Dense(10, activation="softmax", name="classifier"),
        ],
        name="trained_model",
    )


def synthetic_classification(n: int = 1024, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A seeded 10-feature, 10-class problem: the label is the largest of a fixed projection."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 10)).astype("float32")
    projection = np.random.default_rng(12345).standard_normal((10, 10)).astype("float32")
    return x, np.argmax(x @ projection, axis=1)


def train_starter_weights() -> dict[str, np.ndarray]:
    """Train the replace_intermediate starter (used only to rebuild the shipped data)."""
    keras.utils.set_random_seed(7)
    model = _replace_intermediate_architecture()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    x, y = synthetic_classification()
    model.fit(x, y, epochs=5, batch_size=64, shuffle=False, verbose=0)
    return {f"{layer.name}/{i}": w for layer in model.layers
            for i, w in enumerate(layer.get_weights())}


def load_starter(exercise_id: str) -> keras.Model:
    """A freshly built starter model for an exercise, with its shipped (trained) weights.

    Only ``"replace_intermediate"`` has a starter: a trained Sequential
    ``Input(10) -> Dense(64, relu, "hidden") -> Dense(64, relu, "middle")
    -> Dense(10, softmax, "classifier")``. Each call returns a new model.
    """
    if exercise_id != "replace_intermediate":
        raise ValueError(f"exercise {exercise_id!r} has no starter model; "
                         "only 'replace_intermediate' does")
    data = load_npz(STARTER_FILE)
    model = _replace_intermediate_architecture()
    for layer in model.layers:
        layer.set_weights([data[f"{layer.name}/{i}"] for i in range(len(layer.weights))])
    return model
