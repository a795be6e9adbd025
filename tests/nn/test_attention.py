"""F.scaled_dot_product_attention and nn.MultiheadAttention against PyTorch (outputs, input and
parameter gradients, float32 and float64, masks and options), float64 gradcheck, and errors."""
import math

import numpy as np
import pytest
from module_parity import compare_module
from parity import check_grads, compare_with_torch, torch_or_skip

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad import nn

torch = torch_or_skip()
TF = torch.nn.functional


def randn(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def bool_mask(shape, seed=3, p=0.3):
    return np.random.default_rng(seed).random(shape) < p


# ------------------------------------------------------------------- scaled_dot_product_attention
SDPA_SHAPES = [((2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 7)), ((5, 4), (6, 4), (6, 3)),
               ((3, 5, 8), (3, 5, 8), (3, 5, 8))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shapes", SDPA_SHAPES, ids=["4d", "2d", "3d-self"])
@pytest.mark.parametrize("mask", ["none", "bool", "float", "causal", "scale"])
def test_sdpa_matches_torch(shapes, mask, dtype):
    q, k, v = (randn(*s, seed=i, dtype=dtype) for i, s in enumerate(shapes))
    weights_shape = shapes[0][:-1] + (shapes[1][-2],)
    kw = {}
    arrays = [q, k, v]
    if mask == "bool":
        m = ~bool_mask(weights_shape)
        m[..., 0] = True  # every row may attend somewhere (fully masked rows: a test below)
        arrays.append(m)
    elif mask == "float":
        arrays.append(randn(*weights_shape[-2:], seed=4, dtype=dtype))
    elif mask == "causal":
        kw["is_causal"] = True
    elif mask == "scale":
        kw["scale"] = 0.3

    def call(fn):
        return lambda q, k, v, *m: fn(q, k, v, attn_mask=m[0] if m else None, **kw)

    compare_with_torch(call(F.scaled_dot_product_attention),
                       call(TF.scaled_dot_product_attention), arrays, grad_inputs=[0, 1, 2])


def test_sdpa_float_mask_gets_a_gradient_and_broadcasts():
    q, k, v = randn(2, 2, 3, 4), randn(2, 2, 5, 4, seed=1), randn(2, 2, 5, 4, seed=2)
    mask = randn(2, 1, 3, 5, seed=3)
    compare_with_torch(F.scaled_dot_product_attention, TF.scaled_dot_product_attention,
                       [q, k, v, mask])


def test_sdpa_fully_masked_rows_give_zero_as_torch():
    q, k, v = randn(1, 2, 3, 4), randn(1, 2, 3, 4, seed=1), randn(1, 2, 3, 4, seed=2)
    keep = np.ones((3, 3), dtype=bool)
    keep[1] = False
    out = compare_with_torch(F.scaled_dot_product_attention, TF.scaled_dot_product_attention,
                             [q, k, v, keep], grad_inputs=[0, 1, 2])[0]
    assert np.all(out.detach().numpy()[:, :, 1] == 0)
    minus_inf = np.where(keep, 0.0, -np.inf).astype(np.float32)
    compare_with_torch(F.scaled_dot_product_attention, TF.scaled_dot_product_attention,
                       [q, k, v, minus_inf], grad_inputs=[0, 1, 2])


def test_sdpa_grouped_query_attention():
    q, k, v = randn(2, 6, 4, 8), randn(2, 2, 5, 8, seed=1), randn(2, 2, 5, 3, seed=2)
    compare_with_torch(lambda *a: F.scaled_dot_product_attention(*a, enable_gqa=True),
                       lambda *a: TF.scaled_dot_product_attention(*a, enable_gqa=True), [q, k, v])
    with pytest.raises(RuntimeError, match="enable_gqa"):
        F.scaled_dot_product_attention(gg.tensor(q), gg.tensor(k), gg.tensor(v))


def test_sdpa_gradcheck():
    q, k, v = randn(2, 3, 4, dtype=np.float64), randn(2, 5, 4, seed=1), randn(2, 5, 3, seed=2)
    mask = randn(3, 5, seed=3)
    check_grads(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
                [q, k, v, mask])
    check_grads(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
                [q, k, v])


@pytest.mark.parametrize("dropout_p", [0.0, 0.3])
def test_fused_attention_array_and_recorded_backward_agree(dropout_p):
    """The first-order backward on arrays equals the recorded (differentiable) one, masks,
    dropout and a loss on the returned weights included."""
    from graphgrad.ops.attention import attend

    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 2))]
    mask = rng.standard_normal((2, 1, 4, 6))
    keep = np.ones((4, 6), dtype=bool)
    keep[1] = False  # a row with nothing to attend to

    def grads(create_graph):
        ts = [gg.tensor(a, requires_grad=True) for a in arrays + [mask]]
        gg.manual_seed(7)
        out, weights = attend(*ts[:3], keep, ts[3], dropout_p, need_weights=True)
        loss = (out * out).sum() + (weights * weights).sum()
        return [g.detach().numpy() for g in gg.autograd.grad(loss, ts, create_graph=create_graph)]

    for fast, recorded in zip(grads(False), grads(True)):
        np.testing.assert_allclose(fast, recorded, rtol=1e-10, atol=1e-12)


