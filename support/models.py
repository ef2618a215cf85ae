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
