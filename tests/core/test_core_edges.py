"""The grading core's edges that the course's exercises seldom reach: one pair of nodes compared
by itself, the depths that choose the first difference, pass-through layers and extra outputs
in the canonical graph, a weighted layer of the learner's own where the exercise has none,
and what an explainer is handed. Each was a surviving mutant of the sampled mutation run
(benchmarks/mutation.py)."""

import keras
import numpy as np
from keras import layers, ops

import kfunc_lessons as kl
from kfunc_lessons.core.engine import Task, run_check
from kfunc_lessons.core.execute import run_trace
from kfunc_lessons.core.graph import CanonicalGraph, Node, canonical_graph
from kfunc_lessons.core.matching import Divergence, Matcher
from kfunc_lessons.course.references import random_probe

# ---- one pair of nodes, compared by itself ---------------------------------------------------


def _two_input_graphs():
    ref = CanonicalGraph(
        nodes=[Node(0, "input", {}, [], (8,), layer_name="a"),
               Node(1, "input", {}, [], (8,), layer_name="b"),
               Node(2, "Dense", {"units": 4}, [0], (4,), layer_name="d", depth=1)],
        inputs=[0, 1], input_names=["a", "b"])
    learner = CanonicalGraph(
        nodes=[Node(0, "input", {}, [], (8,), layer_name="a"),
               Node(1, "input", {}, [], (8,), layer_name="b"),
               Node(2, "Dense", {"units": 4}, [1], (4,), layer_name="mine", depth=1),
               Node(3, "Dense", {"units": 4}, [0], (5,), layer_name="wide", depth=3)],
        inputs=[0, 1], input_names=["a", "b"])
    return Matcher(ref, learner, {0: 0, 1: 1}), ref.nodes, learner.nodes


def test_each_kind_of_pair_names_the_learners_node_at_its_own_depth():
    matcher, ref, mine = _two_input_graphs()
    assert matcher._own_difference(ref[0], mine[0]) is None  # the paired input
    assert matcher._own_difference(ref[0], mine[1]) == Divergence(
        "model input 'b' is used where the exercise has model input 'a'.", 0)
    assert matcher._own_difference(ref[0], mine[2]) == Divergence(
        "your layer 'mine' (Dense) sits where the exercise uses model input 'a' directly.", 1)
    assert matcher._own_difference(ref[2], mine[1]) == Divergence(
        "model input 'b' is used where the exercise has Dense(units=4).", 0)
    assert matcher._own_difference(ref[2], mine[3]) == Divergence(
        "your layer 'wide' (Dense) outputs shape (5,); the exercise expects (4,) here.", 3)
    flat = Node(4, "Flatten", {}, [0], (8,), layer_name="flat", depth=1)
    assert matcher._own_difference(ref[2], flat) == Divergence(
        "your layer 'flat' (Flatten) is Flatten(); the exercise has Dense(units=4) here.", 1)


def test_two_outputs_that_both_differ_report_the_earlier_one():
    # One output of the exercise is its input itself: the learner puts a layer there, and
    # gets the other output's activation wrong one layer further on.
    x = keras.Input((8,), name="x")
    reference = keras.Model(x, [x, layers.Dense(4, activation="relu", name="head")(
        layers.Dense(6)(x))])
    y = keras.Input((8,), name="features")
    learner = keras.Model(y, [layers.Dense(8, name="x")(y),
                              layers.Dense(4, activation="tanh", name="head")(
                                  layers.Dense(6, name="hidden")(y))])
    result = kl.compare(reference, learner)
    assert result.status == "failed", result
    assert result.message == ("your layer 'x' (Dense) sits where the exercise uses model "
                              "input 'x' directly."), result


def test_a_layer_reading_a_merge_the_learner_left_out_is_named_as_the_reader():
    x = keras.Input((8,))
    reference = keras.Model(x, layers.Dense(10)(layers.add([layers.Dense(8)(x),
                                                            layers.Dense(8)(x)])))
    y = keras.Input((8,))
    learner = keras.Model(y, layers.Dense(10, name="out")(layers.Dense(8, name="h")(y)))
    result = kl.compare(reference, learner)
    assert result.message == ("your layer 'out' (Dense) reads the output of your layer 'h' "
                              "(Dense); in the exercise it reads a layer that adds its inputs "
                              "(add)."), result


