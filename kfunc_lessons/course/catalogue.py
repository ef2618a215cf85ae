"""The catalogue of known mistakes: what learners really get wrong, recognised by name.

Each entry has a detector (on the learner's model, or on the text of an exception the learner
hit), a message in the learner's terms (their layer names, the shapes or settings involved,
and the fix) and the lesson section that teaches it. The catalogue only *explains*: the check
pipeline decides every verdict, and nothing here turns a failure into a pass.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from kfunc_lessons.core.describe import VERBS, setting, where
from kfunc_lessons.core.engine import Case, block_groups
from kfunc_lessons.core.execute import reduced_precision_policies
from kfunc_lessons.core.graph import COMMUTATIVE, CanonicalGraph, Node
from kfunc_lessons.core.links import lesson_url
from kfunc_lessons.course.exercises import Exercise


@dataclass
class Evidence:
    """What a detector may look at: the learner's model and, where it could be read, its
    canonical graph; the exercise's reference graph; the step that decided the verdict."""

    model: object
    graph: CanonicalGraph | None
    reference: CanonicalGraph
    step: str = ""
    trained_weights: Callable | None = None  # reference layer -> its trained weights
    exercise: Exercise | None = None  # None for kfunc_lessons.compare()


@dataclass(frozen=True)
class Mistake:
    """One known mistake."""

    id: str
    title: str
    lesson: str  # the lesson notebook's stem, e.g. "03_residual_add"
    anchor: str  # the section's id on the lesson's page
    spot: Callable[[Evidence], Spotted] | None = field(default=None, repr=False)
    error: re.Pattern | None = field(default=None, repr=False)
    # The explanation of a matching error; None where the text turns out not to be this one.
    explain: Callable[[re.Match], str | None] | None = field(default=None, repr=False)
    # The check steps whose failures this mistake may explain (a mistake seen elsewhere in
    # the model is not the reason that step stopped).
    steps: tuple[str, ...] = ("model", "io", "requirements", "structure", "numbers")
    restates: bool = False  # its message says what the check's own message says
    note: bool = False  # true: worth saying even when the model passes; never the headline

    @property
    def link(self) -> str:
        """The lesson section that teaches it, on the course site."""
        return lesson_url(self.lesson, self.anchor)


@dataclass(frozen=True)
class Finding:
    """A catalogue entry that applies, with its message for this learner."""

    mistake: Mistake
    message: str
    # Where it is: the learner's node and the exercise's, for the picture (empty: unknown).
    learner: tuple[int, ...] = ()
    reference: tuple[int, ...] = ()


# A detector says what it found, in words; where it can, also at which learner node(s), and
# at which node(s) of the exercise's graph the same thing is done right.
Spotted = str | tuple[str, int | tuple[int, ...], tuple[int, ...]] | None


def _counterpart(reference: CanonicalGraph, op: str) -> tuple[int, ...]:
    """The exercise's node doing ``op``, when it has exactly one."""
    found = tuple(n.id for n in reference.nodes if n.op == op)
    return found if len(found) == 1 else ()


def _shape(node: Node) -> tuple:
    return (None, *node.shape)


def _readers(graph: CanonicalGraph) -> Counter:
    return Counter(i for node in graph.nodes for i in node.inputs)


def _uses(graph: CanonicalGraph) -> Counter:
    """How many nodes each weight-holding layer computes (2 or more: it is shared)."""
    return Counter(id(n.owner) for n in graph.nodes if n.owner is not None)


# ---- detectors on the learner's model ---------------------------------------------------------

def _broadcast_merge(e: Evidence) -> str | None:
    for node in e.graph.nodes:
        shapes = [_shape(e.graph.nodes[i]) for i in node.inputs]
        if node.op in COMMUTATIVE | {"subtract"} and len(set(shapes)) > 1:
            listed = " and ".join(str(s) for s in shapes)
            return (f"{where(node)} {VERBS[node.op]} tensors of shapes {listed}. They differ, "
                    "so Keras silently broadcasts: a size-1 axis is repeated to fit the other "
                    f"tensor, giving {_shape(node)}. That runs, but it is almost never what a "
                    "residual connection means. Give both operands the same shape: for a "
                    "shortcut, a linear Dense with the other branch's width.",
                    node.id, _counterpart(e.reference, node.op))
    return None


