"""Fused recurrent ops: cell steps (lstm/gru/rnn) and whole-layer ops, against PyTorch, gradcheck and
gradgradcheck, the array and graph backward paths, and errors."""
import numpy as np
import pytest

import graphgrad as gg
from graphgrad.ops.rnn import (gru_cell_step, gru_layer, lstm_cell_step, lstm_layer, rnn_cell_step,
                               rnn_layer)
from parity import check_grads, compare_with_torch

RNG = np.random.default_rng(0)


def rand(*shape, scale=0.5):
    return RNG.standard_normal(shape) * scale


def f32(*shape, scale=0.5):
    return rand(*shape, scale=scale).astype(np.float32)


# ------------------------------------------------------------------------ PyTorch's cell functions
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lstm_cell_matches_torch(bias, dtype):
    torch = pytest.importorskip("torch")
    B, I, H = 3, 4, 5
    arrays = [rand(B, I), rand(B, H), rand(B, H), rand(4 * H, I), rand(4 * H, H), rand(4 * H),
              rand(4 * H)]
    arrays = [a.astype(dtype) for a in arrays]

    def gg_fn(x, h, c, wi, wh, bi, bh):
        return gg.lstm_cell(x, (h, c), wi, wh, bi if bias else None, bh if bias else None)

    def th_fn(x, h, c, wi, wh, bi, bh):
        return torch.lstm_cell(x, (h, c), wi, wh, bi if bias else None, bh if bias else None)

    compare_with_torch(gg_fn, th_fn, arrays)


