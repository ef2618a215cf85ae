"""How the grader names things in its messages: what a node computes and where it sits, in
the learner's own layer names."""

from __future__ import annotations

from kfunc_lessons.core.graph import CanonicalGraph, Node

VERBS = {
    "add": "adds",
    "subtract": "subtracts",
    "multiply": "multiplies",
    "average": "averages",
    "maximum": "takes the maximum of",
    "minimum": "takes the minimum of",
    "concatenate": "concatenates",
}
_HEADLINE_KEYS = ("units", "filters", "kernel_size", "strides", "padding", "pool_size", "rate",
                  "max_value",
                  "axis", "use_bias", "return_sequences")


def setting(node: Node, key: str) -> str:
    """One config entry as the learner would write it: a merge's last axis is ``axis=-1``."""
    value = node.config.get(key)
    if key == "axis" and node.op == "concatenate" and value == len(node.shape):
        return "axis=-1 (the last axis)"
    return f"{key}={value!r}"


def describe(node: Node) -> str:
    """What a node computes, in the words a learner would use, without its wiring."""
    if node.op == "input":
        return f"model input '{node.layer_name}'"
    if node.op == "activation":
        return f"activation '{node.config.get('function')}'"
    if node.op in VERBS:
        return f"a layer that {VERBS[node.op]} its inputs ({node.op})"
    keys = [k for k in _HEADLINE_KEYS
            if k in node.config and not (k == "use_bias" and node.config[k] is True)]
    args = ", ".join(f"{k}={node.config[k]!r}" for k in keys)
    return f"{node.op}({args})"


def where(node: Node) -> str:
    """Point at a learner node by the learner's own names."""
    if node.op == "input":
        return f"model input '{node.layer_name}'"
    inside = f" (inside block '{node.scope[-1].name}')" if node.scope else ""
    if node.op == "activation":
        return f"the {node.config.get('function')} activation of your layer '{node.layer_name}'"
    return f"your layer '{node.layer_name}' ({node.op}){inside}"


def source(node: Node) -> str:
    """A learner node as the thing another layer reads."""
    if node.op == "input":
        return f"model input '{node.layer_name}'"
    if node.op == "activation":
        return where(node)
    return f"the output of {where(node)}"


def source_in_reference(graph: CanonicalGraph, node: Node) -> str:
    """A reference node as the thing a layer reads, with one step of context."""
    if node.op == "input":
        if len(graph.inputs) == 1:
            return "the model input directly"
        if not graph.matched_by_name("input"):  # names Keras generated mean nothing here
            return f"the model's input {graph.inputs.index(node.id) + 1}"
        return describe(node)
    before = [graph.nodes[i] for i in node.inputs]
    after = (f" (applied to {describe(before[0])})"
             if len(before) == 1 and before[0].op != "input" else "")
    return f"{describe(node)}{after}"