def _nonlinear_shortcut(e: Evidence) -> str | None:
    """The exercise adds a branch to a linear projection of the input; the learner's add has
    no linear operand, and one of its operands is an activated Dense of the input."""
    def projection(graph, node):
        return node.op == "Dense" and graph.nodes[node.inputs[0]].op == "input"

    def activated_projection(graph, node):
        return node.op == "activation" and projection(graph, graph.nodes[node.inputs[0]])

    ref_adds = [n for n in e.reference.nodes if n.op == "add"]
    if not any(projection(e.reference, e.reference.nodes[i]) for n in ref_adds
               for i in n.inputs):
        return None
    for node in (n for n in e.graph.nodes if n.op == "add"):
        operands = [e.graph.nodes[i] for i in node.inputs]
        if len(operands) > 1 and all(activated_projection(e.graph, o) for o in operands):
            # The shortcut is most likely the branch whose activation is a layer of its own.
            act = next((o for o in operands
                        if o.layer_name != e.graph.nodes[o.inputs[0]].layer_name), operands[-1])
            dense = e.graph.nodes[act.inputs[0]]
            return (f"both operands of {where(node)} are activated Dense layers of the input, "
                    f"so neither is a projection shortcut. A projection shortcut is linear: it "
                    f"only changes the width. Remove {where(act)} from the shortcut, your layer "
                    f"'{dense.layer_name}' (layers.Dense({dense.config.get('units')})).")
    return None


def _batch_in_input_shape(e: Evidence) -> str | None:
    for ref_id in e.reference.inputs:
        for mine in (e.graph.nodes[i] for i in e.graph.inputs):
            wanted = e.reference.nodes[ref_id].shape
            if len(mine.shape) == len(wanted) + 1 and tuple(mine.shape[1:]) == tuple(wanted):
                return (f"your keras.Input(shape={mine.shape}) for '{mine.layer_name}' "
                        f"includes the batch size: shape= describes ONE sample, and Keras adds "
                        f"the batch axis (None) itself. Write keras.Input(shape={wanted}).")
    return None


def _mixed_precision(e: Evidence) -> str | None:
    policies = reduced_precision_policies(e.graph.trace) if e.graph.trace else []
    if not policies:
        return None
    return (f"your model computes in the {', '.join(policies)} dtype policy. The grader runs it "
            "in float32, so the verdict is about what it computes, not about reduced-precision "
            "rounding. For training, keep the last layer in float32 (dtype='float32').")


def _flat_instead_of_blocks(e: Evidence) -> str | None:
    if e.exercise is None or not e.exercise.blocks or any(node.scope for node in e.graph.nodes):
        return None
    wanted = "; ".join(block_groups(e.reference))
    return ("your model is one flat stack of layers, with no nested keras.Sequential block. "
            "It may compute the right thing, but this exercise is about blocks: make each "
            f"group its own keras.Sequential([...]) ({wanted}) and call each block on a "
            "tensor, like a layer.")


def _one_block_twice(e: Evidence) -> str | None:
    ref_shared = any(count > 1 for count in _uses(e.reference).values())
    uses = _uses(e.graph)
    for node in e.graph.nodes:
        if node.scope and node.owner is not None and uses[id(node.owner)] > 1 and not ref_shared:
            block = node.scope[-1]
            return (f"your block '{block.name}' is called more than once, so every call shares "
                    "ONE set of weights. The exercise has separate blocks with weights of their "
                    "own: build a new keras.Sequential for each place.")
    return None


def _shared_where_separate(e: Evidence) -> str | None:
    if any(count > 1 for count in _uses(e.reference).values()):
        return None
    uses = _uses(e.graph)
    for node in e.graph.nodes:
        if node.owner is not None and not node.scope and uses[id(node.owner)] > 1:
            return (f"your layer '{node.owner.name}' is called more than once "
                    f"({uses[id(node.owner)]} places), so they share one set of weights. The "
                    "exercise uses a separate layer in each place: create a new layer object "
                    "for each call.")
    return None


