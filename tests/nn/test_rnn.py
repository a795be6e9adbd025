"""Recurrent layers and cells against PyTorch with the same weights; learning, truncated BPTT,
peephole LSTM and errors."""
import itertools

import numpy as np
import pytest

import graphgrad as gg
import graphgrad.nn as nn
from graphgrad.nn.utils import rnn as rnn_utils

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")

I, H, P, B, T = 3, 4, 2, 3, 4
LENGTHS = [4, 2, 3]  # unsorted: packing sorts them and unpacking restores the order


def make_pair(kind, **kw):
    """A graphgrad layer and a PyTorch layer with the PyTorch layer's weights (state_dict copy)."""
    if kind in ("tanh", "relu"):
        g, t = nn.RNN(I, H, nonlinearity=kind, **kw), torch.nn.RNN(I, H, nonlinearity=kind, **kw)
    elif kind == "lstm":
        g, t = nn.LSTM(I, H, **kw), torch.nn.LSTM(I, H, **kw)
    elif kind == "lstm_proj":
        g, t = nn.LSTM(I, H, proj_size=P, **kw), torch.nn.LSTM(I, H, proj_size=P, **kw)
    else:
        g, t = nn.GRU(I, H, **kw), torch.nn.GRU(I, H, **kw)
    g.load_state_dict({k: gg.tensor(v.detach().numpy().copy()) for k, v in t.state_dict().items()})
    return g, t


def _close(a, b, what, tol=1e-5):
    a = a.detach().numpy() if hasattr(a, "detach") else a
    b = b.detach().numpy() if hasattr(b, "detach") else b
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs torch {b.shape}"
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=what)


def run_both(g, t, kind, x, hx, batch_first, packed):
    """Forward both layers, backprop the same random projection; return everything to compare."""
    lstm = kind.startswith("lstm")
    gx, tx = gg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ghx = thx = None
    gstates = tstates = []
    if hx is not None:
        gstates = [gg.tensor(a, requires_grad=True) for a in hx]
        tstates = [torch.tensor(a, requires_grad=True) for a in hx]
        ghx = tuple(gstates) if lstm else gstates[0]
        thx = tuple(tstates) if lstm else tstates[0]
    gi, ti = gx, tx
    if packed:
        gi = rnn_utils.pack_padded_sequence(gx, LENGTHS, batch_first, enforce_sorted=False)
        ti = torch.nn.utils.rnn.pack_padded_sequence(tx, torch.tensor(LENGTHS), batch_first,
                                                     enforce_sorted=False)
    go, gs = g(gi, ghx)
    to, ts = t(ti, thx)
    if packed:
        assert isinstance(go, rnn_utils.PackedSequence)
        assert go.batch_sizes.tolist() == to.batch_sizes.tolist()
        go, _ = rnn_utils.pad_packed_sequence(go, batch_first)
        to, _ = torch.nn.utils.rnn.pad_packed_sequence(to, batch_first)
    gs, ts = (list(gs), list(ts)) if lstm else ([gs], [ts])
    rng = np.random.default_rng(1)
    ws = [rng.standard_normal(tuple(o.shape)).astype(np.float32) for o in [to] + ts]
    sum((o * gg.tensor(w)).sum() for o, w in zip([go] + gs, ws)).backward()
    sum((o * torch.tensor(w)).sum() for o, w in zip([to] + ts, ws)).backward()
    return (go, gs, gx, gstates), (to, ts, tx, tstates)


def assert_same(g, t, got, want):
    (go, gs, gx, gst), (to, ts, tx, tst) = got, want
    _close(go, to, "output")
    for k, (a, b) in enumerate(zip(gs, ts)):
        _close(a, b, f"final state {k}")
    _close(gx.grad, tx.grad, "input gradient")
    for k, (a, b) in enumerate(zip(gst, tst)):
        _close(a.grad, b.grad, f"initial state {k} gradient")
    tparams = dict(t.named_parameters())
    names = [n for n, _ in g.named_parameters()]
    assert names == list(tparams)
    for n, p in g.named_parameters():
        _close(p.grad, tparams[n].grad, f"gradient of {n}")


GRID = list(itertools.product(["tanh", "relu", "lstm", "lstm_proj", "gru"], [1, 3], [False, True],
                              [False, True], [False, True]))


