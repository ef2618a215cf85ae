"""A teacher's own graded exercises: `kfunc-lessons --exercises teacher_exercises.py`.

Students hand in `10_gated_skip.ipynb` (or `.py`) defining `model`; the grader finds it as it
finds the course's files, and grades it with the same isolation, engine and messages.
"""

from kfunc_lessons.course.exercises import EXERCISES, Exercise, must_be_functional


def gated_skip():
    """The reference: the input multiplied by a sigmoid gate computed from it."""
    import keras
    from keras import layers

    x = keras.Input(shape=(8,), name="features")
    gate = layers.Dense(8, activation="sigmoid", name="gate")(x)
    return keras.Model(x, layers.multiply([x, gate]))


GATED_SKIP = Exercise(
    "gated_skip", 10, "A gated skip connection",
    hints=(
        "Two paths leave the input: the input itself, and a gate computed from it.",
        "The gate is Dense(8, activation='sigmoid') on the input; multiply it with the input.",
        "outputs = layers.multiply([inputs, layers.Dense(8, activation='sigmoid')(inputs)])",
    ),
    requirement=must_be_functional,
    build_reference=gated_skip,
    solution=(  # optional: `kfunc-lessons solution gated_skip`, and grade-class's self-check
        "import keras\n"
        "from keras import layers\n\n"
        "inputs = keras.Input(shape=(8,))\n"
        "gate = layers.Dense(8, activation='sigmoid')(inputs)\n"
        "model = keras.Model(inputs, layers.multiply([inputs, gate]))\n"
    ),
)

# What is graded, in this order: the course's first exercise, then this one.
EXERCISES = [EXERCISES[0], GATED_SKIP]
