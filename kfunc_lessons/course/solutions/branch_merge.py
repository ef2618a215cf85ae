import keras
from keras import layers

image = keras.Input(shape=(28, 28, 1), name="image")
a = layers.Conv2D(8, 3, padding="same", activation="relu")(image)
b = layers.Conv2D(8, 5, padding="same", activation="relu")(image)
merged = layers.concatenate([a, b])  # channels last: stacks the 8 + 8 feature maps
pooled = layers.GlobalAveragePooling2D()(merged)
outputs = layers.Dense(10, activation="softmax")(pooled)
model = keras.Model(image, outputs)
