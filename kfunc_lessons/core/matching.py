"""Structural matching of a learner's canonical graph against a reference one.

The matcher walks both graphs backwards from the outputs, pairing nodes. It yields the pairing
(and so which learner layer plays the part of which reference layer, the basis for mapping
reference weights by structure) or the earliest place, in forward order, where the learner's
model stops computing what the reference computes.
"""

from __future__ import annotations

from dataclasses import dataclass

from kfunc_lessons.core.describe import (
    VERBS,
    describe,
    setting,
    source,
    source_in_reference,
    where,
)
from kfunc_lessons.core.graph import CanonicalGraph, Node, folded_activation


@dataclass
class Divergence:
    """Where and how the learner's model departs from the reference."""

    message: str
    depth: int  # forward depth in the learner's graph; smaller is earlier
    at: tuple[int, int] | None = None  # (learner node, reference node) compared when found
    marks: tuple[int, ...] = ()  # the learner nodes the message names, where more than `at`


def subgraph_hashes(graph: CanonicalGraph, input_tokens: dict[int, object]) -> list[int]:
    """A hash per node of the whole computation ending there (operand order kept except for
    commutative merges). Equal hashes mean equal subgraphs, up to weight sharing."""
    hashes: list[int] = []
    for node in graph.nodes:  # topological order: inputs hash before their consumers
        if node.op == "input":
            hashes.append(hash(("input", input_tokens.get(node.id, node.layer_name))))
            continue
        children = [hashes[i] for i in node.inputs]
        if node.commutative:
            children.sort()
        key = (node.op, tuple(sorted(node.config.items())), node.shape, tuple(children))
        hashes.append(hash(key))
    return hashes


def _inputs_differ(m: Node, r: Node) -> Divergence:
    return Divergence(f"{where(m)} takes {len(m.inputs)} inputs; in the exercise, {describe(r)} "
                      f"takes {len(r.inputs)}.", m.depth)


