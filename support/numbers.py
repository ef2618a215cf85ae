"""Models that only the numbers step can judge: each mutant's one change hides inside a
Lambda, a custom layer class or a constant, so only the comparison with the stored outputs
catches it; each equivalent differs structurally in the same ways, so only it can accept it."""

import keras
from keras import layers

import kfunc_lessons as kl
from kfunc_lessons import surgery
from kfunc_lessons.core.result import CheckResult
from kfunc_lessons.course.references import build_solution
from support.suites import _kind_again, _leaves


def _subclass(layer, scale):
    """A layer class of the learner's own: the built-in class with ``call`` scaled."""
    base = type(layer)

    def call(self, inputs, **kwargs):
        out = base.call(self, inputs, **kwargs)
        return out if scale == 1.0 else out * scale

    return type(f"My{base.__name__}", (base,), {"call": call})


def _target(model):
    """The first layer with weights that takes one plain input (an LSTM's `call` names its
    input `sequences`, which a generic subclass cannot know)."""
    return next(layer for layer in _leaves(model)
                if layer.weights and not isinstance(layer, layers.RNN))


def replaced_by_subclass(exercise_id, scale):
    model = build_solution(exercise_id)
    layer = _target(model)
    custom = _subclass(layer, scale).from_config({**layer.get_config(), "name": "custom"})
    edited = surgery.replace_layer(model, layer.name, custom)
    custom.set_weights(layer.get_weights())  # the trained weights, where they matter (ex. 05)
    return _kind_again(exercise_id, edited)


def _after(exercise_id, function, name="opaque"):
    model = build_solution(exercise_id)
    return _kind_again(exercise_id, surgery.insert_after(model, _target(model).name,
                                                         layers.Lambda(function, name=name)))


def _int_round_trip(t):
    return keras.ops.cast(keras.ops.cast(t, "int32"), "float32")



def check_numbers(exercise_id, model):
    """`kl.check`, with the course's last rule set aside: a right model that holds code
    fails only because graders never run code to rebuild it (step "portable", proven in
    tests/classroom/test_hostile_class.py). These tests are about the numbers step before it."""
    result = kl.check(exercise_id, model)
    if result.step == "portable":
        return CheckResult(result.exercise, "passed", result.message, step="done",
                           max_abs_diff=result.max_abs_diff)
    return result

NUMBERS_MUTANTS = {
    "custom subclass whose call scales by 1.01": (
        lambda e: replaced_by_subclass(e, 1.01), "custom"),
    "Lambda body: t * 1.01": (lambda e: _after(e, lambda t: t * 1.01), "opaque"),
    "constant inside an op: t + 0.01": (lambda e: _after(e, lambda t: t + 0.01), "opaque"),
    "dtype change: an int32 round trip": (lambda e: _after(e, _int_round_trip), "opaque"),
    "Lambda body: tanh": (lambda e: _after(e, keras.ops.tanh), "opaque"),
}

NUMBERS_EQUIVALENTS = {
    "custom subclass with the built-in call": lambda e: replaced_by_subclass(e, 1.0),
    "identity Lambda": lambda e: _after(e, lambda t: t),
    "Lambda: t * 1.0": lambda e: _after(e, lambda t: t * 1.0),
    "Lambda: a float32 cast": lambda e: _after(e, lambda t: keras.ops.cast(t, "float32")),
}