def _separate_where_shared(e: Evidence) -> str | None:
    if not any(count > 1 for count in _uses(e.reference).values()):
        return None
    if any(count > 1 for count in _uses(e.graph).values()):
        return None
    seen: dict[tuple, Node] = {}
    for node in e.graph.nodes:
        if node.owner is None:
            continue
        key = (node.op, tuple(sorted(node.config.items())), node.shape)
        if key in seen:
            shared = tuple(n.id for n in e.reference.nodes
                           if n.owner is not None and _uses(e.reference)[id(n.owner)] > 1)
            return (f"your layers '{seen[key].owner.name}' and '{node.owner.name}' are two "
                    "separate layers with weights of their own. The exercise shares ONE layer: "
                    "create it once (encoder = layers.Dense(...)) and call that same object on "
                    "each input.", (seen[key].id, node.id), shared)
        seen[key] = node
    return None


def _input_used_twice(e: Evidence) -> str | None:
    readers = _readers(e.graph)
    unused = [e.graph.nodes[i] for i in e.graph.inputs if readers[i] == 0]
    if not unused or len(e.graph.inputs) < 2:
        return None
    return (f"model input '{unused[0].layer_name}' is never used: nothing reads it, so the "
            "model ignores that data. Check which tensor each call receives: a shared "
            "encoder is applied once to EACH input.")


def _concatenate_axis(e: Evidence) -> str | None:
    for node in e.graph.nodes:
        if node.op == "concatenate" and node.config.get("axis") != len(node.shape):
            shapes = " and ".join(str(_shape(e.graph.nodes[i])) for i in node.inputs)
            return (f"{where(node)} joins {shapes} along {setting(node, 'axis')}, giving "
                    f"{_shape(node)}. Feature maps are stacked on the channels, the last "
                    "axis: concatenate(..., axis=-1), the default.",
                    node.id, _counterpart(e.reference, "concatenate"))
    return None


def _softmax_axis(e: Evidence) -> str | None:
    for node in e.graph.nodes:
        if node.op.lower() == "softmax":  # softmax over the last axis is an activation node
            axis = node.config.get("axis")
            return (f"{where(node)} applies softmax over axis {axis}, not over the classes. "
                    "Softmax must normalise each sample's scores, the last axis: "
                    "activation='softmax' or layers.Softmax() (axis=-1).", node.id, ())
    return None


def _dense_on_feature_map(e: Evidence) -> str | None:
    for ref_id, mine_id in zip(e.reference.outputs, e.graph.outputs):
        want, mine = e.reference.nodes[ref_id].shape, e.graph.nodes[mine_id].shape
        if len(mine) > len(want) and mine[-1:] == want[-1:]:
            return (f"your output has shape {(None, *mine)}: it still has the image's spatial "
                    "axes, because Dense acts on the last axis only. Reduce each feature map to "
                    "one number first: layers.GlobalAveragePooling2D() before the classifier.")
    return None


def _old_head_kept(e: Evidence) -> str | None:
    if e.exercise is None or not e.exercise.drop:
        return None
    kept = [layer.name for layer in e.graph.owners() if layer.name in e.exercise.drop]
    if not kept:
        return None
    return (f"your model still contains the trained model's old head, layer '{kept[0]}'. "
            "The new task needs a new head in its place: build the backbone from the trained "
            "model's input to the layer before the old head, e.g. keras.Model(trained.inputs, "
            "trained.get_layer('pool').output), and add the new head to that.")


# ---- explanations of exceptions ---------------------------------------------------------------

def _dims(text: str | None) -> tuple | None:
    """'64,' or 'None, 8, 8' as a tuple of ints (None kept); None for anything else."""
    try:
        return tuple(None if d.strip() == "None" else int(d)
                     for d in (text or "").split(",") if d.strip())
    except ValueError:  # pasted by hand, perhaps: no shapes to quote
        return None


