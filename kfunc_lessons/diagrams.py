"""The graph-diff picture: the learner's graph beside the exercise's, the first difference
marked in both, drawn by Graphviz through pydot (as ``keras.utils.plot_model`` does).

A failed check keeps a `Picture` (plain labels and edges, cheap to make); the SVG is drawn only
when someone looks at it. Large models are cut down to the neighbourhood of the difference.
"""

from __future__ import annotations

import hashlib
import shutil
from collections import deque
from dataclasses import dataclass

from kfunc_lessons.describe import VERBS, describe
from kfunc_lessons.graph import CanonicalGraph, Node

MAX_NODES = 40  # larger graphs are drawn around the difference only
RADIUS = 5  # steps from a marked node that stay in a cut-down picture
MARK_FILL, MARK_LINE = "#ffe0b2", "#bf360c"  # light fill, dark text: readable in both themes
HOW_TO_GET_IT = ("Install Graphviz to see a picture of where your model differs "
                 "(apt install graphviz, brew install graphviz or conda install graphviz).")


class DiagramUnavailable(RuntimeError):
    """Graphviz's ``dot`` program is missing, so no picture can be drawn."""


@dataclass(frozen=True)
class Sketch:
    """One side of the picture: labelled nodes and edges, some nodes marked."""

    title: str
    labels: dict[int, str]  # node id -> label, in topological order
    edges: list[tuple[int, int]]
    marked: frozenset[int]
    left_out: int  # nodes not drawn (large graphs)


def _what(node: Node) -> str:
    if node.op == "input":
        return "Input"
    if node.op == "activation":
        return str(node.config.get("function"))
    if node.op in VERBS:
        return node.op
    return describe(node)


def sketch(graph: CanonicalGraph, marked: list[int], title: str, *, names: bool) -> Sketch:
    """Describe ``graph`` for drawing; ``names``: label nodes with the layers' own names."""
    keep = set(range(len(graph.nodes)))
    if len(graph.nodes) > MAX_NODES and marked:
        keep = _around(graph, marked)
    labels = {}
    for node in graph.nodes:
        if node.id in keep:
            shape = str((None, *node.shape))
            name = f"{node.layer_name}\n" if names and node.layer_name else ""
            labels[node.id] = f"{name}{_what(node)}\n{shape}"
    edges = [(i, node.id) for node in graph.nodes if node.id in keep
             for i in node.inputs if i in keep]
    return Sketch(title, labels, edges, frozenset(m for m in marked if m in keep),
                  len(graph.nodes) - len(keep))


def _around(graph: CanonicalGraph, marked: list[int]) -> set[int]:
    """Nodes within RADIUS steps (either direction) of a marked node."""
    neighbours: dict[int, set[int]] = {n.id: set(n.inputs) for n in graph.nodes}
    for node in graph.nodes:
        for i in node.inputs:
            neighbours[i].add(node.id)
    seen = {m: 0 for m in marked}
    queue = deque(marked)
    while queue:
        current = queue.popleft()
        if seen[current] == RADIUS:
            continue
        for other in neighbours[current]:
            if other not in seen:
                seen[other] = seen[current] + 1
                queue.append(other)
    return set(seen)


@dataclass(frozen=True)
class Picture:
    """The learner's sketch beside the exercise's."""

    mine: Sketch
    reference: Sketch

    def to_dot(self) -> str:
        """The picture in Graphviz's DOT language."""
        import pydot

        ident = "kl" + hashlib.sha1(repr(self).encode()).hexdigest()[:8]
        dot = pydot.Dot(ident, graph_type="digraph", rankdir="TB", bgcolor="white",
                        fontname="DejaVu Sans", fontcolor="black", id=ident)
        dot.set_node_defaults(shape="box", style="\"rounded,filled\"", fillcolor="white",
                              color="#757575", fontname="DejaVu Sans", fontsize="11",
                              fontcolor="black")
        dot.set_edge_defaults(color="#616161")
        for side, part in (("mine", self.mine), ("ref", self.reference)):
            left_out = f"\n({part.left_out} more nodes not shown)" if part.left_out else ""
            cluster = pydot.Cluster(f"{ident}_{side}", label=part.title + left_out,
                                    labelloc="t", fontsize="13", color="#9e9e9e")
            mark = "first difference" if side == "mine" else "expected here"
            for node_id, label in part.labels.items():
                attrs = {}
                if node_id in part.marked:
                    attrs = dict(fillcolor=MARK_FILL, color=MARK_LINE, penwidth="3",
                                 fontcolor="black", style="\"rounded,filled,bold\"")
                    label = f"\u25b6 {mark}\n{label}"
                cluster.add_node(pydot.Node(f"{side}{node_id}", label=_quoted(label), **attrs))
            for a, b in part.edges:
                cluster.add_edge(pydot.Edge(f"{side}{a}", f"{side}{b}"))
            dot.add_subgraph(cluster)
        return dot.to_string()

    def svg(self) -> str:
        """The picture as SVG text (raises DiagramUnavailable without Graphviz)."""
        import pydot

        if shutil.which("dot") is None:
            raise DiagramUnavailable(HOW_TO_GET_IT)
        graphs = pydot.graph_from_dot_data(self.to_dot())
        try:
            data = graphs[0].create_svg()
        except Exception as exc:  # dot present but failing: say so, never crash a verdict
            raise DiagramUnavailable(f"Graphviz could not draw the picture ({exc}).") from None
        text = data.decode("utf-8")
        return text[text.index("<svg"):]  # no XML prolog: the SVG can sit inside HTML


def _quoted(label: str) -> str:
    escaped = label.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def picture(mine: CanonicalGraph, reference: CanonicalGraph, marked_mine: list[int],
            marked_reference: list[int]) -> Picture:
    """The picture of a failed check, the given nodes marked."""
    return Picture(sketch(mine, marked_mine, "Your model", names=True),
                   sketch(reference, marked_reference, "The exercise", names=False))