def test_sdpa_dropout_is_unbiased_and_seeded():
    q, k, v = randn(1, 3, 4), randn(1, 5, 4, seed=1), randn(1, 5, 2, seed=2)
    many = [gg.tensor(np.repeat(a, 4000, axis=0)) for a in (q, k, v)]
    exact = F.scaled_dot_product_attention(*many[:1], many[1], many[2]).numpy()[0]
    gg.manual_seed(1)
    dropped = F.scaled_dot_product_attention(*many, dropout_p=0.5).numpy()
    assert not np.allclose(dropped[0], exact)
    np.testing.assert_allclose(dropped.mean(0), exact, atol=0.05)
    gg.manual_seed(1)
    again = F.scaled_dot_product_attention(*many, dropout_p=0.5).numpy()
    np.testing.assert_array_equal(dropped, again)


def test_sdpa_errors():
    q = gg.randn(2, 3, 4)
    with pytest.raises(RuntimeError, match="attn_mask should not be set when is_causal"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=gg.ones(3, 3), is_causal=True)
    with pytest.raises(RuntimeError, match=r"attn_mask of shape \(4, 3\) does not broadcast"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=gg.ones(4, 3))
    with pytest.raises(RuntimeError, match="same embedding size"):
        F.scaled_dot_product_attention(q, gg.randn(2, 3, 5), gg.randn(2, 3, 5))
    with pytest.raises(TypeError, match="bool or floating point"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=gg.ones(3, 3, dtype=gg.int64))


# ------------------------------------------------------------------------- MultiheadAttention
MHA_OPTIONS = [
    {}, {"bias": False}, {"add_bias_kv": True}, {"add_zero_attn": True}, {"kdim": 3, "vdim": 5},
    {"batch_first": True}, {"add_bias_kv": True, "add_zero_attn": True, "batch_first": True},
]


def _mha_inputs(options, L=4, S=5, N=2, E=8, batched=True, self_attention=False):
    kdim, vdim = options.get("kdim", E), options.get("vdim", E)
    shape = (lambda n, d: (N, n, d) if options.get("batch_first") else (n, N, d)) if batched \
        else (lambda n, d: (n, d))
    q = randn(*shape(L, E))
    if self_attention:
        return [q]
    return [q, randn(*shape(S, kdim), seed=1), randn(*shape(S, vdim), seed=2)]


def _pair(options, E=8, heads=2):
    gg.manual_seed(0)
    torch.manual_seed(0)
    return nn.MultiheadAttention(E, heads, **options), torch.nn.MultiheadAttention(E, heads,
                                                                                   **options)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", MHA_OPTIONS, ids=lambda o: "-".join(o) or "default")
def test_mha_matches_torch(options, dtype):
    g, t = _pair(options)
    compare_module(g, t, _mha_inputs(options), dtype=dtype)


@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("masks", ["kpm-bool", "kpm-float", "attn-2d-bool", "attn-3d-float",
                                   "both-bool", "both-float"])
@pytest.mark.parametrize("options", [{}, {"add_bias_kv": True, "add_zero_attn": True}],
                         ids=["plain", "bias_kv-zero_attn"])
def test_mha_masks_match_torch(masks, need_weights, average, options):
    L, S, N, H = 4, 5, 2, 2
    g, t = _pair(options, heads=H)
    kw = {"need_weights": need_weights, "average_attn_weights": average}
    padding = bool_mask((N, S), seed=5)
    padding[:, 0] = False
    attn = bool_mask((L, S), seed=6)
    attn[:, 0] = False
    as_float = (lambda m: np.where(m, -np.inf, 0.0).astype(np.float32)) if "float" in masks \
        else (lambda m: m)
    if masks.startswith(("kpm", "both")):
        kw["key_padding_mask"] = as_float(padding)
    if masks.startswith(("attn-2d", "both")):
        kw["attn_mask"] = as_float(attn)
    if masks == "attn-3d-float":
        kw["attn_mask"] = randn(N * H, L, S, seed=7)
    compare_module(g, t, _mha_inputs(options, L, S, N), kwargs=kw)


