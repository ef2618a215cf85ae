import keras
from keras import layers

import kfunc_lessons as kl

trained = kl.load_starter("new_head")

# The backbone: the trained layers up to the pooled features, as one model, frozen.
backbone = keras.Model(trained.inputs, trained.get_layer("pool").output, name="backbone")
backbone.trainable = False

# The new head for the new task (is the digit 5 or more?), on a new input.
inputs = keras.Input(shape=(8, 8, 1))
features = backbone(inputs)
x = layers.Dropout(0.2)(features)
x = layers.Dense(32, activation="relu")(x)
outputs = layers.Dense(2, activation="softmax")(x)
model = keras.Model(inputs, outputs)
