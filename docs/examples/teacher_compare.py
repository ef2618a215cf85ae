"""A new graded exercise in a few lines: a teacher's reference model, graded with kl.compare."""

import keras
from keras import layers

import kfunc_lessons as kl

# 1. The reference: what the learner should build (a gated skip connection).
x = keras.Input(shape=(8,))
gate = layers.Dense(8, activation="sigmoid")(x)
reference = keras.Model(x, layers.multiply([x, gate]))


# 2. A learner's attempt, spelled differently: `*` instead of multiply(), operands swapped,
#    and the sigmoid as a separate layer. Same computation, so it passes.
def learner_attempt():
    inputs = keras.Input(shape=(8,))
    g = layers.Activation("sigmoid")(layers.Dense(8)(inputs))
    return keras.Model(inputs, g * inputs)


result = kl.compare(reference, learner_attempt())
print(result)
assert result.passed

# 3. A wrong attempt (an add instead of a multiply) fails, and says where.
inputs = keras.Input(shape=(8,))
wrong = keras.Model(inputs, inputs + layers.Dense(8, activation="sigmoid")(inputs))
result = kl.compare(reference, wrong)
print(result)
assert result.status == "failed" and "adds" in result.message
