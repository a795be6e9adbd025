"""draw_graph: the DOT text names ops, shapes and parameters; rendering needs Graphviz's dot."""
import shutil

import pytest

import graphgrad
from graphgrad import nn
from graphgrad.viz import draw_graph
from graphgrad.viz import graph as graph_module


def test_dot_text_of_a_small_network():
    model = nn.Linear(3, 4)
    x = graphgrad.randn(2, 3, requires_grad=True)
    y = model(x).relu().sum()
    g = draw_graph(y, {"x": x, **dict(model.named_parameters())})
    src = g.source
    assert src.startswith("digraph graphgrad {") and src.rstrip().endswith("}")
    for label in ('"output\\n()"', '"SumBackward\\n()"', '"ReluBackward\\n(2, 4)"',
                  '"LinearBackward\\n(2, 4)"', '"x\\n(2, 3)"', '"weight\\n(4, 3)"', '"bias\\n(4,)"'):
        assert label in src, label
    assert (g.num_ops, g.num_leaves) == (3, 3)
    assert src.count("->") == 6


def test_shared_inputs_constants_and_module_names():
    model = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))
    x = graphgrad.randn(5, 2)  # no grad: not drawn
    out = model(x)
    g = draw_graph(out, model)
    assert '"0.weight\\n(2, 2)"' in g.source and '"2.bias\\n(1,)"' in g.source
    assert g.num_leaves == 4
    a = graphgrad.randn(3, requires_grad=True)
    g2 = draw_graph([a * a, a.exp()])
    assert g2.source.count('label="leaf') == 1  # one node per tensor, however often it is used
    assert "out1" in g2.source
    assert draw_graph(graphgrad.ones(2)).num_ops == 0
    with pytest.raises(TypeError, match="expected a Tensor"):
        draw_graph(3.0)


def test_save_dot_and_render(tmp_path):
    a = graphgrad.randn(3, requires_grad=True)
    g = draw_graph((a * 2).sum(), path=str(tmp_path / "g.dot"))
    assert (tmp_path / "g.dot").read_text() == g.source
    with pytest.raises(ValueError, match="cannot save as 'jpg'"):
        g.save(str(tmp_path / "g.jpg"))
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed: rendering not checked")
    g.save(str(tmp_path / "g.svg"))
    assert "<svg" in (tmp_path / "g.svg").read_text()
    g.save(str(tmp_path / "g.png"))
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"


def test_clear_message_without_dot(monkeypatch, tmp_path):
    monkeypatch.setattr(graph_module.shutil, "which", lambda name: None)
    g = draw_graph((graphgrad.randn(2, requires_grad=True) * 3).sum())
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        g.save(str(tmp_path / "g.svg"))
    assert g._repr_svg_() is None