@pytest.mark.parametrize("kind,num_layers,bidirectional,batch_first,packed", GRID)
def test_matches_torch(kind, num_layers, bidirectional, batch_first, packed):
    g, t = make_pair(kind, num_layers=num_layers, bidirectional=bidirectional,
                     batch_first=batch_first)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((B, T, I) if batch_first else (T, B, I)).astype(np.float32)
    d = 2 if bidirectional else 1
    out_size = P if kind == "lstm_proj" else H
    hx = [rng.standard_normal((num_layers * d, B, out_size)).astype(np.float32)]
    if kind.startswith("lstm"):
        hx.append(rng.standard_normal((num_layers * d, B, H)).astype(np.float32))
    assert_same(g, t, *run_both(g, t, kind, x, hx, batch_first, packed))


@pytest.mark.parametrize("kind", ["tanh", "lstm", "lstm_proj", "gru"])
def test_default_states_unbatched_and_no_bias(kind):
    g, t = make_pair(kind, bias=False, bidirectional=True, num_layers=2)
    x = np.random.default_rng(2).standard_normal((T, B, I)).astype(np.float32)
    assert_same(g, t, *run_both(g, t, kind, x, None, False, True))
    go, gs = g(gg.tensor(x[:, 0]))
    to, ts = t(torch.tensor(x[:, 0]))
    _close(go, to, "unbatched output")
    for a, b in zip(gs if kind.startswith("lstm") else [gs], ts if kind.startswith("lstm") else [ts]):
        _close(a, b, "unbatched state")


