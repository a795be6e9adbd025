"""Normalisation and embedding: the ops in graphgrad/ops/norm.py (vs PyTorch, gradcheck, both
backward paths) and the layers (BatchNorm running statistics, LayerNorm, GroupNorm,
LocalResponseNorm, Embedding, EmbeddingBag)."""
import numpy as np
import pytest
from parity import check_grads, compare_with_torch

import graphgrad as gg
from graphgrad import nn
from graphgrad.nn import functional as F

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional


def randn(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# ------------------------------------------------------------------- functional ops
@pytest.mark.parametrize("offset", [0.0, 3.0, 1e3])
def test_batch_norm_normalize_pass_is_exact_near_and_far_from_zero_mean(offset):
    """``normalize_forward`` folds the mean into one multiply-add when the means are within a few
    standard deviations of zero and centres first otherwise: both within float32 rounding of the
    float64 result."""
    from graphgrad.ops._batch_norm_arrays import normalize_forward

    x = randn(16, 3, 7, 5) * 0.5 + np.float32(offset)
    w, b = randn(3, seed=1), randn(3, seed=2)
    x64 = x.astype(np.float64)
    mean, var = x64.mean(axis=(0, 2, 3)), x64.var(axis=(0, 2, 3))
    invstd = 1 / np.sqrt(var + 1e-5)
    exact = (x64 - mean[:, None, None]) * (invstd * w)[:, None, None] + b[:, None, None]
    got = normalize_forward(x, mean.astype(np.float32), invstd.astype(np.float32), w, b)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, exact, rtol=0, atol=2e-5 * (1 + offset * invstd.max() * 1e-3))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 5)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_matches_pytorch(shape, training, dtype):
    x, w, b = randn(*shape, dtype=dtype), randn(3, seed=1, dtype=dtype), randn(3, seed=2, dtype=dtype)
    rm, rv = randn(3, seed=3, dtype=dtype), np.abs(randn(3, seed=4, dtype=dtype)) + 0.5
    g_rm, g_rv = gg.tensor(rm), gg.tensor(rv)
    t_rm, t_rv = torch.tensor(rm), torch.tensor(rv)
    compare_with_torch(lambda x, w, b: F.batch_norm(x, g_rm, g_rv, w, b, training, 0.3, 1e-3),
                       lambda x, w, b: TF.batch_norm(x, t_rm, t_rv, w, b, training, 0.3, 1e-3),
                       [x, w, b])
    np.testing.assert_allclose(g_rm.numpy(), t_rm.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g_rv.numpy(), t_rv.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_fast_path_edge_cases_match_pytorch(affine):
    """The per-channel fast path: no affine parameters, a non-contiguous input, an offset mean (the
    statistics are taken centred), and an input alone requiring grad."""
    x = randn(8, 4, 6, 5, dtype=np.float64).transpose(0, 1, 3, 2) * 0.5 + 30.0
    params = [randn(4, seed=1), randn(4, seed=2)] if affine else []
    compare_with_torch(lambda x, *p: F.batch_norm(x, None, None, *p, training=True),
                       lambda x, *p: TF.batch_norm(x, None, None, *p, training=True),
                       [x.astype(np.float32)] + params, rtol=1e-4, atol=1e-4)
    xt = gg.tensor(x, requires_grad=True)
    (F.batch_norm(xt, None, None, training=True) ** 3).sum().backward()
    tt = torch.tensor(x, requires_grad=True)
    (TF.batch_norm(tt, None, None, training=True) ** 3).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), tt.grad.numpy(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("normalized", [(5,), (4, 5)])
def test_layer_norm_matches_pytorch(normalized):
    x = randn(3, 4, 5)
    w, b = randn(*normalized, seed=1), randn(*normalized, seed=2)
    compare_with_torch(lambda x, w, b: F.layer_norm(x, normalized, w, b),
                       lambda x, w, b: TF.layer_norm(x, normalized, w, b), [x, w, b])
    compare_with_torch(lambda x: F.layer_norm(x, normalized), lambda x: TF.layer_norm(x, normalized),
                       [x])


@pytest.mark.parametrize("groups", [1, 2, 6])
def test_group_norm_matches_pytorch(groups):
    x, w, b = randn(2, 6, 3, 2), randn(6, seed=1), randn(6, seed=2)
    compare_with_torch(lambda x, w, b: F.group_norm(x, groups, w, b, 1e-4),
                       lambda x, w, b: TF.group_norm(x, groups, w, b, 1e-4), [x, w, b])


def test_instance_norm_matches_pytorch():
    x, w, b = randn(2, 3, 4, 5), randn(3, seed=1), randn(3, seed=2)
    compare_with_torch(lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
                       lambda x, w, b: TF.instance_norm(x, weight=w, bias=b), [x, w, b])


@pytest.mark.parametrize("size", [1, 2, 3, 5])
@pytest.mark.parametrize("shape", [(2, 6, 4), (2, 7, 3, 3)])
def test_local_response_norm_matches_pytorch(size, shape):
    x = randn(*shape) * 2
    compare_with_torch(lambda x: F.local_response_norm(x, size, 1e-2, 0.75, 2.0),
                       lambda x: TF.local_response_norm(x, size, 1e-2, 0.75, 2.0), [x])


def test_gradcheck_norm_ops():
    x, w, b = randn(4, 3, 2), randn(3, seed=1), randn(3, seed=2)
    rm, rv = gg.tensor(randn(3, seed=3, dtype=np.float64)), gg.tensor(np.full(3, 1.5))
    check_grads(lambda x, w, b: F.batch_norm(x, None, None, w, b, True), [x, w, b])
    check_grads(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, False), [x, w, b])
    check_grads(lambda x, w, b: F.layer_norm(x, (3, 2), w.reshape(3, 1).expand(3, 2), b.sum()
                                             * gg.ones(3, 2, dtype=gg.float64)), [x, w, b])
    check_grads(lambda x: F.group_norm(x, 3), [x])
    check_grads(lambda x, w: F.group_norm(x, 1, w), [x, w])
    check_grads(lambda x: F.local_response_norm(x, 3, 0.1, 0.75, 2.0), [randn(2, 5, 3)])


