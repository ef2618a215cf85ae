import keras
from keras import layers

series = keras.Input(shape=(20, 3), name="series")
features = keras.Input(shape=(10,), name="features")

recurrent = layers.LSTM(16)(series)
dense = layers.Dense(16, activation="relu")(features)
merged = layers.concatenate([recurrent, dense])
hidden = layers.Dense(32, activation="relu")(merged)

label = layers.Dense(3, activation="softmax", name="label")(hidden)
value = layers.Dense(1, name="value")(hidden)
model = keras.Model(inputs=[series, features], outputs=[label, value])
