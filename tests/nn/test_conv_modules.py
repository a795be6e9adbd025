"""Convolution, pooling, padding and upsampling layers: PyTorch's parameter names, shapes and
default initialisation; state_dicts load from PyTorch and give PyTorch's outputs and gradients."""
import numpy as np
import pytest

import graphgrad
import graphgrad.nn as nn
from parity import torch_or_skip


def _load_from_torch(gg_mod, th_mod):
    gg_mod.load_state_dict({k: graphgrad.tensor(v.detach().numpy())
                            for k, v in th_mod.state_dict().items()})


def _same_outputs(gg_mod, th_mod, x_np, atol=1e-5):
    torch = torch_or_skip()
    xg = graphgrad.tensor(x_np, requires_grad=True)
    xt = torch.tensor(x_np, requires_grad=True)
    yg, yt = gg_mod(xg), th_mod(xt)
    np.testing.assert_allclose(yg.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=atol)
    w = np.random.default_rng(0).standard_normal(tuple(yt.shape)).astype(x_np.dtype)
    (yg * graphgrad.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=atol)
    for (name, p), (_, q) in zip(gg_mod.named_parameters(), th_mod.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-4,
                                   err_msg=name)


CONV_CASES = [
    ("Conv1d", (4, 6, 3), dict(stride=2, padding=1), (2, 4, 11)),
    ("Conv2d", (3, 8, 3), dict(padding=1), (2, 3, 9, 8)),
    ("Conv2d", (4, 6, (3, 2)), dict(stride=(2, 1), dilation=(1, 2), groups=2, bias=False),
     (1, 4, 9, 8)),
    ("Conv2d", (3, 4, 3), dict(padding="same", padding_mode="reflect"), (2, 3, 7, 6)),
    ("Conv2d", (3, 4, 4), dict(padding="same", padding_mode="replicate", dilation=2),
     (2, 3, 9, 8)),
    ("Conv2d", (3, 4, 3), dict(padding=2, padding_mode="circular", stride=2), (2, 3, 7, 6)),
    ("Conv2d", (4, 8, 3), dict(padding="valid", groups=4), (2, 4, 6, 6)),
    ("Conv3d", (2, 3, 2), dict(padding=1, padding_mode="zeros"), (1, 2, 4, 5, 3)),
    ("Conv3d", (2, 2, 3), dict(padding=(1, 0, 1), padding_mode="circular"), (1, 2, 4, 5, 3)),
    ("ConvTranspose1d", (4, 2, 3), dict(stride=2, padding=1, output_padding=1), (2, 4, 5)),
    ("ConvTranspose2d", (4, 6, 3), dict(stride=2, groups=2, dilation=2, bias=False),
     (2, 4, 4, 3)),
    ("ConvTranspose3d", (2, 3, 2), dict(stride=2), (1, 2, 2, 3, 2)),
]


@pytest.mark.parametrize("name, args, kwargs, x_shape", CONV_CASES)
def test_conv_layers_match_torch(name, args, kwargs, x_shape):
    torch = torch_or_skip()
    gg_mod = getattr(nn, name)(*args, **kwargs)
    th_mod = getattr(torch.nn, name)(*args, **kwargs)
    assert [(k, tuple(v.shape)) for k, v in gg_mod.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in th_mod.state_dict().items()]
    assert repr(gg_mod) == repr(th_mod)
    _load_from_torch(gg_mod, th_mod)
    x = np.random.default_rng(1).standard_normal(x_shape).astype(np.float32)
    _same_outputs(gg_mod, th_mod, x)


def test_default_initialisation_bounds():
    """weight ~ U(-b, b) with b = 1/sqrt(fan_in) (kaiming_uniform with a=sqrt(5)); bias likewise."""
    graphgrad.manual_seed(0)
    m = nn.Conv2d(16, 32, 3)
    bound = 1 / np.sqrt(16 * 9)
    w = m.weight.detach().numpy()
    assert w.dtype == np.float32 and w.shape == (32, 16, 3, 3)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.05 * bound
    assert np.abs(m.bias.detach().numpy()).max() <= bound
    t = nn.ConvTranspose2d(16, 8, 3, groups=2)
    assert tuple(t.weight.shape) == (16, 4, 3, 3)
    assert np.abs(t.bias.detach().numpy()).max() <= 1 / np.sqrt(4 * 9)


def test_conv_transpose_output_size():
    torch = torch_or_skip()
    gg_mod = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    th_mod = torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    _load_from_torch(gg_mod, th_mod)
    x = np.random.default_rng(2).standard_normal((1, 2, 4, 4)).astype(np.float32)
    yg = gg_mod(graphgrad.tensor(x), output_size=(8, 8))
    yt = th_mod(torch.tensor(x), output_size=(8, 8))
    assert tuple(yg.shape) == (1, 3, 8, 8)
    np.testing.assert_allclose(yg.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)