@pytest.mark.parametrize("name", ["gru_cell", "rnn_tanh_cell", "rnn_relu_cell"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gru_and_rnn_cells_match_torch(name, dtype):
    torch = pytest.importorskip("torch")
    B, I, H = 3, 4, 5
    k = 3 if name == "gru_cell" else 1
    arrays = [rand(B, I), rand(B, H), rand(k * H, I), rand(k * H, H), rand(k * H), rand(k * H)]
    arrays = [a.astype(dtype) for a in arrays]
    compare_with_torch(getattr(gg, name), getattr(torch, name), arrays)


def test_cell_steps_gradcheck_and_gradgradcheck():
    B, H = 2, 3
    check_grads(lambda g, c: lstm_cell_step(g, c), [rand(B, 4 * H), rand(B, H)])
    check_grads(lambda g, c, a, b, d: lstm_cell_step(g, c, a, b, d),
                [rand(B, 4 * H), rand(B, H), rand(H), rand(H), rand(H)])
    check_grads(gru_cell_step, [rand(B, 3 * H), rand(B, 3 * H), rand(B, H)])
    check_grads(lambda a, b: rnn_cell_step(a, b, "tanh"), [rand(B, H), rand(B, H)])
    relu_in = rand(B, H) + np.sign(rand(B, H)) * 0.3  # keep clear of the kink for finite differences
    check_grads(lambda a, b: rnn_cell_step(a, b, "relu"), [relu_in, np.zeros((B, H))])


def test_peephole_cell_matches_composite():
    """The peephole step equals the Graves equations written with elementary ops."""
    B, H = 3, 4
    arrays = [rand(B, 4 * H), rand(B, H), rand(H), rand(H), rand(H)]
    g, c, wci, wcf, wco = [gg.tensor(a, requires_grad=True) for a in arrays]
    h1, c1 = lstm_cell_step(g, c, wci, wcf, wco)
    gi, gf, gc, go = g.chunk(4, 1)
    i, f = (gi + wci * c).sigmoid(), (gf + wcf * c).sigmoid()
    c2 = f * c + i * gc.tanh()
    h2 = (go + wco * c2).sigmoid() * c2.tanh()
    np.testing.assert_allclose(h1.detach().numpy(), h2.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(c1.detach().numpy(), c2.detach().numpy(), atol=1e-12)
    w = rand(B, H)
    ga = gg.autograd.grad((h1 * gg.tensor(w)).sum() + c1.sum(), [g, c, wci, wcf, wco])
    gb = gg.autograd.grad((h2 * gg.tensor(w)).sum() + c2.sum(), [g, c, wci, wcf, wco])
    for a, b in zip(ga, gb):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-12)


# ------------------------------------------------------------------------------ whole-layer ops
SIZES = [2, 2, 1]  # packed: sequences of lengths 3 and 2
N = sum(SIZES)


def _layer_cases():
    H, I, P = 2, 2, 1
    return {
        "lstm": (lambda x, h0, c0, wi, wh, bi, bh, rev: lstm_layer(
            x, SIZES, h0, c0, wi, wh, bi, bh, reverse=rev),
            [rand(N, I), rand(2, H), rand(2, H), rand(4 * H, I), rand(4 * H, H), rand(4 * H),
             rand(4 * H)]),
        "lstm_proj_peephole": (lambda x, h0, c0, wi, wh, wr, ci, cf, co, rev: lstm_layer(
            x, SIZES, h0, c0, wi, wh, None, None, wr, (ci, cf, co), reverse=rev),
            [rand(N, I), rand(2, P), rand(2, H), rand(4 * H, I), rand(4 * H, P), rand(P, H),
             rand(H), rand(H), rand(H)]),
        "gru": (lambda x, h0, wi, wh, bi, bh, rev: gru_layer(
            x, SIZES, h0, wi, wh, bi, bh, reverse=rev),
            [rand(N, I), rand(2, H), rand(3 * H, I), rand(3 * H, H), rand(3 * H), rand(3 * H)]),
        "rnn_tanh": (lambda x, h0, wi, wh, bi, bh, rev: rnn_layer(
            x, SIZES, h0, wi, wh, bi, bh, reverse=rev),
            [rand(N, I), rand(2, H), rand(H, I), rand(H, H), rand(H), rand(H)]),
    }


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("case", ["lstm", "lstm_proj_peephole", "gru", "rnn_tanh"])
def test_layer_ops_gradcheck_and_gradgradcheck(case, reverse):
    fn, arrays = _layer_cases()[case]
    check_grads(lambda *a: fn(*a, reverse), arrays)


@pytest.mark.parametrize("case", ["lstm", "lstm_proj_peephole", "gru", "rnn_tanh"])
def test_layer_array_and_graph_backward_agree(case):
    """backward_arrays (BPTT on arrays) and the recorded step-by-step backward give the same
    gradients."""
    fn, arrays = _layer_cases()[case]
    for reverse in (False, True):
        ins = [gg.tensor(a, requires_grad=True) for a in arrays]
        outs = fn(*ins, reverse)
        ws = [gg.tensor(rand(*o.shape)) for o in outs]
        loss = sum((o * w).sum() for o, w in zip(outs, ws))
        fast = gg.autograd.grad(loss, ins, retain_graph=True)
        graph = gg.autograd.grad(loss, ins, create_graph=True)
        assert all(g.grad_fn is not None for g in graph)
        for a, b in zip(fast, graph):
            np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_relu_rnn_layer_matches_torch():
    torch = pytest.importorskip("torch")
    T, B, I, H = 5, 3, 4, 6
    x, h0 = f32(T, B, I), f32(1, B, H)
    rnn = torch.nn.RNN(I, H, nonlinearity="relu")
    w = [p.detach().numpy() for p in rnn.parameters()]
    out, h_n = rnn(torch.tensor(x), torch.tensor(h0))
    o, h = rnn_layer(gg.tensor(x.reshape(T * B, I)), [B] * T, gg.tensor(h0[0]),
                     *[gg.tensor(a) for a in w], nonlinearity="relu")
    np.testing.assert_allclose(o.numpy().reshape(T, B, H), out.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(h.numpy(), h_n[0].detach().numpy(), atol=1e-6)


def test_layer_is_one_node_and_long_sequences_backpropagate():
    T, B, I, H = 5000, 2, 3, 4
    x = gg.tensor(f32(T * B, I), requires_grad=True)
    w = [gg.tensor(f32(4 * H, k), requires_grad=True) for k in (I, H)]
    zeros = gg.zeros(B, H)
    out, h_n, c_n = lstm_layer(x, [B] * T, zeros, zeros, w[0], w[1])
    assert out.grad_fn is h_n.grad_fn and type(out.grad_fn).__name__ == "LSTMLayer"
    (out.sum() + h_n.sum()).backward()
    assert x.grad.shape == (T * B, I) and np.isfinite(w[1].grad.numpy()).all()


def test_layer_op_errors():
    x, h0 = gg.tensor(f32(6, 2)), gg.tensor(f32(3, 3))
    wi, wh = gg.tensor(f32(12, 2)), gg.tensor(f32(12, 3))
    with pytest.raises(ValueError, match=r"lstm_layer: batch_sizes \[3, 3, 1\] add up to 7"):
        lstm_layer(x, [3, 3, 1], h0, h0, wi, wh)
    with pytest.raises(ValueError, match="non-increasing"):
        lstm_layer(x, [2, 4], h0, h0, wi, wh)
    with pytest.raises(RuntimeError, match=r"input has 2 features but weight_ih of shape \(12, 3\)"):
        lstm_layer(x, [3, 3], h0, h0, gg.tensor(f32(12, 3)), wh)
    with pytest.raises(RuntimeError, match=r"expected h0 of shape \(3, 3\), got \(2, 3\)"):
        lstm_layer(x, [3, 3], gg.tensor(f32(2, 3)), h0, wi, wh)
    with pytest.raises(TypeError, match="dtype"):
        lstm_layer(x, [3, 3], h0, h0, wi, gg.tensor(rand(12, 3)))
    with pytest.raises(RuntimeError, match="gates must have shape"):
        lstm_cell_step(gg.tensor(f32(3, 8)), h0)
    with pytest.raises(ValueError, match="nonlinearity"):
        rnn_cell_step(h0, h0, "sigmoid")
