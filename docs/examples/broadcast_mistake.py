"""A learner's attempt at exercise 03 that falls into lesson 03's broadcasting trap: the
grading guide shows the check's verdict and picture for it (built when the site is built)."""

import keras
from keras import layers

inputs = keras.Input(shape=(10,))
one_wide = layers.Dense(1)(inputs)  # meant to be the 64-wide projection shortcut
merged = layers.add([inputs, one_wide])  # (None, 10) + (None, 1): broadcasts silently
model = keras.Model(inputs, layers.Dense(10, activation="softmax")(merged))

if __name__ == "__main__":
    import kfunc_lessons as kl

    print(kl.check("residual_add", model))
