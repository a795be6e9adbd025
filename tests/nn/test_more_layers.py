"""The activation, distance, normalisation and dropout modules added for PyTorch parity: outputs,
input and parameter gradients equal to PyTorch's (float32 and float64), reprs and state_dict keys,
float64 gradcheck of the new functionals, and the random layers' statistics."""
import numpy as np
import pytest
from module_parity import compare_module
from parity import check_grads, compare_with_torch, torch_or_skip

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad import nn

torch = torch_or_skip()
tnn = torch.nn


def randn(*shape, seed=0, scale=1.0):
    x = np.random.default_rng(seed).standard_normal(shape) * scale
    x[np.abs(x) < 1e-2] += 0.05  # away from kinks
    return x.astype(np.float32)


MODULES = [
    ("CELU", (), {"alpha": 0.7}, (4, 5)), ("GLU", (), {"dim": 1}, (3, 6, 2)),
    ("Hardshrink", (0.3,), {}, (4, 5)), ("Softshrink", (), {"lambd": 0.8}, (4, 5)),
    ("Hardsigmoid", (), {}, (4, 5)), ("Hardswish", (), {}, (4, 5)), ("Mish", (), {}, (4, 5)),
    ("LogSigmoid", (), {}, (4, 5)), ("Softsign", (), {}, (4, 5)), ("Tanhshrink", (), {}, (4, 5)),
    ("Threshold", (0.1, 20.0), {}, (4, 5)), ("Softmin", (), {"dim": 1}, (4, 5)),
    ("Softmax2d", (), {}, (2, 3, 4, 5)), ("Softmax2d", (), {}, (3, 4, 5)),
    ("PReLU", (), {}, (4, 5)), ("PReLU", (3,), {"init": 0.1}, (2, 3, 4)),
    ("RReLU", (), {}, (4, 5)),  # evaluation: the mean slope
    ("PairwiseDistance", (), {}, [(4, 5), (4, 5)]),
    ("PairwiseDistance", (1.0,), {"eps": 1e-3, "keepdim": True}, [(4, 5), (1, 5)]),
    ("CosineSimilarity", (), {"dim": 2}, [(2, 3, 4), (2, 3, 4)]),
    ("InstanceNorm1d", (3,), {}, (2, 3, 6)),
    ("InstanceNorm1d", (3,), {"affine": True}, (3, 6)),
    ("InstanceNorm2d", (3,), {"affine": True, "track_running_stats": True}, (2, 3, 4, 5)),
    ("InstanceNorm3d", (2,), {"affine": True}, (2, 2, 3, 4, 2)),
    ("RMSNorm", (5,), {}, (3, 4, 5)), ("RMSNorm", ([4, 5],), {"eps": 1e-3}, (3, 4, 5)),
    ("RMSNorm", (5,), {"elementwise_affine": False}, (2, 5)),
]


def _id(case):
    return f"{case[0]}-{case[1]}-{case[2]}-{case[3]}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", MODULES, ids=_id)
def test_module_matches_torch(case, dtype):
    name, args, kwargs, shapes = case
    g, t = getattr(nn, name)(*args, **kwargs), getattr(tnn, name)(*args, **kwargs)
    if name == "RReLU":
        g.eval(), t.eval()
    assert repr(g) == repr(t)
    shapes = shapes if isinstance(shapes, list) else [shapes]
    inputs = [randn(*s, seed=i, scale=3.0) for i, s in enumerate(shapes)]
    if name == "PReLU":
        t.weight.data.uniform_(-1, 1)  # distinct slopes, so that a mix-up would show
    compare_module(g, t, inputs, dtype=dtype)