def _residual_shape_error(m: re.Match) -> str | None:
    a, b = _dims(m.group(1)), _dims(m.group(2))
    if not a or not b:
        return None
    said = (f"you tried to add two tensors of different shapes, {a} and {b}. An add is "
            "element-wise, so both operands must have the same shape.")
    if len(a) != len(b) or a[:-1] != b[:-1] or None in (a[-1], b[-1]):
        return said + " Make them agree before the add (for feature maps: the same strides "\
            "and padding='same')."
    narrow, wide = sorted((a[-1], b[-1]))
    project = (f"layers.Dense({wide})(inputs)" if len(a) <= 2  # (64,) or, run eagerly, (5, 64)
               else f"layers.Conv2D({wide}, 1)(inputs)")  # feature maps: a 1x1 convolution
    return (f"{said} Project the shortcut (usually the model's input, the narrower operand, "
            f"{narrow} wide) to the width of the layer it is added to: shortcut = {project}, "
            f"then add it to that {wide}-wide output. (Where the shortcut is the wider one, "
            f"project it to {narrow} instead.)")


def _channel_axis_missing(m: re.Match) -> str | None:
    shape = _dims(m.group("shape") if m.group("shape") is not None else m.group("shape2"))
    # min_ndim counts the batch axis; a kernel has as many axes as its input should
    wanted_rank = int(m.group("rank")) if m.group("rank") else len(_dims(m.group("rank2")) or ())
    if not shape or len(shape) + 1 != wanted_rank or wanted_rank < 3:
        return None  # not one axis short of a convolution's input: not this mistake
    wanted = (*shape[1:], 1)
    return (f"a convolution reads its input with a channel axis last, (height, width, "
            f"channels) for an image, and your tensor has shape {shape}: the channel axis is "
            f"missing. For grey images write keras.Input(shape={wanted}), and give the data "
            "the same axis (images[..., None]).")


def _label_out_of_range(m: re.Match) -> str:
    label, classes = m.group(1), int(m.group(2))
    return (f"a label is {label}, but your model's last layer has {classes} classes, so "
            f"sparse labels must be 0 to {classes - 1}. Labels made for another task (the "
            "ten digits 0-9) must first become this task's classes: for \"is the digit 5 or "
            "more?\" use (digits >= 5).astype(\"int32\").")


def _clone_call_function(m: re.Match) -> str:
    return ("Keras added clone_model(call_function=...) in 3.3.3, and this Keras is older. "
            "Upgrade Keras (pip install -U keras), or use Way 1: re-call the trained layers on "
            "a new graph, which every Keras 3 supports.")


def _concatenate_shapes_error(m: re.Match) -> str:
    return (f"concatenate stacks tensors along one axis, so every other axis must agree; "
            f"here they do not ({m.group(1).strip()}). Convolutions with different kernel "
            "sizes trim different borders: give them padding='same' so their grids line up.")


def _layer_width_error(m: re.Match) -> str:
    return (f"layer '{m.group(1)}' was built for inputs with {m.group(2)} features and now "
            f"receives shape {m.group(3)}. A layer's weights fix its input width: use a new "
            "layer where the width changes (or keep the width the same).")


def _never_called(m: re.Match) -> str:
    return (f"'{m.group(1)}' was built but never called on a tensor, so it has no .input or "
            ".output of its own. Use its inputs/outputs lists (model.inputs, model.outputs), "
            "or call it on a keras.Input.")


def _model_keywords(m: re.Match) -> str:
    return ("keras.Model takes inputs= and outputs= (plural). The Keras 2 spellings input= and "
            "output= are errors in Keras 3: keras.Model(inputs=x, outputs=y).")


def _inbound_nodes(m: re.Match) -> str:
    return ("inbound_nodes belongs to Keras 2's internals and is gone in Keras 3. Do not rewire "
            "a model's nodes: re-call its trained layers on a new graph, or use "
            "kfunc_lessons.surgery (replace_layer, insert_after).")


def _keras_engine(m: re.Match) -> str:
    return ("the keras.engine module is Keras 2's private code (tools such as keras-surgeon "
            "import it); Keras 3 has no such module. Edit models with keras.models.clone_model or "
            "kfunc_lessons.surgery instead.")


