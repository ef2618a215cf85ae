import keras
from keras import layers

inputs = keras.Input(shape=(10,))
hidden = layers.Dense(64, activation="relu")(inputs)
outputs = layers.Dense(10, activation="softmax")(hidden)
model = keras.Model(inputs, outputs)