def test_mha_self_attention_unbatched_and_causal_hint():
    g, t = _pair({"batch_first": True})
    x = randn(5, 8)  # unbatched
    causal = torch.nn.Transformer.generate_square_subsequent_mask(5).numpy()

    for kw in ({}, {"attn_mask": causal, "is_causal": True, "need_weights": False},
               {"key_padding_mask": np.array([False] * 4 + [True])}):
        g.zero_grad()
        t.zero_grad()
        compare_module(g, t, [x], kwargs=kw, call=lambda m, x, **kw: m(x, x, x, **kw))
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        g(gg.tensor(x), gg.tensor(x), gg.tensor(x), is_causal=True)


def test_mha_fully_masked_rows_nan_with_weights_zero_without():
    g, t = _pair({})
    x = randn(3, 2, 8)
    padding = np.array([[True, True, True], [False, False, True]])
    compare_module(g, t, [x, x, x], kwargs={"key_padding_mask": padding})
    out, w = g(*(gg.tensor(x),) * 3, key_padding_mask=gg.tensor(padding))
    assert np.isnan(out.detach().numpy()[:, 0]).all() and np.isnan(w.detach().numpy()[0]).all()
    out, w = g(*(gg.tensor(x),) * 3, key_padding_mask=gg.tensor(padding), need_weights=False)
    assert w is None and np.all(out.detach().numpy()[:, 0] == g.out_proj.bias.detach().numpy())


def test_mha_parameters_and_initialisation_as_torch():
    for options in ({}, {"kdim": 3, "vdim": 5, "add_bias_kv": True}, {"bias": False}):
        g, t = _pair(options, E=64, heads=4)
        assert list(g.state_dict()) == list(t.state_dict())
        assert {k: tuple(v.shape) for k, v in g.state_dict().items()} == \
            {k: tuple(v.shape) for k, v in t.state_dict().items()}
        assert repr(g) == repr(t)
    g = nn.MultiheadAttention(64, 4)
    bound = math.sqrt(6 / (64 + 3 * 64))  # xavier_uniform_ of the (3E, E) in_proj_weight
    w = g.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert not g.in_proj_bias.detach().numpy().any() and not g.out_proj.bias.detach().numpy().any()
    assert g.head_dim == 16 and g._qkv_same_embed_dim


def test_mha_gradcheck():
    g = nn.MultiheadAttention(4, 2, add_bias_kv=True).double()
    mask = np.where(bool_mask((3, 4), seed=1), -1.0, 0.0)
    check_grads(lambda q, kv, m: g(q, kv, kv, attn_mask=m)[0],
                [randn(3, 2, 4, dtype=np.float64), randn(4, 2, 4, seed=1, dtype=np.float64),
                 mask])


def test_mha_dropout_only_in_training():
    g = nn.MultiheadAttention(8, 2, dropout=0.5)
    x = gg.randn(4, 2, 8)
    g.eval()
    a, b = g(x, x, x)[0], g(x, x, x)[0]
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    g.train()
    assert not np.allclose(g(x, x, x)[0].detach().numpy(), a.detach().numpy())


def test_mha_errors():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="must be greater than 0"):
        nn.MultiheadAttention(0, 1)
    g = nn.MultiheadAttention(8, 2)
    x = gg.randn(4, 2, 8)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is \(3, 4\)"):
        g(x, x, x, attn_mask=gg.zeros(3, 4))
    with pytest.raises(AssertionError, match="only bool and floating types of key_padding_mask"):
        g(x, x, x, key_padding_mask=gg.zeros(2, 4, dtype=gg.int64))
    with pytest.raises(AssertionError, match="expected `key` and `value` to be 3-D"):
        g(x, gg.randn(4, 8), gg.randn(4, 8))
    with pytest.warns(UserWarning, match="mismatched key_padding_mask and attn_mask"):
        g(x, x, x, key_padding_mask=gg.zeros(2, 4, dtype=gg.bool), attn_mask=gg.zeros(4, 4))