def _layer_inside_block(m: re.Match) -> str:
    return (f"get_layer only looks at the model's own layers, and '{m.group(1)}' sits inside a "
            f"nested block (the model's layers are {m.group(2)}). Ask the block: "
            f"model.get_layer('block').get_layer('{m.group(1)}'), with your block's name.")


def _unconnected_input(m: re.Match) -> str:
    return ("one of the model's inputs is not used by any layer, so Keras cannot connect it to "
            "the outputs. Check which tensor each call receives: a shared encoder is applied "
            "once to EACH input.")


def _clone_sequential(m: re.Match) -> str:
    return ("clone_model's call_function needs a Functional model. Wrap a built Sequential "
            "first: keras.Model(seq.inputs, seq.outputs), then clone that.")


CATALOGUE: tuple[Mistake, ...] = (
    Mistake("subclassed-model", "A subclassed model with call()", "02_functional",
            "layers-are-called-on-tensors",
            steps=("model",)),
    Mistake("unbuilt-sequential", "A Sequential without an input shape", "01_sequential",
            "a-stack-of-layers",
            steps=("model",)),
    Mistake("batch-size-in-input-shape", "The batch size written into Input(shape=...)",
            "01_sequential", "a-stack-of-layers", spot=_batch_in_input_shape,
            steps=("io",)),
    Mistake("input-names", "Input names that do not match a multi-input exercise",
            "07_multi_input_output", "two-inputs-two-branches",
            steps=("io",)),
    Mistake("output-names", "Output names that do not match a multi-output exercise",
            "07_multi_input_output", "which-name-counts-the-dict-key",
            steps=("io",)),
    Mistake("dense-on-feature-map", "A classifier on feature maps, without pooling",
            "08_branch_merge", "merge-on-channels", spot=_dense_on_feature_map,
            steps=("io",)),
    Mistake("broadcasting-merge", "Silent broadcasting in a merge", "03_residual_add",
            "the-silent-trap-broadcasting", spot=_broadcast_merge,
            steps=("structure", "numbers")),
    Mistake("nonlinear-shortcut", "A projection shortcut with an activation",
            "03_residual_add", "fix-2-project-the-shortcut", spot=_nonlinear_shortcut,
            steps=("structure",)),
    Mistake("concatenate-axis", "A merge on the wrong axis", "08_branch_merge",
            "merge-on-channels", spot=_concatenate_axis,
            steps=("structure", "io"), restates=True),
    Mistake("softmax-axis", "Softmax on the wrong axis", "01_sequential", "a-stack-of-layers",
            spot=_softmax_axis,
            steps=("structure", "io", "numbers")),
    Mistake("flat-instead-of-blocks", "A flat model where nested blocks are asked for",
            "04_sequential_blocks", "blocks-are-layers", spot=_flat_instead_of_blocks,
            steps=("requirements",)),
    Mistake("one-block-twice", "One block called twice instead of two blocks",
            "04_sequential_blocks", "one-block-called-twice-shared-weights",
            spot=_one_block_twice,
            steps=("structure", "requirements"), restates=True),
    Mistake("shared-where-separate", "One layer called twice where two are needed",
            "06_shared_layers", "one-set-of-weights", spot=_shared_where_separate,
            steps=("structure",), restates=True),
    Mistake("separate-where-shared", "Two encoders where one shared encoder is needed",
            "06_shared_layers", "the-mistake-two-encoders", spot=_separate_where_shared,
            steps=("structure",), restates=True),
    Mistake("shared-encoder-same-input", "A shared encoder applied twice to the same input",
            "06_shared_layers", "one-encoder-two-inputs", spot=_input_used_twice,
            # Keras before 3.11 refuses to build such a model at all:
            error=re.compile(r"`inputs` not connected to `outputs`"),
            explain=_unconnected_input,
            steps=("structure", "io")),
    Mistake("old-head-kept", "The old classifier kept under a new head", "09_pretrained_surgery",
            "replace-the-1000-class-head", spot=_old_head_kept,
            steps=("io", "structure", "numbers")),
    # Found and worded by the check itself (no detector here): the catalogue names them.
    Mistake("unfrozen-backbone", "A trained backbone left trainable", "09_pretrained_surgery",
            "freezing-the-backbone", steps=("requirements",)),
    Mistake("frozen-head", "A new head frozen with the backbone", "09_pretrained_surgery",
            "fine-tune-a-new-head-on-real-digits", steps=("requirements",)),
    Mistake("fresh-layer", "A fresh layer where the trained one must be reused",
            "05_replace_layers", "way-1-re-call-the-trained-layers-on-a-new-graph",
            steps=("requirements",)),
    Mistake("mixed-precision", "A mixed-precision policy", "01_sequential",
            "mixed-precision-on-a-gpu", spot=_mixed_precision, note=True),
    Mistake("missing-projection-shortcut", "A residual add without a projection shortcut",
            "03_residual_add", "why-an-add-is-element-wise",
            error=re.compile(r"incompatible shapes\. Received shapes \(([^)]*)\) and "
                             r"\(([^)]*)\)", re.IGNORECASE), explain=_residual_shape_error),
    Mistake("concatenate-shapes", "Concatenating maps whose grids do not line up",
            "08_branch_merge", "why-the-padding-matters",
            error=re.compile(r"requires inputs with matching shapes except for the concat"
                             r"enation axis\. Received: input_shape=(.*)", re.DOTALL),
            explain=_concatenate_shapes_error),
    Mistake("layer-width-changed", "A built layer called on a new width", "05_replace_layers",
            "when-the-new-layer-changes-a-shape",
            error=re.compile(r"Input 0 (?:with name \S+ )?of layer [\"']([^\"']+)[\"'] is "
                             r"incompatible with the layer: expected axis -1 of input shape to "
                             r"have value (\d+), but received input with shape (\([^)]*\))"),
            explain=_layer_width_error),
    Mistake("never-called-input", "`.input` of a model that was never called", "02_functional",
            "pitfall-seqinput-on-a-sequential-that-was-never-called",
            error=re.compile(r"The layer (\S+) has never been called"), explain=_never_called),
    Mistake("keras2-model-keywords", "Keras 2's Model(input=, output=)", "05_replace_layers",
            "old-recipes-that-break-in-keras-3",
            error=re.compile(r"Unrecognized keyword arguments passed to Model: .*'(input|output)'"),
            explain=_model_keywords),
    Mistake("keras2-inbound-nodes", "Keras 2's layer.inbound_nodes", "05_replace_layers",
            "old-recipes-that-break-in-keras-3",
            error=re.compile(r"has no attribute 'inbound_nodes'"), explain=_inbound_nodes),
    Mistake("keras2-engine-import", "Keras 2's keras.engine (keras-surgeon)",
            "05_replace_layers", "old-recipes-that-break-in-keras-3",
            error=re.compile(r"No module named 'keras\.engine'"), explain=_keras_engine),
    Mistake("layer-inside-block", "get_layer() for a layer inside a nested block",
            "04_sequential_blocks", "reaching-inside-a-block",
            error=re.compile(r"No such layer: ([^.\s]+)\. Existing layers are: (\[[^\]]*\])"),
            explain=_layer_inside_block),
    Mistake("channel-axis-missing", "An image input without its channel axis",
            "08_branch_merge", "merge-on-channels",
            error=re.compile(r"expected min_ndim=(?P<rank>\d+), found ndim=\d+\. Full shape "
                             r"received: \((?P<shape>[^)]*)\)|Kernel shape must have the same "
                             r"length as input, but received kernel of shape \((?P<rank2>[^)]*)"
                             r"\) and input of shape \((?P<shape2>[^)]*)\)"),
            explain=_channel_axis_missing),
    Mistake("labels-of-another-task", "Labels outside the new head's classes",
            "09_pretrained_surgery", "replace-the-1000-class-head",
            error=re.compile(r"label value of (-?\d+) which is outside the valid range of "
                             r"\[0, (\d+)\)"), explain=_label_out_of_range),
    Mistake("clone-call-function-missing", "clone_model(call_function=...) on an older Keras",
            "05_replace_layers", "way-1-re-call-the-trained-layers-on-a-new-graph",
            error=re.compile(r"clone_model\(\) got an unexpected keyword argument "
                             r"'call_function'"), explain=_clone_call_function),
    Mistake("clone-sequential", "clone_model(call_function=...) on a Sequential",
            "05_replace_layers", "way-2-clone_model-with-call_function",
            error=re.compile(r"call_function.* not supported with Sequential models",
                             re.DOTALL), explain=_clone_sequential),
)


