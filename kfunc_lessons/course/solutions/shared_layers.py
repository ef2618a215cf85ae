import keras
from keras import layers

left = keras.Input(shape=(10,), name="left")
right = keras.Input(shape=(10,), name="right")

encoder = layers.Dense(32, activation="relu")  # ONE layer, called twice: shared weights
merged = layers.concatenate([encoder(left), encoder(right)])
outputs = layers.Dense(1, activation="sigmoid")(merged)
model = keras.Model([left, right], outputs)
