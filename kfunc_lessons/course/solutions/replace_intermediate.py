import keras
from keras import layers

import kfunc_lessons as kl

trained = kl.load_starter("replace_intermediate")

# Re-call the trained layers on a new graph: the layer objects, and so their weights, are reused.
inputs = keras.Input(shape=(10,))
h = trained.get_layer("hidden")(inputs)
mid = trained.get_layer("middle")(h)
merged = layers.add([h, mid])  # the residual connection around middle
outputs = trained.get_layer("classifier")(merged)
model = keras.Model(inputs, outputs)