def recognise(evidence: Evidence) -> list[Finding]:
    """Every model-level entry that applies, in catalogue order (most specific first)."""
    found = []
    for mistake in CATALOGUE:
        if mistake.spot is None:
            continue
        if evidence.graph is None:  # every detector reads the graph
            continue
        try:
            spotted = mistake.spot(evidence)
        except Exception:  # a detector must never cost the learner their verdict
            spotted = None
        if isinstance(spotted, tuple):
            message, nodes, counterparts = spotted
            nodes = nodes if isinstance(nodes, tuple) else (nodes,)
            found.append(Finding(mistake, message, nodes, tuple(counterparts)))
        elif spotted:
            found.append(Finding(mistake, spotted))
    return found


def explain_error(error: BaseException | str) -> str | None:
    """What a known exception (or its text) means, in the learner's terms, with the lesson
    section that teaches it; None for an error the catalogue does not know."""
    finding = error_finding(error)
    if finding is None:
        return None
    message = finding.message[0].upper() + finding.message[1:]
    return f"{message} Learn more: {finding.mistake.link}"


def error_finding(error: BaseException | str) -> Finding | None:
    """The catalogue entry for an exception the learner hit (or its text), if there is one."""
    text = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error)
    for mistake in CATALOGUE:
        if mistake.error is not None and (match := mistake.error.search(text)):
            try:
                message = mistake.explain(match)
            except Exception:  # an explainer must never turn a hint into a crash
                message = None
            if message:
                return Finding(mistake, message)
    return None