def _grads_both_paths(fn, arrays):
    """First-order gradients through the array fast path and through the recorded backward."""
    results = []
    for create_graph in (False, True):
        ts = [gg.tensor(a, requires_grad=True) for a in arrays]
        out = fn(*ts)
        w = gg.tensor(randn(*out.shape, seed=9, dtype=arrays[0].dtype))
        grads = gg.autograd.grad((out * w).sum(), ts, create_graph=create_graph)
        results.append([g.detach().numpy() for g in grads])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_array_and_recorded_backward_agree():
    x, w, b = randn(4, 3, 5, dtype=np.float64), randn(3, seed=1, dtype=np.float64), \
        randn(3, seed=2, dtype=np.float64)
    rm, rv = gg.tensor(np.zeros(3)), gg.tensor(np.full(3, 2.0))
    _grads_both_paths(lambda x, w, b: F.batch_norm(x, None, None, w, b, True), [x, w, b])
    _grads_both_paths(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, False), [x, w, b])
    _grads_both_paths(lambda x, w, b: F.group_norm(x, 3, w, b), [x, w, b])
    _grads_both_paths(lambda x: F.layer_norm(x, (5,)), [x])
    _grads_both_paths(lambda x: F.local_response_norm(x, 2, 0.1, 0.75, 1.0), [x])
    table = randn(7, 3, dtype=np.float64)
    idx = gg.tensor(np.array([[0, 3, 3], [6, 1, 0]]))
    _grads_both_paths(lambda t: F.embedding(idx, t, padding_idx=0, scale_grad_by_freq=True),
                      [table])
    _grads_both_paths(lambda t: F.embedding_bag(idx, t, mode="max"), [table])


def test_norm_op_errors():
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, "
                                         r"got input size \(1, 3\)"):
        F.batch_norm(gg.ones(1, 3), None, None, training=True)
    with pytest.raises(RuntimeError, match=r"expected weight of shape \(3,\), got \(4,\)"):
        F.batch_norm(gg.ones(2, 3), None, None, gg.ones(4), training=True)
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[4\].*input of size \[2, 3\]"):
        F.layer_norm(gg.ones(2, 3), (4,))
    with pytest.raises(RuntimeError, match=r"channels in input \(6\) to be divisible by "
                                           r"num_groups \(4\)"):
        F.group_norm(gg.ones(2, 6), 4)
    with pytest.raises(ValueError, match="3D or higher"):
        F.local_response_norm(gg.ones(2, 3), 2)


# ------------------------------------------------------------------------ embedding
@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"scale_grad_by_freq": True},
                                    {"padding_idx": -1, "scale_grad_by_freq": True}])