@pytest.mark.parametrize("kind", ["tanh", "lstm", "lstm_proj", "gru"])
def test_parameters_state_dict_and_init_as_torch(kind):
    g, t = make_pair(kind, num_layers=2, bidirectional=True)
    gsd, tsd = g.state_dict(), t.state_dict()
    assert list(gsd) == list(tsd)
    assert all(tuple(gsd[k].shape) == tuple(tsd[k].shape) for k in gsd)
    gg.manual_seed(3)
    fresh = type(g)(I, H, num_layers=2, bidirectional=True,
                    **({"proj_size": P} if kind == "lstm_proj" else {}))
    bound = 1 / np.sqrt(H)
    values = np.concatenate([p.detach().numpy().ravel() for p in fresh.parameters()])
    assert values.dtype == np.float32 and np.abs(values).max() <= bound
    assert abs(values.std() - bound / np.sqrt(3)) < 0.2 * bound  # the std of U(-b, b)
    gg.manual_seed(3)
    again = type(g)(I, H, num_layers=2, bidirectional=True,
                    **({"proj_size": P} if kind == "lstm_proj" else {}))
    for a, b in zip(fresh.parameters(), again.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert repr(g) == repr(t).replace("torch.", "")


def test_dropout_between_layers():
    g, t = make_pair("lstm", num_layers=3, dropout=0.5)
    x = gg.tensor(np.random.default_rng(0).standard_normal((T, B, I)).astype(np.float32))
    g.eval()
    t.eval()
    _close(g(x)[0], t(torch.tensor(x.numpy()))[0], "eval output")
    g.train()
    a, b = g(x)[0], g(x)[0]
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.GRU(I, H, dropout=0.2)


@pytest.mark.parametrize("cell", ["tanh", "relu", "lstm", "gru"])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_cells_match_torch(cell, batched, bias):
    if cell in ("tanh", "relu"):
        g, t = nn.RNNCell(I, H, bias, cell), torch.nn.RNNCell(I, H, bias, cell)
    else:
        g = {"lstm": nn.LSTMCell, "gru": nn.GRUCell}[cell](I, H, bias)
        t = {"lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}[cell](I, H, bias)
    g.load_state_dict({k: gg.tensor(v.detach().numpy().copy()) for k, v in t.state_dict().items()})
    rng = np.random.default_rng(0)
    shape = (B, I) if batched else (I,)
    x = rng.standard_normal(shape).astype(np.float32)
    hs = [rng.standard_normal(shape[:-1] + (H,)).astype(np.float32)
          for _ in range(2 if cell == "lstm" else 1)]
    gx, tx = gg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gh = [gg.tensor(h, requires_grad=True) for h in hs]
    th = [torch.tensor(h, requires_grad=True) for h in hs]
    go = g(gx, tuple(gh) if cell == "lstm" else gh[0])
    to = t(tx, tuple(th) if cell == "lstm" else th[0])
    go, to = (list(go), list(to)) if cell == "lstm" else ([go], [to])
    for a, b in zip(go, to):
        _close(a, b, "cell output")
    sum((a * (k + 1)).sum() for k, a in enumerate(go)).backward()
    sum((a * (k + 1)).sum() for k, a in enumerate(to)).backward()
    _close(gx.grad, tx.grad, "input gradient")
    for a, b in zip(gh, th):
        _close(a.grad, b.grad, "state gradient")
    tparams = dict(t.named_parameters())
    for n, p in g.named_parameters():
        _close(p.grad, tparams[n].grad, f"gradient of {n}")
    default = g(gg.tensor(x))
    tdefault = t(torch.tensor(x))
    _close(default[0] if cell == "lstm" else default, tdefault[0] if cell == "lstm" else tdefault,
           "zero initial state")


# ------------------------------------------------------------------------------- peephole LSTM
def _peephole_reference(x, h0, c0, params):
    """Graves' peephole LSTM written step by step in PyTorch."""
    w_ih, w_hh, b_ih, b_hh, w_ci, w_cf, w_co = params
    h, c, outs = h0, c0, []
    for xt in x:
        gi, gf, gg_, go = (xt @ w_ih.T + b_ih + h @ w_hh.T + b_hh).chunk(4, 1)
        i = torch.sigmoid(gi + w_ci * c)
        f = torch.sigmoid(gf + w_cf * c)
        c = f * c + i * torch.tanh(gg_)
        h = torch.sigmoid(go + w_co * c) * torch.tanh(c)
        outs.append(h)
    return torch.stack(outs), h, c


def test_peephole_lstm_matches_reference_equations():
    g = nn.PeepholeLSTM(I, H)
    names = [n for n, _ in g.named_parameters()]
    assert names == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ci_l0",
                     "weight_cf_l0", "weight_co_l0"]
    rng = np.random.default_rng(0)
    x, h0, c0 = (rng.standard_normal(s).astype(np.float32) for s in ((T, B, I), (B, H), (B, H)))
    tparams = [torch.tensor(p.detach().numpy().copy(), requires_grad=True) for p in g.parameters()]
    tx = torch.tensor(x, requires_grad=True)
    to, th, tc = _peephole_reference(tx, torch.tensor(h0), torch.tensor(c0), tparams)
    gx = gg.tensor(x, requires_grad=True)
    go, (gh, gc) = g(gx, (gg.tensor(h0[None]), gg.tensor(c0[None])))
    _close(go, to, "output")
    _close(gh[0], th, "h_n")
    _close(gc[0], tc, "c_n")
    (go.sum() + gc.sum()).backward()
    (to.sum() + tc.sum()).backward()
    _close(gx.grad, tx.grad, "input gradient")
    for (n, p), tp in zip(g.named_parameters(), tparams):
        _close(p.grad, tp.grad, f"gradient of {n}")


def test_peephole_lstm_packed_equals_each_sequence_alone():
    g = nn.PeepholeLSTM(I, H, bidirectional=True)
    rng = np.random.default_rng(0)
    seqs = [gg.tensor(rng.standard_normal((n, I)).astype(np.float32)) for n in LENGTHS]
    out, (h_n, c_n) = g(rnn_utils.pack_sequence(seqs, enforce_sorted=False))
    padded, _ = rnn_utils.pad_packed_sequence(out)
    for b, s in enumerate(seqs):
        o, (h, c) = g(s)
        _close(padded[:LENGTHS[b], b], o, f"sequence {b} output", tol=1e-6)
        _close(h_n[:, b], h, f"sequence {b} h_n", tol=1e-6)
        _close(c_n[:, b], c, f"sequence {b} c_n", tol=1e-6)


# ------------------------------------------------------------------------------------ learning
def _delay_task(model, head, steps, lr, delay=2, seed=0):
    """Each output must reproduce the input bit from ``delay`` steps earlier."""
    gg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    opt = gg.optim.Adam(list(model.parameters()) + list(head.parameters()), lr=lr)
    losses = []
    for _ in range(steps):
        bits = rng.integers(0, 2, (12, 16))
        x = gg.tensor(bits[..., None].astype(np.float32))
        y = gg.tensor(np.roll(bits, delay, 0)[delay:].reshape(-1))
        out, _ = model(x)
        logits = head(out[delay:]).reshape(-1, 2)
        loss = nn.functional.cross_entropy(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("make", [lambda: nn.RNN(1, 16), lambda: nn.LSTM(1, 16)],
                         ids=["rnn", "lstm"])
def test_learns_a_delay_task(make):
    gg.manual_seed(0)
    model = make()
    losses = _delay_task(model, nn.Linear(16, 2), steps=150, lr=0.03)
    assert losses[0] > 0.6 and np.mean(losses[-10:]) < 0.1, losses[::15]


def test_truncated_bptt_with_detach_and_clip_grad_norm():
    gg.manual_seed(0)
    model, head = nn.LSTM(1, 16), nn.Linear(16, 2)
    params = list(model.parameters()) + list(head.parameters())
    opt = gg.optim.Adam(params, lr=0.03)
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2, (400, 8))
    target = np.roll(bits, 1, 0)
    state, losses, chunk = None, [], 20
    for epoch in range(3):
        state = None
        for s in range(0, 400, chunk):
            x = gg.tensor(bits[s:s + chunk, :, None].astype(np.float32))
            y = gg.tensor(target[s:s + chunk].reshape(-1))
            out, state = model(x, state)
            loss = nn.functional.cross_entropy(head(out).reshape(-1, 2), y)
            opt.zero_grad()
            loss.backward()
            norm = nn.utils.clip_grad_norm_(params, 1.0)
            assert np.isfinite(float(norm))
            assert np.sqrt(sum((p.grad.numpy() ** 2).sum() for p in params)) <= 1.0 + 1e-5
            opt.step()
            state = tuple(s_.detach() for s_ in state)  # carry the state, cut the graph
            assert all(s_.grad_fn is None and not s_.requires_grad for s_ in state)
            losses.append(loss.item())
    assert np.mean(losses[:5]) > 0.6 and np.mean(losses[-10:]) < 0.2


def test_detached_state_stops_gradient_at_chunk_boundary():
    g = nn.GRU(I, H)
    rng = np.random.default_rng(0)
    x1, x2 = (gg.tensor(rng.standard_normal((T, B, I)).astype(np.float32), requires_grad=True)
              for _ in range(2))
    _, h = g(x1)
    out, _ = g(x2, h.detach())
    out.sum().backward()
    assert x1.grad is None and x2.grad is not None


# --------------------------------------------------------------------------------------- errors
def test_errors_name_the_layer_and_shapes():
    lstm = nn.LSTM(10, 20, num_layers=2)
    with pytest.raises(RuntimeError, match=r"LSTM: input.size\(-1\) must be equal to input_size. "
                                           r"Expected 10, got 5 \(input shape \(7, 3, 5\)\)"):
        lstm(gg.randn(7, 3, 5))
    h, c = gg.zeros(2, 3, 20), gg.zeros(2, 3, 20)
    with pytest.raises(RuntimeError, match=r"LSTM: Expected hidden\[0\] size \(2, 3, 20\), got "
                                           r"\[1, 3, 20\]"):
        lstm(gg.randn(7, 3, 10), (gg.zeros(1, 3, 20), c))
    with pytest.raises(RuntimeError, match=r"LSTM: Expected hidden\[1\] size \(2, 3, 20\), got "
                                           r"\[2, 4, 20\]"):
        lstm(gg.randn(7, 3, 10), (h, gg.zeros(2, 4, 20)))
    with pytest.raises(RuntimeError, match=r"GRU: Expected hidden size \(1, 3, 20\), got "
                                           r"\[1, 3, 10\]"):
        nn.GRU(10, 20)(gg.randn(7, 3, 10), gg.zeros(1, 3, 10))
    with pytest.raises(RuntimeError, match=r"RNN: Expected input to be 2D or 3D, got 4D"):
        nn.RNN(10, 20)(gg.randn(7, 3, 10, 1))
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        rnn_utils.pack_padded_sequence(gg.randn(4, 3, 10), [2, 4, 3], enforce_sorted=True)
    with pytest.raises(RuntimeError, match=r"LSTMCell: input has inconsistent input_size: got 5 "
                                           r"expected 10"):
        nn.LSTMCell(10, 20)(gg.randn(3, 5))
    with pytest.raises(RuntimeError, match=r"GRUCell: Expected hidden state 0 of shape \(3, 20\)"):
        nn.GRUCell(10, 20)(gg.randn(3, 10), gg.zeros(2, 20))
    with pytest.raises(TypeError, match="LSTM: input must have the type"):
        nn.LSTM(10, 20)(gg.randn(7, 3, 10, dtype=gg.float64))
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(10, 20, proj_size=20)
    with pytest.raises(ValueError, match="only supported for LSTM"):
        nn.GRU(10, 20, proj_size=5)
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.LSTM(10, 20, dropout=1.5)
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        nn.RNN(10, 20, nonlinearity="sigmoid")