# ---- the canonical graph ---------------------------------------------------------------------


def test_depth_counts_layers_from_the_inputs():
    x = keras.Input((5,))
    model = keras.Model(x, layers.Dense(2)(layers.Dense(3, activation="relu")(x)))
    assert [(n.op, n.depth) for n in canonical_graph(model).nodes] == [
        ("input", 0), ("Dense", 1), ("activation", 2), ("Dense", 3)]


def test_an_identity_layer_is_no_node_and_the_layers_after_it_are_kept():
    x = keras.Input((5,))
    model = keras.Model(x, layers.Dense(2)(layers.Identity()(layers.Dense(3)(x))))
    graph = canonical_graph(model)
    assert [(n.op, n.inputs) for n in graph.nodes] == [
        ("input", []), ("Dense", [0]), ("Dense", [1])]


def test_an_lstms_states_are_output_nodes_of_their_own():
    series = keras.Input((3, 2))
    output, memory, carry = layers.LSTM(4, return_state=True)(series)
    graph = canonical_graph(keras.Model(series, [output, memory, carry]))
    assert [(n.op, n.config, n.inputs) for n in graph.nodes[1:]] == [
        ("LSTM", graph.nodes[1].config, [0]), ("output", {"index": 1}, [1]),
        ("output", {"index": 2}, [1])]
    assert graph.outputs == [1, 2, 3]


def test_a_raw_operations_settings_are_compared():
    x = keras.Input((4, 6))
    reference = keras.Model(x, layers.Dense(3)(ops.mean(x, axis=1)))
    y = keras.Input((4, 6))
    learner = keras.Model(y, layers.Dense(3)(ops.mean(y, axis=1, keepdims=True)[:, 0]))
    assert canonical_graph(reference).nodes[1].config == {"axis": 1, "keepdims": False}
    assert not kl.compare(reference, learner).passed


def test_a_graph_without_a_trace_matches_several_named_inputs_by_name():
    graph = CanonicalGraph(input_names=["left", "right"], output_names=["only"])
    assert graph.matched_by_name("input") and not graph.matched_by_name("output")


# ---- a layer of the learner's own -----------------------------------------------------------


class Scale(layers.Layer):
    """ReLU times a trainable factor that starts at 1: where the exercise has a ReLU, it
    computes the same until it is trained."""

    def build(self, shape):
        self.factor = self.add_weight(shape=(), initializer="ones")

    def call(self, x):
        return ops.relu(x) * self.factor


def test_a_weighted_layer_of_ones_own_may_stand_for_a_weightless_one():
    x = keras.Input((6,))
    reference = keras.Model(x, layers.Dense(2)(layers.ReLU()(layers.Dense(8)(x))))
    y = keras.Input((6,))
    learner = keras.Model(y, layers.Dense(2)(Scale()(layers.Dense(8)(y))))
    assert kl.compare(reference, learner).status == "passed"


# ---- what an explainer sees and marks --------------------------------------------------------


def _task(reference: keras.Model, explain) -> Task:
    graph = canonical_graph(reference)
    probe = random_probe(graph, seed=0)
    return Task("edges", graph, probe, run_trace(graph.trace, probe, lambda layer: None),
                lambda layer: layer.get_weights(), explain=explain)


def _wrong_activation():
    x = keras.Input((6,))
    reference = keras.Model(x, layers.Dense(2, activation="relu")(x))
    y = keras.Input((6,))
    return reference, keras.Model(y, layers.Dense(2, activation="tanh")(y))


def test_the_explainer_is_told_the_step_that_decided():
    seen = []
    reference, learner = _wrong_activation()
    result = run_check(_task(reference, lambda r, case, cause: seen.append(case.step)),
                       learner)
    assert result.step == "structure" and seen == ["structure"]


def test_an_explanation_that_marks_no_learner_node_keeps_the_pipelines_marks():
    reference, learner = _wrong_activation()
    plain = run_check(_task(reference, None), learner)
    explained = run_check(_task(reference, lambda r, case, cause: ((), (0,))), learner)
    assert plain.picture.learner.marked  # the wrong activation
    assert explained.picture.learner.marked == plain.picture.learner.marked
    assert explained.picture.reference.marked == plain.picture.reference.marked
    assert np.isfinite(plain.max_abs_diff or 0.0)