class Matcher:
    """Pair reference nodes with learner nodes; see `run`.

    Subgraph hashes choose the operand pairing of commutative merges and recognise one layer too
    many or too few, so the walk never backtracks: each pair of nodes is visited once, which
    keeps ResNet-sized graphs cheap.
    """

    def __init__(self, ref: CanonicalGraph, learner: CanonicalGraph, input_pairs: dict):
        self.ref, self.learner = ref, learner
        self.input_pairs = input_pairs  # ref input node id -> learner input node id
        tokens = {r: i for i, r in enumerate(ref.inputs)}
        self.ref_hash = subgraph_hashes(ref, tokens)
        self.learner_hash = subgraph_hashes(
            learner, {m: tokens[r] for r, m in input_pairs.items()})
        self.pairs: dict[int, int] = {}
        self.rev: dict[int, int] = {}
        self.owners: dict[int, object] = {}  # id(ref owner) -> learner owner
        self.owners_rev: dict[int, object] = {}  # id(learner owner) -> ref owner
        self.visited: dict[tuple[int, int], Divergence | None] = {}

    def run(self, output_pairs: list[tuple[int, int]]) -> Divergence | None:
        """Match every (ref output, learner output) pair; the earliest divergence or None."""
        found = [d for r, m in output_pairs if (d := self.match(r, m)) is not None]
        return min(found, key=lambda d: d.depth) if found else None

    def match(self, rid: int, mid: int) -> Divergence | None:
        """Match the subgraphs ending at ref node ``rid`` and learner node ``mid``."""
        # Iterative over a worklist: deep graphs (DenseNet121) exceed Python's recursion limit.
        found: list[Divergence] = []
        stack: list[tuple[int, int, Node | None]] = [(rid, mid, None)]
        while stack:
            r_id, m_id, consumer = stack.pop()
            if (r_id, m_id) in self.visited:
                continue
            m = self.learner.nodes[m_id]
            divergence, children = self._visit(self.ref.nodes[r_id], m, consumer)
            self.visited[(r_id, m_id)] = divergence
            if divergence is not None:
                divergence.at = (m_id, r_id)
                found.append(divergence)
            stack.extend((a, b, m) for a, b in children)
        return min(found, key=lambda d: d.depth) if found else None

    def _visit(self, r: Node, m: Node, consumer: Node | None):
        """Compare one pair; return its own divergence and the input pairs still to visit."""
        if (m.opaque and len(m.inputs) == 1 and r.op != "input"
                and self.learner_hash[m.inputs[0]] == self.ref_hash[r.id]):
            return None, [(r.id, m.inputs[0])]  # an extra opaque layer: the numbers decide
        if r.id in self.pairs or m.id in self.rev:
            if self.pairs.get(r.id) == m.id:
                return None, []
            return self._reused(r, m, consumer), []
        if (r.opaque or m.opaque) and r.op != "input":
            return self._wildcard(r, m)
        if r.op != "input" and self.learner_hash[m.id] != self.ref_hash[r.id]:
            # Something below differs. Before pairing these two, see whether m is an extra
            # layer (even one that repeats the layer before it, like a second ReLU) or sits
            # where the reference has one more layer.
            shifted = self._shifted(r, m)
            if shifted is not None:
                return shifted
        own = self._own_difference(r, m)
        if (own is not None and r.op != m.op and consumer is not None
                and not (r.op in VERBS and m.op in VERBS)):
            own = Divergence(f"{where(consumer)} reads {source(m)}; in the exercise it reads "
                             f"{source_in_reference(self.ref, r)}.", m.depth)
        if own is None:
            self._record(r, m)
        if len(r.inputs) != len(m.inputs):
            return own or _inputs_differ(m, r), []
        order = self._operand_order(r, m)
        if order is None:
            return own or Divergence(
                f"{where(m)} gets the right inputs in the wrong order: the order of "
                f"{m.op} inputs matters (the exercise's order is fixed).", m.depth), []
        return own, list(zip(r.inputs, order))

    def _wildcard(self, r: Node, m: Node):
        """An opaque node (Lambda, custom layer) stands for whatever the reference computes in
        its place, the numbers step decides. On a chain it may stand for several reference
        nodes (a custom Dense with its activation) or for none (an extra Lambda)."""
        covered = self._chain_covered(r, m) if m.opaque and len(m.inputs) == 1 else None
        if covered is not None:
            chain, below = covered
            for node in chain:
                self.pairs[node.id] = m.id
            if chain:
                self.rev[m.id] = chain[0].id
            weighted = [node for node in chain if node.owner is not None]
            if len(weighted) == 1 and m.owner is not None:
                self._map_owner(weighted[0], m)
            return None, [(below.id, m.inputs[0])]
        if len(r.inputs) != len(m.inputs):
            return _inputs_differ(m, r), []
        self._record(r, m)
        return None, list(zip(r.inputs, self._operand_order(r, m) or m.inputs))

    def _chain_covered(self, r: Node, m: Node):
        """(the reference chain from ``r`` down that ``m`` replaces, the reference node its
        input corresponds to), or None when no such chain exists."""
        target, chain, node = self.learner_hash[m.inputs[0]], [], r
        while self.ref_hash[node.id] != target:
            if node.op == "input" or len(node.inputs) != 1 or node.id in self.pairs:
                return None
            chain.append(node)
            node = self.ref.nodes[node.inputs[0]]
        return chain, node

    def _operand_order(self, r: Node, m: Node) -> list[int] | None:
        """The learner operands in the reference's order; None when only a reorder fits."""
        ref_h = [self.ref_hash[i] for i in r.inputs]
        mine = list(m.inputs)
        if not r.commutative:
            mine_h = [self.learner_hash[i] for i in mine]
            if ref_h != mine_h and len(mine) > 1 and sorted(ref_h) == sorted(mine_h):
                return None
            return mine
        order: list[int | None] = [None] * len(ref_h)
        left = list(mine)
        for k, h in enumerate(ref_h):
            hit = next((i for i in left if self.learner_hash[i] == h), None)
            if hit is not None:
                order[k] = hit
                left.remove(hit)
        for k in range(len(order)):
            if order[k] is None:
                order[k] = left.pop(0)
        return order

    def _shifted(self, r: Node, m: Node):
        """Recognise one layer too many or one too few on a chain (by subgraph hash). A
        missing layer may be two canonical nodes: a Dense and its folded activation."""
        extra = self._extra_layer(r, m)
        if extra == [m] and folded_activation(self.learner, m):  # a setting, not a layer
            layer = self.learner.nodes[m.inputs[0]]
            return Divergence(f"{where(m)} is one activation too many: the exercise's "
                              f"{describe(layer)} has no activation here. Remove "
                              f"activation='{m.config.get('function')}' from your layer "
                              f"'{layer.layer_name}'.", m.depth), []
        if extra:
            layer, below = extra[0], self.learner.nodes[extra[0].inputs[0]]
            readers = [n for n in self.learner.nodes if m.id in n.inputs]
            what = describe(layer) + (f" with {describe(m)}" if len(extra) == 2 else "")
            inside = f" (inside block '{layer.scope[-1].name}')" if layer.scope else ""
            after = (f"between {source(below)} and {where(readers[0])}; the exercise goes "
                     "straight from one to the other" if len(readers) == 1
                     else f"after {source(below)}; the exercise goes straight on without it")
            return Divergence(f"your layer '{layer.layer_name}' ({what}){inside} is one layer "
                              f"too many: it sits {after}.", m.depth,
                              marks=tuple(n.id for n in extra)), []
        above, node = [], r
        while len(node.inputs) == 1 and len(above) < 2:
            above.append(node)
            node = self.ref.nodes[node.inputs[0]]
            if self.ref_hash[node.id] != self.learner_hash[m.id]:
                continue
            missing = above[-1]
            folded = len(above) == 2 and folded_activation(self.ref, above[0])
            if len(above) == 2 and not folded:
                return None  # two separate layers missing: let the pairs below say where
            what = describe(missing) + (f" with {describe(above[0])}" if folded else "")
            return Divergence(f"a layer is missing after {where(m)}: the exercise applies "
                              f"{what} to its output.", m.depth + 1), []
        return None

    def _extra_layer(self, r: Node, m: Node) -> list[Node]:
        """The learner nodes, from ``m`` down, of one layer that the exercise does not have
        before ``r``: one node, or two for a layer with its activation folded in
        (Dense(64, activation="relu")). Empty when ``m`` is not such a layer."""
        chain, node = [], m
        while len(node.inputs) == 1 and len(chain) < 2:
            chain.append(node)
            below = self.learner.nodes[node.inputs[0]]
            if self.learner_hash[below.id] == self.ref_hash[r.id]:
                one_layer = len(chain) == 1 or folded_activation(self.learner, chain[0])
                return chain[::-1] if one_layer else []
            node = below
        return []

    def _reused(self, r: Node, m: Node, consumer: Node | None) -> Divergence:
        """``consumer`` reads ``m`` where the exercise reads ``r``, and one of the two is
        already paired elsewhere: the learner shares a tensor the exercise keeps separate,
        or keeps separate a tensor the exercise shares."""
        reader = where(consumer) if consumer is not None else "your model"
        if r.id in self.pairs:  # the exercise's tensor is already paired, read by another
            shared = self.learner.nodes[self.pairs[r.id]]
            others = [n for n in self.learner.nodes
                      if shared.id in n.inputs and (consumer is None or n.id != consumer.id)]
            with_whom = f" as {where(others[0])}" if others else ""
            return Divergence(
                f"{reader} reads {source(m)}; in the exercise it reads the same tensor"
                f"{with_whom}, {source(shared)}: both read ONE tensor, "
                f"{source_in_reference(self.ref, r)}. Feed that one tensor to both.",
                m.depth, marks=(m.id, shared.id))
        # The learner's tensor already plays another part: a plain rewiring, here.
        return Divergence(f"{reader} reads {source(m)}; in the exercise it reads "
                          f"{source_in_reference(self.ref, r)}.", m.depth)

    def _record(self, r: Node, m: Node) -> None:
        self.pairs[r.id], self.rev[m.id] = m.id, r.id
        if r.owner is not None and m.owner is not None:
            self._map_owner(r, m)

    def _map_owner(self, r: Node, m: Node) -> None:
        self.owners[id(r.owner)] = m.owner
        self.owners_rev[id(m.owner)] = r.owner

    def _own_difference(self, r: Node, m: Node) -> Divergence | None:
        """Compare one pair of nodes, ignoring their inputs."""
        if r.op == "input" or m.op == "input":
            if r.op == m.op == "input" and self.input_pairs.get(r.id) == m.id:
                return None
            if m.op == "input":
                return Divergence(f"{where(m)} is used where the exercise has "
                                  f"{source_in_reference(self.ref, r)}.", m.depth)
            return Divergence(f"{where(m)} sits where the exercise uses {describe(r)} "
                              "directly.", m.depth)
        if r.op != m.op:
            if r.op in VERBS and m.op in VERBS:
                return Divergence(
                    f"{where(m)} {VERBS[m.op]} its inputs; the exercise {VERBS[r.op]} them "
                    f"({r.op}) here.", m.depth)
            return Divergence(f"{where(m)} is {describe(m)}; the exercise has {describe(r)} "
                              "here.", m.depth)
        if r.config != m.config:
            return Divergence(self._config_message(r, m), m.depth)
        if r.shape != m.shape:
            return Divergence(f"{where(m)} outputs shape {m.shape}; the exercise expects "
                              f"{r.shape} here.", m.depth)
        return self._owner_difference(r, m)

    def _config_message(self, r: Node, m: Node) -> str:
        if r.op == "activation":
            return (f"{where(m)} is '{m.config.get('function')}'; the exercise needs "
                    f"'{r.config.get('function')}' here.")
        diffs = [k for k in sorted(set(r.config) | set(m.config))
                 if r.config.get(k) != m.config.get(k)]
        said = ", ".join(setting(m, k) for k in diffs)
        wanted = ", ".join(setting(r, k) for k in diffs)
        return f"{where(m)} has {said}; the exercise needs {wanted}."

    def _owner_difference(self, r: Node, m: Node) -> Divergence | None:
        if (r.owner is None) != (m.owner is None):
            return Divergence(f"{where(m)} is {describe(m)} but holds different weights from "
                              "the exercise's.", m.depth)
        if r.owner is None:
            return None
        mapped = self.owners.get(id(r.owner))
        if mapped is not None and mapped is not m.owner:
            return Divergence(
                f"your layers '{mapped.name}' and '{m.owner.name}' are two separate layers, "
                "but the exercise uses ONE layer in both places, so that both calls share "
                "their weights. Create the layer once and call that same object on each "
                "input.", m.depth)
        back = self.owners_rev.get(id(m.owner))
        if back is not None and back is not r.owner:
            return Divergence(
                f"{where(m)} is called more than once, sharing its weights, where the exercise "
                "uses separate layers with their own weights. Create a new layer for each use.",
                m.depth)
        return None