def test_constructor_errors():
    with pytest.raises(ValueError, match="in_channels .* must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels .* must be divisible by groups"):
        nn.Conv2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(1, 1, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv1d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match='Only "zeros" padding mode'):
        nn.ConvTranspose2d(1, 1, 3, padding_mode="reflect")


def test_wrong_channels_error_names_layer_and_shape():
    m = nn.Conv2d(3, 8, 3)
    with pytest.raises(RuntimeError, match=r"conv2d.*expected input\[8, 1, 28, 28\] to have 3 "
                                           r"channels, but got 1"):
        m(graphgrad.randn(8, 1, 28, 28))


@pytest.mark.parametrize("name, args, kwargs, x_shape", [
    ("MaxPool1d", (3,), dict(stride=2, padding=1, ceil_mode=True), (2, 3, 10)),
    ("MaxPool2d", (2,), {}, (2, 3, 9, 8)),
    ("MaxPool2d", (3,), dict(stride=2, padding=1, dilation=1, ceil_mode=True), (2, 3, 9, 8)),
    ("MaxPool3d", (2,), dict(stride=1), (1, 2, 3, 4, 3)),
    ("AvgPool1d", (3,), dict(stride=2, padding=1, count_include_pad=False), (2, 3, 10)),
    ("AvgPool2d", (3,), dict(stride=2, padding=1, ceil_mode=True, divisor_override=3),
     (2, 3, 9, 8)),
    ("AvgPool3d", (2,), dict(stride=1, padding=1), (1, 2, 3, 4, 3)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 10)),
    ("AdaptiveAvgPool2d", ((3, 5),), {}, (2, 3, 9, 8)),
    ("AdaptiveAvgPool3d", (2,), {}, (1, 2, 3, 4, 5)),
    ("AdaptiveMaxPool1d", (4,), {}, (2, 3, 10)),
    ("AdaptiveMaxPool2d", ((3, None),), {}, (2, 3, 9, 8)),
    ("LPPool1d", (2, 3), dict(stride=2), (2, 3, 10)),
    ("LPPool2d", (2, 2), {}, (2, 3, 8, 8)),
    ("ZeroPad2d", ((1, 2, 0, 3),), {}, (2, 3, 4, 5)),
    ("ReflectionPad2d", (2,), {}, (2, 3, 4, 5)),
    ("ReplicationPad2d", ((1, 0, 2, 1),), {}, (2, 3, 4, 5)),
    ("ConstantPad1d", (2, 3.5), {}, (2, 3, 4)),
    ("CircularPad2d", (1,), {}, (2, 3, 4, 5)),
    ("Upsample", (), dict(scale_factor=2, mode="nearest"), (2, 3, 4, 5)),
    ("Upsample", (), dict(size=(7, 9), mode="bilinear", align_corners=False), (2, 3, 4, 5)),
    ("UpsamplingBilinear2d", (), dict(scale_factor=2), (2, 3, 4, 5)),
    ("PixelShuffle", (2,), {}, (2, 8, 3, 4)),
    ("PixelUnshuffle", (2,), {}, (2, 2, 4, 6)),
    ("Unfold", (2,), dict(padding=1, stride=2), (2, 3, 5, 4)),
    ("Fold", ((4, 5), 2), {}, (2, 12, 12)),
])
def test_parameter_free_layers_match_torch(name, args, kwargs, x_shape):
    torch = torch_or_skip()
    gg_mod = getattr(nn, name)(*args, **kwargs)
    th_mod = getattr(torch.nn, name)(*args, **kwargs)
    assert repr(gg_mod) == repr(th_mod)
    x = np.abs(np.random.default_rng(3).standard_normal(x_shape)) + 0.1
    _same_outputs(gg_mod, th_mod, x, atol=1e-8)


def test_max_pool_with_indices_and_unpool_layers():
    torch = torch_or_skip()
    x = np.random.default_rng(4).standard_normal((2, 3, 8, 6))
    pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    tpool, tunpool = torch.nn.MaxPool2d(2, return_indices=True), torch.nn.MaxUnpool2d(2)
    y, idx = pool(graphgrad.tensor(x))
    ty, tidx = tpool(torch.tensor(x))
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    np.testing.assert_allclose(unpool(y, idx).numpy(), tunpool(ty, tidx).numpy())
    assert repr(unpool) == repr(tunpool)


def test_small_cnn_trains():
    graphgrad.manual_seed(0)
    import graphgrad.nn.functional as F
    import graphgrad.optim as optim

    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 8, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                          nn.Linear(8, 2))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 1, 8, 8)).astype(np.float32)
    y = (x[:, 0, :4].mean((1, 2)) > x[:, 0, 4:].mean((1, 2))).astype(np.int64)
    x, y = graphgrad.tensor(x), graphgrad.tensor(y)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    first = None
    for _ in range(30):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < 0.7 * first