def test_instance_norm_running_stats_and_eval_as_torch():
    g = nn.InstanceNorm2d(3, track_running_stats=True, momentum=0.3)
    t = tnn.InstanceNorm2d(3, track_running_stats=True, momentum=0.3)
    assert list(g.state_dict()) == list(t.state_dict())
    for seed in range(3):
        x = randn(2, 3, 4, 5, seed=seed)
        g(gg.tensor(x)), t(torch.tensor(x))
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(g, name).numpy(), getattr(t, name).numpy(), rtol=1e-5)
    g.eval(), t.eval()
    x = randn(2, 3, 4, 5, seed=9)
    np.testing.assert_allclose(g(gg.tensor(x)).numpy(), t(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)


def test_instance_norm_checks_channels():
    with pytest.raises(ValueError, match=r"expected input's size at dim=1 to match num_features"):
        nn.InstanceNorm1d(4, affine=True)(gg.randn(2, 3, 5))
    with pytest.warns(UserWarning, match="does not match num_features"):
        nn.InstanceNorm1d(4)(gg.randn(2, 3, 5))
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        nn.InstanceNorm1d(3)(gg.randn(2, 3, 5, 5))


def test_rms_norm_functional():
    x, w = randn(3, 4, 5), randn(4, 5, seed=1)
    for kw in ({}, {"eps": 1e-2}):
        compare_with_torch(lambda x, w: F.rms_norm(x, [4, 5], w, **kw),
                           lambda x, w: torch.nn.functional.rms_norm(x, [4, 5], w, **kw), [x, w])
    check_grads(lambda x, w: F.rms_norm(x, (5,), w), [x, randn(5, seed=2)])
    with pytest.raises(RuntimeError, match=r"expected input with shape \[\*, 4\]"):
        F.rms_norm(gg.tensor(x), [4])


def test_rrelu_training_draws_slopes_in_range_and_is_seeded():
    x = gg.tensor(-np.ones((2000,), dtype=np.float32), requires_grad=True)
    gg.manual_seed(3)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = -y.detach().numpy()
    assert 0.1 <= slopes.min() and slopes.max() <= 0.3 and abs(slopes.mean() - 0.2) < 0.01
    y.sum().backward()
    np.testing.assert_allclose(-x.grad.numpy(), -slopes)  # the gradient is the drawn slope
    gg.manual_seed(3)
    np.testing.assert_array_equal(F.rrelu(x, 0.1, 0.3, training=True).detach().numpy(),
                                  y.detach().numpy())
    pos = gg.tensor([1.0, 2.0])
    assert F.rrelu(pos, training=True).tolist() == [1.0, 2.0]
    layer = nn.RReLU(0.1, 0.3)
    layer.eval()
    assert layer(gg.tensor([-1.0])).tolist() == pytest.approx([-0.2])


def test_threshold_inplace():
    x = gg.tensor([0.0, 0.5, 2.0])
    F.threshold_(x, 1.0, -1.0)
    assert x.tolist() == [-1.0, -1.0, 2.0]


@pytest.mark.parametrize("fn", ["alpha_dropout", "feature_alpha_dropout"])
def test_alpha_dropouts_keep_mean_and_variance(fn):
    gg.manual_seed(0)
    x = gg.randn(400, 64, 8)
    y = getattr(F, fn)(x, 0.2, training=True).numpy()
    assert abs(y.mean()) < 0.03 and abs(y.std() - 1) < 0.03
    if fn == "feature_alpha_dropout":  # whole channels share one draw: a constant where dropped
        per_channel = y.reshape(400, 64, 8)
        dropped = np.isclose(per_channel.std(-1), 0)
        assert 0.1 < dropped.mean() < 0.3
    # training=False is PyTorch's default for these two functions
    np.testing.assert_array_equal(getattr(F, fn)(x, 0.2).numpy(), x.numpy())


def test_dropout3d_and_feature_alpha_dropout_modules():
    assert repr(nn.Dropout3d(0.2, True)) == repr(tnn.Dropout3d(0.2, True))
    layer = nn.Dropout3d(0.5)
    y = layer(gg.ones(8, 16, 2, 2, 2)).numpy().reshape(8, 16, -1)
    assert np.all(y.min(-1) == y.max(-1))  # a channel is kept or dropped as a whole
    layer.eval()
    assert np.all(layer(gg.ones(2, 3, 2, 2, 2)).numpy() == 1)
    fad = nn.FeatureAlphaDropout(0.3)
    fad.eval()
    x = gg.randn(2, 3, 4)
    np.testing.assert_array_equal(fad(x).numpy(), x.numpy())


def test_gumbel_softmax():
    logits = gg.tensor(np.log(np.array([[0.1, 0.6, 0.3]] * 4000, dtype=np.float32)),
                       requires_grad=True)
    gg.manual_seed(0)
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.detach().numpy().sum(1), 1, rtol=1e-5)
    gg.manual_seed(0)
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True)
    h = hard.detach().numpy()
    assert set(np.unique(h)) == {0.0, 1.0} and np.all(h.sum(1) == 1)
    np.testing.assert_array_equal(h.argmax(1), soft.detach().numpy().argmax(1))
    np.testing.assert_allclose(h.mean(0), [0.1, 0.6, 0.3], atol=0.03)  # samples of the softmax
    w = gg.tensor(np.random.default_rng(0).standard_normal((4000, 3)).astype(np.float32))
    (hard * w).sum().backward()
    straight = logits.grad.numpy().copy()
    logits.grad = None
    (soft * w).sum().backward()
    np.testing.assert_allclose(straight, logits.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_gradcheck_new_functionals():
    x = randn(3, 4, seed=1).astype(np.float64)
    check_grads(lambda x: F.glu(x, 1), [x])
    check_grads(lambda a, b: F.pairwise_distance(a, b, 1.5), [x, randn(3, 4, seed=2)])
    check_grads(lambda x: F.instance_norm(x.reshape(1, 3, 4)), [x])