def test_embedding_matches_pytorch(kwargs):
    table = randn(10, 4)
    idx = np.array([[1, 2, 2, 9], [0, 9, 1, 1]])
    compare_with_torch(lambda t, i: F.embedding(i, t, **kwargs),
                       lambda t, i: TF.embedding(i, t, **kwargs), [table, idx])


def test_embedding_max_norm_renormalises_in_place_like_pytorch():
    table = randn(6, 3) * 3
    g_t, t_t = gg.tensor(table), torch.tensor(table)
    idx = np.array([0, 2, 2, 5])
    out_g = F.embedding(gg.tensor(idx), g_t, max_norm=1.5)
    out_t = TF.embedding(torch.tensor(idx), t_t, max_norm=1.5)
    np.testing.assert_allclose(out_g.numpy(), out_t.numpy(), rtol=1e-5)
    np.testing.assert_allclose(g_t.numpy(), t_t.numpy(), rtol=1e-5)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_matches_pytorch(mode):
    table = randn(10, 4)
    idx2 = np.array([[1, 2, 4], [4, 3, 9]])
    compare_with_torch(lambda t, i: F.embedding_bag(i, t, mode=mode),
                       lambda t, i: TF.embedding_bag(i, t, mode=mode), [table, idx2])
    idx1, offsets = np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 2, 2, 5])
    for kwargs, off in (({}, offsets), ({"padding_idx": 4}, offsets),
                        ({"include_last_offset": True}, np.append(offsets, idx1.size))):
        compare_with_torch(lambda t, i, o: F.embedding_bag(i, t, o, mode=mode, **kwargs),
                           lambda t, i, o: TF.embedding_bag(i, t, o, mode=mode, **kwargs),
                           [table, idx1, off])
    check_grads(lambda t: F.embedding_bag(gg.tensor(idx1), t, gg.tensor(offsets), mode=mode),
                [table])


def test_embedding_bag_per_sample_weights():
    table, idx, psw = randn(10, 4), np.array([[1, 2, 2], [0, 9, 1]]), randn(2, 3, seed=3)
    compare_with_torch(lambda t, i, p: F.embedding_bag(i, t, mode="sum", per_sample_weights=p),
                       lambda t, i, p: TF.embedding_bag(i, t, mode="sum", per_sample_weights=p),
                       [table, idx, psw])
    with pytest.raises(NotImplementedError, match="only supported for mode='sum'"):
        F.embedding_bag(gg.tensor(idx), gg.tensor(table), mode="mean",
                        per_sample_weights=gg.tensor(psw))


def test_embedding_errors():
    table = gg.zeros(5, 2)
    with pytest.raises(IndexError, match="index 7 is out of range for a weight with 5 rows"):
        F.embedding(gg.tensor([1, 7]), table)
    with pytest.raises(RuntimeError, match="integer dtype"):
        F.embedding(gg.tensor([1.0]), table)
    with pytest.raises(ValueError, match=r"offsets\[0\] has to be 0"):
        F.embedding_bag(gg.tensor([1, 2]), table, gg.tensor([1]))


def test_embedding_double_backward():
    idx = gg.tensor(np.array([0, 2, 2]))
    check_grads(lambda t: F.embedding(idx, t) ** 2, [randn(4, 3)])


# --------------------------------------------------------------------------- layers
def copy_weights(g, t):
    g.load_state_dict({k: v.detach().numpy().copy() for k, v in t.state_dict().items()})


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("cls,shape", [("BatchNorm1d", (8, 3)), ("BatchNorm1d", (8, 3, 5)),
                                       ("BatchNorm2d", (4, 3, 2, 2))])
def test_batchnorm_layer_tracks_pytorch_over_steps(cls, shape, momentum):
    g, t = getattr(nn, cls)(3, momentum=momentum), getattr(tnn, cls)(3, momentum=momentum)
    with torch.no_grad():
        t.weight.uniform_(0.5, 1.5)
        t.bias.uniform_(-1, 1)
    copy_weights(g, t)
    for step in range(4):
        x = randn(*shape, seed=step) * (step + 1) + step
        gx, tx = gg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        go, to = g(gx), t(tx)
        np.testing.assert_allclose(go.detach().numpy(), to.detach().numpy(), rtol=1e-5, atol=1e-5)
        (go * go).sum().backward()
        (to * to).sum().backward()
        np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    for key, value in t.state_dict().items():
        np.testing.assert_allclose(g.state_dict()[key].numpy(), value.numpy(), rtol=1e-5,
                                   atol=1e-6, err_msg=key)
    assert g.num_batches_tracked.item() == 4
    g.eval()
    t.eval()
    x = randn(*shape, seed=10)
    np.testing.assert_allclose(g(gg.tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kwargs", [{"affine": False}, {"track_running_stats": False},
                                    {"affine": False, "track_running_stats": False},
                                    {"bias": False}])
