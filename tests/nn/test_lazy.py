"""Lazy layers: shapes read from the first input, PyTorch's initialisation statistics and class
change, an optimizer built before the first call, state_dict loading into a lazy layer, deepcopy,
and equality with PyTorch's lazy layers given the same weights."""
import copy

import numpy as np
import pytest
from module_parity import compare_module
from parity import torch_or_skip

import graphgrad as gg
from graphgrad import nn

torch = torch_or_skip()
tnn = torch.nn

CASES = [
    ("LazyLinear", (3,), {}, (4, 5), "Linear"),
    ("LazyLinear", (3,), {"bias": False}, (2, 4, 5), "Linear"),
    ("LazyConv1d", (4, 3), {"padding": 1}, (2, 3, 7), "Conv1d"),
    ("LazyConv2d", (4, 3), {"stride": 2, "groups": 2}, (2, 6, 7, 7), "Conv2d"),
    ("LazyConv2d", (4, 3), {}, (3, 6, 6), "Conv2d"),  # unbatched
    ("LazyConv3d", (2, 2), {}, (1, 3, 4, 4, 4), "Conv3d"),
    ("LazyConvTranspose1d", (4, 3), {"stride": 2}, (2, 3, 5), "ConvTranspose1d"),
    ("LazyConvTranspose2d", (4, 3), {"stride": 2, "output_padding": 1}, (2, 3, 4, 4),
     "ConvTranspose2d"),
    ("LazyConvTranspose3d", (2, 2), {}, (1, 3, 3, 3, 3), "ConvTranspose3d"),
    ("LazyBatchNorm1d", (), {}, (8, 5), "BatchNorm1d"),
    ("LazyBatchNorm2d", (), {"momentum": 0.3}, (4, 3, 5, 5), "BatchNorm2d"),
    ("LazyBatchNorm3d", (), {"affine": False}, (2, 3, 2, 3, 3), "BatchNorm3d"),
    ("LazyInstanceNorm1d", (), {"affine": False}, (2, 3, 8), "InstanceNorm1d"),
    ("LazyInstanceNorm2d", (), {"track_running_stats": False}, (2, 3, 4, 4), "InstanceNorm2d"),
    ("LazyInstanceNorm3d", (), {}, (1, 3, 2, 3, 4), "InstanceNorm3d"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[2]}-{c[3]}")
def test_lazy_layer_matches_torch(case):
    name, args, kwargs, shape, eager = case
    g, t = getattr(nn, name)(*args, **kwargs), getattr(tnn, name)(*args, **kwargs)
    assert repr(g) == repr(t)
    assert g.has_uninitialized_params()
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    g(gg.tensor(x)), t(torch.tensor(x))  # materialise both
    assert type(g).__name__ == eager == type(t).__name__
    assert repr(g) == repr(t)
    assert {k: tuple(v.shape) for k, v in g.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in t.state_dict().items()}
    compare_module(g, t, [x])


def test_initialisation_and_optimizer_built_before_the_first_call():
    gg.manual_seed(0)
    layer = nn.LazyLinear(200)
    opt = gg.optim.SGD(layer.parameters(), lr=0.5)
    x = gg.randn(4, 300)
    layer(x).sum().backward()
    w = layer.weight.detach().numpy().copy()
    bound = 1 / np.sqrt(300)  # kaiming_uniform_(a=sqrt(5)) of a (200, 300) weight
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    opt.step()  # the optimizer holds the materialised parameters themselves
    assert not np.allclose(layer.weight.detach().numpy(), w)
    assert isinstance(layer.weight, nn.Parameter)
    assert not isinstance(layer.weight, nn.UninitializedParameter)


def test_load_state_dict_materialises_and_deepcopy():
    source = nn.Linear(5, 3)
    lazy = nn.LazyLinear(3)
    twin = copy.deepcopy(lazy)
    assert twin.has_uninitialized_params() and twin.weight is not lazy.weight
    lazy.load_state_dict(source.state_dict())
    np.testing.assert_array_equal(lazy.weight.detach().numpy(), source.weight.detach().numpy())
    x = gg.randn(2, 5)
    np.testing.assert_array_equal(lazy(x).detach().numpy(), source(x).detach().numpy())
    assert type(lazy) is nn.Linear and lazy.in_features == 5


def test_uninitialized_parameter_errors():
    p = nn.UninitializedParameter()
    with pytest.raises(RuntimeError, match="uninitialized parameter"):
        p.shape
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and tuple(p.shape) == (2, 3)
    b = nn.UninitializedBuffer()
    b.materialize((4,), dtype=gg.float64)
    assert type(b) is gg.Tensor and b.dtype == gg.float64
    with pytest.raises(ValueError, match="Expected 3D \\(unbatched\\) or 4D \\(batched\\) input"):
        nn.LazyConv2d(2, 3)(gg.randn(2, 3))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.LazyConv2d(4, 3, groups=2)(gg.randn(1, 3, 5, 5))
