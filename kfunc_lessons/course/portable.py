"""Whether a model can be graded without running its author's code.

Graders rebuild a learner's model from its saved configuration with ``safe_mode=True``,
which runs no Python code from the file. A `Lambda`, a layer class of the learner's own or a
function of their own (an ``activation=my_function``) is code, so such a model cannot be
rebuilt there. `kfunc_lessons.check` gives the same verdict as the graders: a model that
holds code can fail on its merits, but it cannot pass.
"""

from __future__ import annotations

from kfunc_lessons.core.links import lesson_url
from kfunc_lessons.core.result import CheckResult

LESSON_SECTION = lesson_url("07_multi_input_output", "saving-and-reloading")


def _names_only_keras(config: object) -> bool:
    pending = [config]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            name, module = item.get("class_name"), item.get("module")
            if name in ("Lambda", "__lambda__"):
                return False
            # An object's config ({"class_name", "config", ...}) must come from Keras;
            # "__keras_tensor__", "__numpy__" and the like are data, not objects.
            is_data = isinstance(name, str) and name.startswith("__") and name.endswith("__")
            if (isinstance(name, str) and "config" in item and not is_data
                    and not (isinstance(module, str) and module.startswith("keras"))):
                return False
            pending.extend(item.values())
    return True


def _layers(model) -> list:
    found, pending = [], list(getattr(model, "layers", []))
    while pending:
        layer = pending.pop(0)
        found.append(layer)
        pending[:0] = list(getattr(layer, "layers", []))
    return found


def as_graph(model: object) -> object:
    """A keras.Model subclass that only builds a Functional graph (no ``call`` of its own)
    travels as that graph; anything else as it is."""
    import keras

    from kfunc_lessons.core.graph import overrides_call

    if (isinstance(model, keras.Model) and not isinstance(model, keras.Sequential)
            and not type(model).__module__.startswith("keras")
            and not overrides_call(model)):
        return keras.Model(model.inputs, model.outputs, name=model.name)
    return model


def only_builtin_objects(model) -> bool:
    """Whether the model's saved configuration names nothing but Keras's own classes and
    functions (so that a ``safe_mode`` reload rebuilds it)."""
    from keras.saving import serialize_keras_object

    try:
        return _names_only_keras(serialize_keras_object(model))
    except Exception:  # a model Keras cannot describe cannot travel either
        return False


def layers_with_code(model) -> list[str]:
    """The names of the model's layers whose configuration holds the author's code."""
    from keras.saving import serialize_keras_object

    names = []
    for layer in _layers(model):
        if getattr(layer, "layers", None):
            continue  # a nested model: its own layers are looked at
        try:
            builtin = _names_only_keras(serialize_keras_object(layer))
        except Exception:
            builtin = False
        if not builtin:
            names.append(layer.name)
    return names


_CANNOT_REBUILD = ("Graders rebuild your model from its saved configuration without running "
                   "any code, so they cannot grade it: use Keras's built-in layers "
                   "(keras.layers.Add(), Activation(...), ...) instead.")


def _code_named(model) -> str:
    return ", ".join(f"'{name}'" for name in layers_with_code(model)) or "of your model"


def refuse_code(result: CheckResult, model) -> CheckResult:
    """``result`` unchanged, unless it is a pass for a model holding code: then the failed
    verdict every grader gives such a model."""
    if not result.passed or only_builtin_objects(model := as_graph(model)):
        return result
    return CheckResult(
        result.exercise, "failed",
        f"Your model computes what the exercise asks, but layer(s) {_code_named(model)} run "
        f"Python code of your own (a Lambda, a custom layer class or function). "
        f"{_CANNOT_REBUILD}", step="portable",
        details=[*result.details, f"Learn more: {LESSON_SECTION}"],
        max_abs_diff=result.max_abs_diff, tolerance=result.tolerance,
        learn_more=LESSON_SECTION)


def untravelled(exercise_id: str, model) -> CheckResult:
    """The verdict on a model that could not travel to the grader, for a process that may
    not see the exercise's reference (a teacher's exercise: its reference is their
    solution), so said without comparing it to anything."""
    from kfunc_lessons.core.engine import model_problem

    if (problem := model_problem(exercise_id, model)) is not None:
        return problem
    model = as_graph(model)
    if not only_builtin_objects(model):
        return CheckResult(
            exercise_id, "failed", f"Layer(s) {_code_named(model)} of your model run Python "
            f"code of your own (a Lambda, a custom layer class or function). {_CANNOT_REBUILD}",
            step="portable", details=[f"Learn more: {LESSON_SECTION}"],
            learn_more=LESSON_SECTION)
    return CheckResult(exercise_id, "error", "your model could not be saved to hand it to the "
                       "grader; rebuild it with keras.Model(inputs, outputs) and built-in "
                       "layers.", step="run")
