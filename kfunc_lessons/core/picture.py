"""The graph-diff picture: the learner's graph beside the exercise's, the first difference
marked in both, written in DOT with pydot (as ``keras.utils.plot_model`` does) and drawn by
Graphviz's ``dot``.

A failed check keeps a `Picture` (plain labels and edges, cheap to make); the SVG is drawn only
when someone looks at it. Large models are cut down to the neighbourhood of the difference.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections import deque
from dataclasses import dataclass
from functools import lru_cache

from kfunc_lessons.core.describe import VERBS, describe
from kfunc_lessons.core.graph import CanonicalGraph, Node, folded_activation

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
    inputs: tuple[int, ...] = ()  # the model inputs drawn, left to right


def _what(node: Node) -> str:
    if node.op == "input":
        return "Input"
    if node.op == "activation":
        return str(node.config.get("function"))
    if node.op in VERBS:
        return node.op
    return describe(node)


def _collapsed(graph: CanonicalGraph) -> dict[int, int]:
    """Node id -> the id it is drawn as: every use of a shared layer (and of its folded
    activation) is drawn as the layer's first use, so the sharing shows as one node."""
    first_use: dict[tuple, int] = {}
    drawn: dict[int, int] = {}
    for node in graph.nodes:
        key = None
        if node.owner is not None:
            key = ("layer", id(node.owner))
        elif folded_activation(graph, node) and graph.nodes[node.inputs[0]].owner is not None:
            key = ("activation", id(graph.nodes[node.inputs[0]].owner))
        drawn[node.id] = node.id if key is None else first_use.setdefault(key, node.id)
    return drawn


def sketch(graph: CanonicalGraph, marked: list[int], title: str, *, names: bool,
           badges: dict[int, str] | None = None, order: list[int] | None = None) -> Sketch:
    """Describe ``graph`` for drawing; ``names``: label nodes with the layers' own names;
    ``badges``: a short note per node (frozen, trained weights); ``order``: the node ids in
    the order to draw them (branches keep this left-to-right order)."""
    keep = set(range(len(graph.nodes)))
    if len(graph.nodes) > MAX_NODES and marked:
        keep = _around(graph, marked)
    drawn = _collapsed(graph)
    uses = {i: sum(1 for d in drawn.values() if d == i) for i in set(drawn.values())}
    labels = {}
    for node_id in order or range(len(graph.nodes)):
        node = graph.nodes[node_id]
        if node.id not in keep or drawn[node.id] != node.id:
            continue
        shape = str((None, *node.shape))
        if node.op == "input":
            labels[node.id] = f"Input '{node.layer_name}'\n{shape}"
            continue
        name = f"{node.layer_name}\n" if names and node.layer_name else ""
        shared = f"\nshared: {uses[node.id]} uses" if uses[node.id] > 1 else ""
        badge = f"\n[{badges[node.id]}]" if badges and node.id in badges else ""
        labels[node.id] = f"{name}{_what(node)}\n{shape}{shared}{badge}"
    edges = [(drawn[i], drawn[node.id]) for node_id in order or range(len(graph.nodes))
             for node in [graph.nodes[node_id]] if node.id in keep
             for i in node.inputs if i in keep]
    edges = [edge for edge in edges if edge[0] in labels and edge[1] in labels]
    return Sketch(title, labels, edges,
                  frozenset(drawn[m] for m in marked if m in keep and drawn[m] in labels),
                  len(graph.nodes) - len(keep),
                  tuple(i for i in labels if graph.nodes[i].op == "input"))


