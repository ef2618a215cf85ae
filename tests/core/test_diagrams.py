"""The graph-diff picture: drawn for failed checks only, the difference marked in both graphs,
large models cut down around it, and a plain line instead where Graphviz is missing."""

import json
import subprocess
import sys

import keras
import pytest
from keras import layers

import kfunc_lessons as kl
from kfunc_lessons.core import picture as diagrams
from kfunc_lessons.core.picture import DiagramUnavailable
from tests.conftest import ROOT


def _wrong_units():
    x = keras.Input((10,))
    h = layers.Dense(32, activation="relu", name="too_narrow")(x)
    return keras.Model(x, layers.Dense(10, activation="softmax", name="head")(h))


def _right():
    x = keras.Input((10,))
    return keras.Model(x, layers.Dense(10, activation="softmax")(
        layers.Dense(64, activation="relu")(x)))


def test_a_failed_check_draws_both_graphs_with_the_difference_marked():
    result = kl.check("functional_equivalent", _wrong_units())
    assert not result.passed and result.picture is not None
    mine, ref = result.picture.learner, result.picture.reference
    assert len(mine.marked) == 1 and len(ref.marked) == 1
    assert "too_narrow" in mine.labels[next(iter(mine.marked))]
    assert "units=64" in ref.labels[next(iter(ref.marked))]
    svg = result.diagram()
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    for words in ("Your model", "The exercise", "first difference", "expected here",
                  "too_narrow", "Dense(units=32)", "Dense(units=64)"):
        assert words in svg, words
    html = result._repr_html_()
    assert "<svg" in html and "first difference is marked in both" in html


def test_no_picture_when_passed_or_when_there_is_no_graph():
    passed = kl.check("functional_equivalent", _right())
    assert passed.passed and passed.diagram() is None and "<svg" not in passed._repr_html_()
    for nothing in (None, "model", ...):
        result = kl.check("functional_equivalent", nothing)
        assert result.diagram() is None and "<svg" not in result._repr_html_()


def test_without_graphviz_the_text_stays_and_one_line_says_how_to_get_the_picture(monkeypatch):
    result = kl.check("functional_equivalent", _wrong_units())
    monkeypatch.setattr(diagrams.shutil, "which", lambda name: None)
    with pytest.raises(DiagramUnavailable, match="Install Graphviz"):
        result.diagram()
    html = result._repr_html_()
    assert "<svg" not in html and "Install Graphviz" in html and "too_narrow" in html


def test_the_picture_is_not_part_of_the_json_verdict():
    result = kl.check("functional_equivalent", _wrong_units())
    data = result.to_dict()
    assert "picture" not in data and json.loads(json.dumps(data)) == data
    assert kl.CheckResult.from_dict(data).to_dict() == data


def test_labels_are_escaped_for_graphviz():
    x = keras.Input((10,))
    h = layers.Dense(32, activation="relu", name='a"quote\\slash')(x)
    model = keras.Model(x, layers.Dense(10, activation="softmax")(h))
    svg = kl.check("functional_equivalent", model).diagram()
    assert "a&quot;quote\\slash" in svg or 'a"quote\\slash' in svg


def test_a_large_model_is_drawn_around_the_difference_only():
    from kfunc_lessons import surgery

    reference = keras.applications.ResNet50(weights=None, input_shape=(64, 64, 3),
                                            classes=10)
    changed = surgery.replace_layer(reference, "conv3_block2_2_relu", layers.Activation("tanh"))
    result = kl.compare(reference, changed)
    assert not result.passed
    mine = result.picture.learner
    assert len(mine.labels) < diagrams.MAX_NODES
    assert mine.left_out > 150 and len(mine.labels) + mine.left_out > 170
    svg = result.diagram()
    assert f"({mine.left_out} more nodes not shown)" in svg and "tanh" in svg


def test_the_command_line_saves_the_picture(tmp_path):
    attempt = tmp_path / "attempt.py"
    attempt.write_text((ROOT / "docs" / "examples" / "broadcast_mistake.py").read_text())
    out = tmp_path / "diff.svg"
    done = subprocess.run([sys.executable, "-m", "kfunc_lessons.cli", "check", "residual_add",
                           str(attempt), "--diagram", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr[-2000:]
    assert "(None, 10) and (None, 1)" in done.stdout
    assert out.read_text().startswith("<svg") and "first difference" in out.read_text()
    assert f"Diagram written to {out}" in done.stderr


def test_a_named_mistake_is_marked_where_it_sits():
    """The broadcasting trap stops the structure step at the input the add reads twice; the
    picture marks the add the message talks about, and the exercise's add beside it."""
    x = keras.Input((10,))
    merged = layers.add([x, layers.Dense(1)(x)], name="broadcasting_add")
    result = kl.check("residual_add", keras.Model(
        x, layers.Dense(10, activation="softmax")(merged)))
    assert result.mistake == "broadcasting-merge"
    mine, ref = result.picture.learner, result.picture.reference
    assert [mine.labels[i].split("\n")[0] for i in mine.marked] == ["broadcasting_add"]
    assert [ref.labels[i].split("\n")[0] for i in ref.marked] == ["add"]
