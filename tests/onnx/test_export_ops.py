"""Each converter: a small model using one op (or a few), exported and compared with graphgrad in
ONNX Runtime at two batch sizes (the batch axis dynamic)."""
import os
import sys

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import graphgrad  # noqa: E402
import graphgrad.nn as nn  # noqa: E402
import graphgrad.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from onnx_check import export_and_compare  # noqa: E402


class Fn(nn.Module):
    """A Linear layer (so that the graph has a parameter), then ``fn``."""

    def __init__(self, fn, features=6):
        super().__init__()
        self.lin = nn.Linear(features, features)
        self.fn = fn

    def forward(self, x):
        return self.fn(self.lin(x))


ELEMENTWISE = {
    "exp": lambda y: y.exp(), "log": lambda y: (y.abs() + 1).log(), "sqrt": lambda y: y.abs().sqrt(),
    "rsqrt": lambda y: (y.abs() + 1).rsqrt(), "reciprocal": lambda y: (y.abs() + 1).reciprocal(),
    "tanh": lambda y: y.tanh(), "sigmoid": lambda y: y.sigmoid(), "relu": F.relu,
    "sin_cos_tan": lambda y: y.sin() + y.cos() + (y * 0.1).tan(), "sign": lambda y: y.sign(),
    "floor_ceil": lambda y: y.floor() + y.ceil(), "neg": lambda y: -y, "clone": lambda y: y.clone(),
    "scalar_arithmetic": lambda y: (2 * y - 1) / 3 + 0.5, "pow_scalar": lambda y: y ** 2,
    "tensor_arithmetic": lambda y: y * y - y / (y.abs() + 1) + y,
    "pow_tensor": lambda y: (y.abs() + 0.5) ** y, "max_min": lambda y: graphgrad.maximum(
        y, -y) + graphgrad.minimum(y, y * 0.5),
    "leaky_relu": lambda y: F.leaky_relu(y, 0.2), "hardtanh": lambda y: F.hardtanh(y, -0.5, 0.5),
    "clamp": lambda y: y.clamp(min=-0.3) + y.clamp(max=0.2), "elu": lambda y: F.elu(y, 0.7),
    "selu": F.selu, "celu": lambda y: F.celu(y, 1.5), "softplus": F.softplus,
    "softplus_beta": lambda y: F.softplus(y, beta=2.0), "logsigmoid": F.logsigmoid, "silu": F.silu,
    "gelu": F.gelu, "gelu_tanh": lambda y: F.gelu(y, approximate="tanh"),
    "softmax": lambda y: F.softmax(y, dim=1), "log_softmax": lambda y: F.log_softmax(y, dim=-1),
    "double": lambda y: y.double() * 2, "where": lambda y: graphgrad.where(
        graphgrad.tensor(np.array([True, False] * 3)), y, y * 2),
    "cumsum": lambda y: y.cumsum(1),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise(name):
    export_and_compare(Fn(ELEMENTWISE[name]), graphgrad.randn(3, 6))


SHAPES = {
    "reshape_flatten": (lambda y: y.reshape(y.shape[0], 3, 4).flatten(1), (2, 3, 4)),
    "permute_transpose": (lambda y: y.permute(0, 2, 1).transpose(1, 2), (2, 3, 4)),
    "expand": (lambda y: y[:, None].expand(-1, 3, 4), (2, 4)),
    "slices": (lambda y: y[:, 1:3] + y[:, ::2][:, :2] + y[:, -2:], (2, 6)),
    "ints_and_none": (lambda y: y[:, -1, None] * y[:, 0][:, None], (2, 3, 4)),
    "ellipsis": (lambda y: y[..., 1] + y[..., -1], (2, 3, 4)),
    "flip": (lambda y: y.flip((1, 2)), (2, 3, 4)),
    "pad_and_crop": (lambda y: F.pad(y, (1, -1, 2, 0), value=0.5), (2, 3, 4)),
    "reflect_replicate": (lambda y: F.pad(y, (1, 2), mode="reflect") + F.pad(
        y, (2, 1), mode="replicate"), (2, 3, 4)),
    "cat_stack": (lambda y: graphgrad.cat([y, y * 2], 1).sum(1)
                  + graphgrad.stack([y, -y], 2).sum(2).mean(1), (2, 3, 4)),
    "split_chunk": (lambda y: y.split([1, 3], 2)[1].sum(2) + y.chunk(2, 2)[0].amax(2), (2, 3, 4)),
    "unbind": (lambda y: y.unbind(1)[2] - y.unbind(1)[0], (2, 3, 4)),
    "reductions": (lambda y: y.sum() + y.mean(1, keepdim=True) + y.amax(dim=(1, 2))[:, None, None]
                   + y.amin(2, keepdim=True), (2, 3, 4)),
    "max_dim": (lambda y: y.max(2).values + y.max(dim=2, keepdim=True).indices.squeeze(2).double()
                + y.min(1).values.sum(1, keepdim=True).double(), (2, 3, 4)),
    "squeeze_unsqueeze": (lambda y: y.unsqueeze(1).unsqueeze(-1).squeeze(1).squeeze(-1), (2, 4)),
    "matmul": (lambda y: y @ y.transpose(1, 2), (2, 3, 4)),
}


class Shaped(nn.Module):
    def __init__(self, fn, shape):
        super().__init__()
        self.lin = nn.Linear(shape[-1], shape[-1])
        self.fn = fn

    def forward(self, x):
        return self.fn(self.lin(x))


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_shapes(name):
    fn, shape = SHAPES[name]
    export_and_compare(Shaped(fn, shape), graphgrad.randn(*shape))


LAYERS = {
    "linear_3d_no_bias": (lambda: nn.Linear(4, 5, bias=False), (2, 3, 4)),
    "conv1d_dilated_same": (lambda: nn.Conv1d(3, 4, 3, padding="same", dilation=2), (2, 3, 9)),
    "conv2d_strided_grouped": (lambda: nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2), (2, 4, 9, 9)),
    "conv_transpose2d": (lambda: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1),
                         (2, 3, 5, 5)),
    "conv3d": (lambda: nn.Conv3d(2, 3, 2), (2, 2, 4, 4, 4)),
    "max_pool_ceil_padded": (lambda: nn.MaxPool2d(3, 2, padding=1, ceil_mode=True), (2, 3, 8, 8)),
    "max_pool1d_dilated": (lambda: nn.MaxPool1d(2, dilation=2), (2, 3, 9)),
    "avg_pool_exclude_pad": (lambda: nn.AvgPool2d(3, 2, padding=1, count_include_pad=False),
                             (2, 3, 7, 7)),
    "avg_pool_ceil": (lambda: nn.AvgPool2d(2, ceil_mode=True), (2, 3, 7, 7)),
    "avg_pool_divisor": (lambda: nn.AvgPool2d(2, divisor_override=3), (2, 3, 6, 6)),
    "adaptive_avg_uneven": (lambda: nn.AdaptiveAvgPool2d((3, 2)), (2, 3, 7, 5)),
    "adaptive_avg_even": (lambda: nn.AdaptiveAvgPool2d(2), (2, 3, 6, 6)),
    "global_avg": (lambda: nn.AdaptiveAvgPool2d(1), (2, 3, 5, 5)),
    "batch_norm_1d": (lambda: nn.BatchNorm1d(4), (3, 4)),
    "batch_norm_2d_no_affine": (lambda: nn.BatchNorm2d(3, affine=False), (2, 3, 4, 4)),
    "batch_norm_batch_statistics": (lambda: nn.BatchNorm2d(3, track_running_stats=False), (2, 3, 4, 4)),
    "layer_norm": (lambda: nn.LayerNorm([3, 4]), (2, 5, 3, 4)),
    "group_norm": (lambda: nn.GroupNorm(2, 4), (2, 4, 3, 3)),
    "local_response_norm": (lambda: nn.LocalResponseNorm(3, alpha=0.1, beta=0.5, k=1.5), (2, 5, 3, 3)),
    "prelu_free_activations": (lambda: nn.Sequential(nn.ELU(), nn.Tanh(), nn.Hardtanh()), (2, 4)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layers(name):
    make, shape = LAYERS[name]
    layer = make()
    for buffer_name, buf in layer.named_buffers():  # statistics that are not 0 and 1
        if buffer_name.endswith("running_mean"):
            buf.copy_(graphgrad.randn(*buf.shape) * 0.1)
        elif buffer_name.endswith("running_var"):
            buf.copy_(graphgrad.rand(*buf.shape) + 0.5)
    export_and_compare(layer, graphgrad.randn(*shape))


def test_instance_norm_and_circular_padding_at_opset_19():
    weight, bias = nn.Parameter(graphgrad.rand(3) + 0.5), nn.Parameter(graphgrad.randn(3))
    model = Shaped(lambda y: F.pad(F.instance_norm(y, weight=weight, bias=bias), (3, 0, 1, 1),
                                   mode="circular"), (2, 3, 4, 4))
    export_and_compare(model, graphgrad.randn(2, 3, 4, 4), opset_version=19)


def test_embedding_and_recurrent_layers():
    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(30, 8, padding_idx=0)
            self.lstm = nn.LSTM(8, 5, num_layers=2, batch_first=True, bidirectional=True)
            self.gru = nn.GRU(10, 4, bias=False)
            self.rnn = nn.RNN(4, 3, nonlinearity="relu", bidirectional=True)

        def forward(self, tokens):
            out, (h, c) = self.lstm(self.embedding(tokens))       # (B, T, 10)
            out, h2 = self.gru(out.transpose(0, 1))                 # (T, B, 4)
            out, h3 = self.rnn(out)
            return out, h + c.sum(), h2, h3

    export_and_compare(Tagger(), graphgrad.randint(0, 30, (2, 7)))


def test_positional_embedding_of_constant_indices():
    class Positions(nn.Module):
        def __init__(self):
            super().__init__()
            self.tokens, self.positions = nn.Embedding(20, 4), nn.Embedding(7, 4)

        def forward(self, ids):
            return self.tokens(ids) + self.positions(graphgrad.arange(ids.shape[1]))

    export_and_compare(Positions(), graphgrad.randint(0, 20, (2, 7)))


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_as_one_node_from_opset_20(approximate):
    proto = export_and_compare(Fn(lambda y: F.gelu(y, approximate=approximate)), graphgrad.randn(3, 6),
                               opset_version=20)
    assert "Gelu" in [n.op_type for n in proto.graph.node]


def test_peephole_lstm():
    layer = nn.PeepholeLSTM(4, 3)
    export_and_compare(layer, graphgrad.randn(5, 2, 4), axis=1)


def test_inplace_ops_are_followed():
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(inplace=True), nn.Linear(4, 2),
                          nn.LeakyReLU(0.1, inplace=True))
    export_and_compare(model, graphgrad.randn(3, 4))


def test_constants_made_in_forward_and_folded():
    class Shifted(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 3)

        def forward(self, x):
            offset = graphgrad.arange(3).double().float() * 2 + 1   # folded into one constant
            return self.lin(x) + offset

    proto = export_and_compare(Shifted(), graphgrad.randn(2, 3))
    assert [n.op_type for n in proto.graph.node] == ["Gemm", "Add", "Identity"]


def test_float64_model():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh()).double()
    export_and_compare(model, graphgrad.randn(2, 3, dtype=graphgrad.float64), atol=1e-10)