def aligned_order(graph: CanonicalGraph, counterpart: dict[int, int]) -> list[int]:
    """The learner's node ids in the reference's order where they are paired with a
    reference node (``counterpart``), each other node right after its inputs: both pictures
    then draw their branches in the same left-to-right order."""
    key: dict[int, tuple] = {}
    for node in graph.nodes:
        if node.id in counterpart:
            key[node.id] = (counterpart[node.id], 0, node.id)
        else:
            key[node.id] = (max((key[i][0] for i in node.inputs), default=-1), 1, node.id)
    return sorted(key, key=key.__getitem__)


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

    learner: Sketch
    reference: Sketch

    def to_dict(self) -> dict:
        """A JSON-serialisable form (`from_dict` reads it back): a regraded class keeps the
        pictures of the verdicts it reuses."""
        return {side: {"title": part.title, "labels": [[i, t] for i, t in part.labels.items()],
                       "edges": [list(e) for e in part.edges], "marked": sorted(part.marked),
                       "left_out": part.left_out, "inputs": list(part.inputs)}
                for side, part in (("learner", self.learner), ("reference", self.reference))}

    @classmethod
    def from_dict(cls, data: dict) -> Picture:
        """The picture `to_dict` described (KeyError, TypeError or ValueError otherwise)."""
        def sketch(part: dict) -> Sketch:
            return Sketch(str(part["title"]), {int(i): str(t) for i, t in part["labels"]},
                          [(int(a), int(b)) for a, b in part["edges"]],
                          frozenset(int(i) for i in part["marked"]), int(part["left_out"]),
                          tuple(int(i) for i in part["inputs"]))
        return cls(sketch(data["learner"]), sketch(data["reference"]))

    def to_dot(self) -> str:
        """The picture in Graphviz's DOT language."""
        import pydot

        ident = "kl" + hashlib.sha1(repr(self).encode()).hexdigest()[:8]
        dot = pydot.Dot(ident, graph_type="digraph", rankdir="TB", bgcolor="white",
                        fontname="DejaVu Sans", fontcolor="black", id=ident, ordering="out")
        dot.set_node_defaults(shape="box", style="\"rounded,filled\"", fillcolor="white",
                              color="#757575", fontname="DejaVu Sans", fontsize="11",
                              fontcolor="black")
        dot.set_edge_defaults(color="#616161")
        for side, part in (("learner", self.learner), ("reference", self.reference)):
            left_out = f"\n({part.left_out} more nodes not shown)" if part.left_out else ""
            cluster = pydot.Cluster(f"{ident}_{side}", label=part.title + left_out,
                                    labelloc="t", fontsize="13", color="#9e9e9e")
            mark = "first difference" if side == "learner" else "expected here"
            for node_id, label in part.labels.items():
                attrs = {}
                if node_id in part.marked:
                    attrs = dict(fillcolor=MARK_FILL, color=MARK_LINE, penwidth="3",
                                 fontcolor="black", style="\"rounded,filled,bold\"")
                    label = f"\u25b6 {mark}\n{label}"
                cluster.add_node(pydot.Node(f"{side}{node_id}", label=_quoted(label), **attrs))
            for a, b in part.edges:
                cluster.add_edge(pydot.Edge(f"{side}{a}", f"{side}{b}"))
            if len(part.inputs) > 1:  # inputs side by side, in order: branches follow them
                row = pydot.Subgraph(f"{ident}_{side}_inputs", rank="same")
                for a, b in zip(part.inputs, part.inputs[1:]):
                    row.add_edge(pydot.Edge(f"{side}{a}", f"{side}{b}", style="invis"))
                cluster.add_subgraph(row)
            dot.add_subgraph(cluster)
        return dot.to_string()

    def svg(self) -> str:
        """The picture as SVG text (raises DiagramUnavailable without Graphviz)."""
        text = _draw(self.to_dot(), "svg").decode("utf-8")
        return text[text.index("<svg"):]  # no XML prolog: the SVG can sit inside HTML

    def png(self) -> bytes:
        """The picture as a PNG image (raises DiagramUnavailable without Graphviz)."""
        return _draw(self.to_dot(), "png")


@lru_cache(maxsize=256)
def _draw(dot_text: str, fmt: str) -> bytes:
    """Graphviz's drawing of ``dot_text``, given straight to ``dot`` (pydot would parse the
    text back first, 0.3 s a picture: a class report draws hundreds); the same picture,
    as a class of identical mistakes gives, is drawn once."""
    program = shutil.which("dot")
    if program is None:
        raise DiagramUnavailable(HOW_TO_GET_IT)
    try:
        done = subprocess.run([program, f"-T{fmt}"], input=dot_text.encode("utf-8"),
                              capture_output=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError) as exc:  # dot present but failing: say so
        raise DiagramUnavailable(f"Graphviz could not draw the picture ({exc}).") from None
    return done.stdout


def _quoted(label: str) -> str:
    escaped = label.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def picture(learner: CanonicalGraph, reference: CanonicalGraph, marked_learner: list[int],
            marked_reference: list[int], *, badges_learner: dict[int, str] | None = None,
            badges_reference: dict[int, str] | None = None,
            counterpart: dict[int, int] | None = None) -> Picture:
    """The picture of a failed check, the given nodes marked; ``counterpart``: learner node
    -> the reference node it was paired with, to draw both in the same order."""
    order = aligned_order(learner, counterpart) if counterpart else None
    return Picture(sketch(learner, marked_learner, "Your model", names=True, badges=badges_learner,
                          order=order),
                   sketch(reference, marked_reference, "The exercise", names=False,
                          badges=badges_reference))
