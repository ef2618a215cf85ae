import keras
from keras import layers

import kfunc_lessons as kl

trained = kl.load_starter("replace_intermediate")

# Re-call the trained layers on a new graph: the layer objects, and so their weights, are reused.
inputs = keras.Input(shape=(10,))
h = trained.get_layer("dense_1")(inputs)
mid = trained.get_layer("dense_mid")(h)
merged = layers.add([h, mid])  # the residual connection around dense_mid
outputs = trained.get_layer("dense_2")(merged)
model = keras.Model(inputs, outputs)
