"""graphgrad.onnx.export's arguments, files and errors."""
import io
import os
import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import graphgrad  # noqa: E402
import graphgrad.nn as nn  # noqa: E402
from graphgrad.autograd import function  # noqa: E402
from graphgrad.onnx import ExportError, export  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from onnx_check import session  # noqa: E402


def small():
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def test_writes_a_path_a_file_object_or_nothing(tmp_path):
    model, x = small(), graphgrad.randn(2, 3)
    path = tmp_path / "m.onnx"
    proto = export(model, (x,), str(path))
    assert onnx.load(str(path)) == proto and os.listdir(tmp_path) == ["m.onnx"]
    buf = io.BytesIO()
    export(model, x, buf)  # a single tensor works as args too
    assert buf.getvalue() == path.read_bytes()
    assert export(model, (x,)) == proto
    (y,) = session(proto).run(None, {"input": x.numpy()})
    np.testing.assert_allclose(y, model(x).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_names_and_dynamic_axes():
    model = small()
    proto = export(model, (graphgrad.randn(2, 3),), input_names=["features"], output_names=["scores"],
                   dynamic_axes={"features": {0: "batch"}, "scores": [0]})
    (inp,), (out,) = proto.graph.input, proto.graph.output
    assert inp.name == "features" and out.name == "scores"
    assert [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim] == ["batch", 3]
    assert [d.dim_param or d.dim_value for d in out.type.tensor_type.shape.dim] == [
        "scores_dynamic_axes_1", 2]
    initializers = [t.name for t in proto.graph.initializer]
    assert sorted(initializers) == sorted(model.state_dict())
    static = export(model, (graphgrad.randn(2, 3),))
    assert [d.dim_value for d in static.graph.input[0].type.tensor_type.shape.dim] == [2, 3]


def test_several_inputs_and_outputs_and_keep_initializers_as_inputs():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 3)

        def forward(self, a, pair, scale=1.0):
            b, c = pair
            return self.lin(a) * scale + b, (c - a, a)

    a, b, c = graphgrad.randn(2, 3), graphgrad.randn(2, 3), graphgrad.randn(2, 3)
    proto = export(Two(), (a, (b, c)), kwargs={"scale": 2.0}, keep_initializers_as_inputs=True)
    names = [i.name for i in proto.graph.input]
    assert names[:3] == ["input_0", "input_1", "input_2"] and {"lin.weight", "lin.bias"} <= set(names)
    assert [o.name for o in proto.graph.output] == ["output_0", "output_1", "output_2"]
    out = session(proto).run(None, {"input_0": a.numpy(), "input_1": b.numpy(), "input_2": c.numpy()})
    assert np.allclose(out[1], (c - a).numpy()) and np.allclose(out[2], a.numpy())


def test_bad_arguments():
    model, x = small(), graphgrad.randn(2, 3)
    with pytest.raises(ValueError, match="opset_version must be between 18 and"):
        export(model, (x,), opset_version=17)
    with pytest.raises(ValueError, match="dynamic_axes names 'nope'"):
        export(model, (x,), dynamic_axes={"nope": [0]})
    with pytest.raises(ValueError, match="2 input_names for 1 input"):
        export(model, (x,), input_names=["a", "b"])
    with pytest.raises(ValueError, match="holds no tensor"):
        export(model, (3,))
    with pytest.raises(TypeError, match="must be an nn.Module"):
        export(lambda t: t, (x,))
    with pytest.raises(ValueError, match="dynamic axis 5 of 'input'"):
        export(model, (x,), dynamic_axes={"input": [5]})


def test_modes_are_restored_and_the_hook_removed():
    model = small()
    model.train()
    model[1].eval()
    export(model, (graphgrad.randn(2, 3),))
    assert model.training and model[0].training and not model[1].training
    assert function._tracer[0] is None

    class Broken(nn.Module):
        def forward(self, x):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        export(Broken(), (graphgrad.randn(2, 3),))
    assert function._tracer[0] is None


class Double(graphgrad.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2


class Custom(nn.Module):
    def forward(self, x):
        return Double.apply(x)


def test_an_op_without_conversion_names_the_op_and_the_module():
    model = nn.Sequential(nn.Linear(3, 3), nn.Sequential(nn.ReLU(), Custom()))
    with pytest.raises(ExportError, match=r"op Double \(module '1.1', a Custom\) has no ONNX "
                                          r"conversion \(a custom autograd.Function\)"):
        export(model, (graphgrad.randn(2, 3),))

    class Product(nn.Module):
        def forward(self, x):
            return x.cumprod(1)

    with pytest.raises(ExportError, match=r"op Cumprod \(module '1', a Product\) has no ONNX"):
        export(nn.Sequential(nn.Linear(3, 3), Product()), (graphgrad.randn(2, 3),))


class Fn(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.lin = nn.Linear(3, 3)
        self.fn = fn

    def forward(self, x):
        return self.fn(self.lin(x))


@pytest.mark.parametrize("fn,message", [
    (lambda y: graphgrad.where(y > 0, y, -y), "changes with the input's values"),   # a comparison
    (lambda y: y * y.max().item(), r"argument 1 \(.*\) changes with the input's values"),
    (lambda y: y + graphgrad.tensor(y.detach().numpy() ** 2), "changes with the input's values"),
])
def test_values_computed_outside_ops_are_refused(fn, message):
    with pytest.raises(ExportError, match=message):
        export(Fn(fn), (graphgrad.randn(4, 3),))


def test_an_output_computed_outside_ops_is_refused():
    with pytest.raises(ExportError, match="output 'output' changes with the input"):
        export(Fn(lambda y: y > 0), (graphgrad.randn(4, 3),))


def test_sizes_and_control_flow_that_follow_the_input():
    batch_zeros = Fn(lambda y: y + graphgrad.zeros(y.shape[0], 3))
    export(batch_zeros, (graphgrad.randn(4, 3),))  # fine for one batch size
    with pytest.raises(ExportError, match="a size that follows the input's dynamic axes"):
        export(batch_zeros, (graphgrad.randn(4, 3),), dynamic_axes={"input": [0]})
    branchy = Fn(lambda y: y * 2 if y.shape[0] < 5 else y.exp())
    with pytest.raises(ExportError, match="control flow that depends on the data"):
        export(branchy, (graphgrad.randn(4, 3),), dynamic_axes={"input": [0]})


def test_an_in_place_write_the_trace_cannot_see_is_refused():
    def sneaky(y):
        alias = y.detach()
        alias.add_(1.0)  # changes y's values behind the graph's back
        return y * 2

    with pytest.raises(ExportError, match="modified in place"):
        export(Fn(sneaky), (graphgrad.randn(2, 3),))


def test_verbose_prints_the_graph(capsys):
    export(small(), (graphgrad.randn(2, 3),), verbose=True)
    assert "Gemm" in capsys.readouterr().out


def test_missing_onnx_package_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install 'graphgrad\[onnx\]'"):
        export(small(), (graphgrad.randn(2, 3),))
