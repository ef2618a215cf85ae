"""Small model builders shared by the grader tests."""

import keras
from keras import layers


def functional(units=64, hidden_activation="relu"):
    inputs = keras.Input(shape=(10,))
    hidden = layers.Dense(units, activation=hidden_activation)(inputs)
    outputs = layers.Dense(10, activation="softmax")(hidden)
    return keras.Model(inputs, outputs)


def residual(merge=layers.add, skip_from_hidden=False, shortcut_bias=True):
    inputs = keras.Input(shape=(10,))
    hidden = layers.Dense(64, activation="relu")(inputs)
    shortcut = layers.Dense(64, use_bias=shortcut_bias)(hidden if skip_from_hidden else inputs)
    outputs = layers.Dense(10, activation="softmax")(merge([hidden, shortcut]))
    return keras.Model(inputs, outputs)


def flat_blocks():
    """Exercise 04's four Dense layers written flat, without the Sequential blocks it asks for."""
    x = inputs = keras.Input((10,))
    for units in (32, 16, 64, 32):
        x = layers.Dense(units, activation="relu")(x)
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(x))


def two_in_two_out(names=None, widths=(4, 3)):
    """A teacher's two-input, two-output reference for compare(); ``names`` maps 'a', 'b'
    (inputs) and 'y', 'z' (outputs) to chosen names, the rest are Keras's."""
    names = names or {}
    a = keras.Input((widths[0],), name=names.get("a"))
    b = keras.Input((widths[1],), name=names.get("b"))
    merged = layers.concatenate([layers.Dense(8)(a), layers.Dense(8)(b)])
    return keras.Model([a, b], [layers.Dense(2, name=names.get("y"))(merged),
                                layers.Dense(1, name=names.get("z"))(merged)])