def test_batchnorm_options(kwargs):
    g, t = nn.BatchNorm1d(3, **kwargs), tnn.BatchNorm1d(3, **kwargs)
    assert list(g.state_dict()) == list(t.state_dict())
    assert repr(g) == repr(t)
    x = randn(5, 3)
    for mode in ("train", "eval"):
        getattr(g, mode)()
        getattr(t, mode)()
        np.testing.assert_allclose(g(gg.tensor(x)).detach().numpy(),
                                   t(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_batchnorm_input_checks():
    with pytest.raises(ValueError, match=r"expected 4D input \(got 2D input\)"):
        nn.BatchNorm2d(3)(gg.ones(2, 3))
    with pytest.raises(ValueError, match="expected input with 3 channels"):
        nn.BatchNorm1d(3)(gg.ones(2, 4))


@pytest.mark.parametrize("build", [
    lambda M: M.LayerNorm(5), lambda M: M.LayerNorm((4, 5), elementwise_affine=False),
    lambda M: M.LayerNorm(5, bias=False), lambda M: M.GroupNorm(2, 4),
    lambda M: M.GroupNorm(4, 4, affine=False), lambda M: M.LocalResponseNorm(3, k=2.0),
])
def test_norm_layers_match_pytorch(build):
    g, t = build(nn), build(tnn)
    assert list(g.state_dict()) == list(t.state_dict()) and repr(g) == repr(t)
    with torch.no_grad():
        for p in t.parameters():
            p.uniform_(-1, 1)
    copy_weights(g, t)
    x = randn(2, 4, 4, 5)
    gx, tx = gg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    go, to = g(gx), t(tx)
    np.testing.assert_allclose(go.detach().numpy(), to.detach().numpy(), rtol=1e-5, atol=1e-5)
    go.sum().backward()
    to.sum().backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    tp = dict(t.named_parameters())
    for name, p in g.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tp[name].grad.numpy(), rtol=1e-4, atol=1e-4)


def test_embedding_layer():
    gg.manual_seed(0)
    e = nn.Embedding(1000, 8, padding_idx=3)
    w = e.weight.detach().numpy()
    assert np.all(w[3] == 0) and abs(w.std() - 1) < 0.05  # N(0, 1) init
    t = tnn.Embedding(1000, 8, padding_idx=3)
    assert repr(e) == repr(t) and list(e.state_dict()) == list(t.state_dict())
    copy_weights(e, t)
    idx = np.array([[3, 5, 5], [999, 0, 3]])
    out = e(gg.tensor(idx))
    np.testing.assert_allclose(out.detach().numpy(), t(torch.tensor(idx)).detach().numpy())
    out.sum().backward()
    assert np.all(e.weight.grad.numpy()[3] == 0) and np.all(e.weight.grad.numpy()[5] == 2)
    with pytest.raises(ValueError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(4, 2, padding_idx=4)


def test_embedding_from_pretrained_freeze():
    table = gg.tensor(randn(4, 2))
    frozen = nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad
    np.testing.assert_array_equal(frozen(gg.tensor([1])).numpy()[0], table.numpy()[1])
    trainable = nn.Embedding.from_pretrained(table, freeze=False)
    assert trainable.weight.requires_grad
    bag = nn.EmbeddingBag.from_pretrained(table, mode="sum")
    assert repr(bag) == "EmbeddingBag(4, 2, mode='sum')"
    with pytest.raises(ValueError, match="2-dimensional"):
        nn.Embedding.from_pretrained(gg.ones(3))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_layer_matches_pytorch(mode):
    g, t = nn.EmbeddingBag(10, 3, mode=mode), tnn.EmbeddingBag(10, 3, mode=mode)
    assert repr(g) == repr(t)
    copy_weights(g, t)
    idx, off = np.array([1, 2, 4, 5, 4, 3]), np.array([0, 2, 4])
    go, to = g(gg.tensor(idx), gg.tensor(off)), t(torch.tensor(idx), torch.tensor(off))
    np.testing.assert_allclose(go.detach().numpy(), to.detach().numpy(), rtol=1e-6)
    (go * go).sum().backward()
    (to * to).sum().backward()
    np.testing.assert_allclose(g.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-5, atol=1e-6)
