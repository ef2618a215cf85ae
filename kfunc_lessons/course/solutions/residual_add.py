import keras
from keras import layers

inputs = keras.Input(shape=(10,))
hidden = layers.Dense(64, activation="relu")(inputs)
# The input is 10 wide and `hidden` is 64 wide: project the shortcut to 64 before adding.
shortcut = layers.Dense(64)(inputs)
merged = layers.add([hidden, shortcut])
outputs = layers.Dense(10, activation="softmax")(merged)
model = keras.Model(inputs, outputs)
