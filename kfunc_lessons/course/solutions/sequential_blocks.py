import keras
from keras import layers

block1 = keras.Sequential(
    [layers.Dense(32, activation="relu"), layers.Dense(16, activation="relu")], name="block1"
)
block2 = keras.Sequential(
    [layers.Dense(64, activation="relu"), layers.Dense(32, activation="relu")], name="block2"
)

inputs = keras.Input(shape=(10,))
x = block1(inputs)
x = block2(x)
outputs = layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs)