def explain_result(result, evidence: Evidence, named: str | None = None) -> Finding | None:
    """Add what the catalogue recognises to a `CheckResult`: on a failed check the first
    known mistake becomes the message (what the check found stays, as the first detail);
    notes are added to any verdict. The status and the step are never touched. ``named``: the
    entry the check itself found and worded; its message stands, with its lesson link.
    Returns the mistake named as the cause, if any."""
    if result.status not in ("failed", "passed"):
        return None
    findings = recognise(evidence)
    notes = [f for f in findings if f.mistake.note]
    if named is not None:
        entry = next((m for m in CATALOGUE if m.id == named), None)
        cause = Finding(entry, result.message) if entry is not None else None
    else:
        cause = next((f for f in findings
                      if not f.mistake.note and result.step in f.mistake.steps), None)
    if result.status == "failed" and cause is not None:
        # Where in the graph the check stopped stays useful beside the named cause; the
        # other steps' messages say the same thing as the catalogue in other words.
        kept = ([f"The check found: {result.message}"]
                if result.step in ("structure", "numbers") and not cause.mistake.restates
                and named is None else [])
        result.message = cause.message[0].upper() + cause.message[1:]
        result.details = [*kept, f"Learn more: {cause.mistake.link}", *result.details]
        result.mistake, result.learn_more = cause.mistake.id, cause.mistake.link
    for note in notes:
        result.details.append(f"Note: {note.message} ({note.mistake.link})")
    return cause if result.status == "failed" else None


def explainer(exercise: Exercise | None):
    """The catalogue as the grading core's explanation step, for one exercise (None: for
    `kfunc_lessons.compare`, where only what holds for any reference is said)."""

    def explain(result, case: Case, named: str | None):
        evidence = Evidence(case.model, case.graph, case.reference, case.step, case.weights_of,
                            exercise)
        cause = explain_result(result, evidence, named)
        return (cause.learner, cause.reference) if cause is not None else None

    return explain
