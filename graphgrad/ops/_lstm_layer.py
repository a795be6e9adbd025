"""One direction of one LSTM layer (projection and peepholes optional) as one graph node.

The state is kept as column blocks (features x batch) so that ``W_hh @ h`` has the shape OpenBLAS
runs fastest and every gate slice is contiguous (docs/performance.md, LSTM)."""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor
from ._rnn_layer_common import (_check_tensor_dtypes, _graph_backward, _input_projection,
                                _layer_checks, _order, _run_unrolled)
from .rnn import _lstm_perm, lstm_cell_step


def _padded_index(sizes: list) -> np.ndarray | None:
    """Where each packed row sits in the (T * B) grid of a padded batch; None when all sequences
    have full length (the packed rows are then the padded batch)."""
    b = sizes[0]
    if sizes[-1] == b:
        return None
    return np.concatenate([t * b + np.arange(bs) for t, bs in enumerate(sizes)])


def _to_blocks(rows: np.ndarray, idx, n_steps: int, batch: int) -> np.ndarray:
    """Packed rows (N, F) to per-step column blocks (T, F, B), zeros where a sequence has ended."""
    if idx is not None:
        full = np.zeros((n_steps * batch, rows.shape[1]), dtype=rows.dtype)
        full[idx] = rows
        rows = full
    return np.ascontiguousarray(rows.reshape(n_steps, batch, -1).transpose(0, 2, 1))


def _to_rows(blocks: np.ndarray, idx) -> np.ndarray:
    """Per-step column blocks (T, F, B) back to packed rows (N, F)."""
    n_steps, feat, batch = blocks.shape
    rows = np.empty((n_steps, batch, feat), dtype=blocks.dtype)
    np.copyto(rows, blocks.transpose(0, 2, 1))
    rows = rows.reshape(n_steps * batch, feat)
    return rows if idx is None else rows[idx]


def _augmented_input(x, idx, n_rows: int, ones: bool) -> np.ndarray:
    """The input as padded rows, with a column of ones appended when there is a bias."""
    if not ones and idx is None:
        return x
    xa = np.zeros((n_rows, x.shape[1] + ones), dtype=x.dtype)
    if idx is None:
        xa[:, :x.shape[1]] = x
    else:
        xa[idx, :x.shape[1]] = x
    if ones:
        xa[:, -1] = 1
    return xa


def _lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, peep, sizes, reverse):
    """Returns out (N, P), h_n (B, P), c_n (B, H) and the arrays backward needs.

    Per step the state is a column block (features x batch): ``W_hh @ h`` has the shape BLAS runs
    fastest for a small batch, and every slice of a gate block is contiguous. Packed batches run as
    padded ones in which a sequence that has ended (or, in reverse, not yet started) keeps its
    state."""
    h4, p = w_hh.shape
    h = h4 // 4
    dt = x.dtype
    n_steps, batch = len(sizes), sizes[0]
    perm, _ = _lstm_perm(h)
    scale = np.ones((h4, 1), dtype=dt)
    scale[:3 * h] = 0.5  # sigmoid(z) = 0.5 * tanh(z / 2) + 0.5 for o, i, f
    w_h = w_hh[perm] * scale
    idx = _padded_index(sizes)
    xa = _augmented_input(x, idx, n_steps * batch, b_ih is not None or b_hh is not None)
    w_a = np.empty((h4, xa.shape[1]), dtype=dt)  # [W_ih | b_ih + b_hh]: the bias rides along
    w_a[:, :x.shape[1]] = w_ih[perm]
    if xa.shape[1] > x.shape[1]:
        w_a[:, -1] = ((b_ih if b_ih is not None else 0) + (b_hh if b_hh is not None else 0))[perm]
    w_a *= scale
    gates = np.empty((n_steps, h4, batch), dtype=dt)  # pre-activations, then activations o,i,f,g
    np.matmul(w_a, xa.reshape(n_steps, batch, -1).transpose(0, 2, 1), out=gates)
    if peep is not None:
        wci, wcf, wco = (0.5 * w[:, None] for w in peep)
    states = np.empty((2, n_steps, h, batch), dtype=dt)  # one allocation: huge pages
    cs, tcs = states[0], states[1]
    hs_all = np.empty((n_steps, p, batch), dtype=dt)
    hraw = np.empty((n_steps, h, batch), dtype=dt) if w_hr is not None else hs_all
    hs, c_prev = np.ascontiguousarray(h0.T), np.ascontiguousarray(c0.T)
    mm = np.empty((h4, batch), dtype=dt)
    tb = np.empty((h, batch), dtype=dt)
    for t in _order(n_steps, reverse):
        g = gates[t]
        np.matmul(w_h, hs, out=mm)
        g += mm
        if peep is None:
            np.tanh(g, out=g)
            sg = g[:3 * h]
        else:
            np.multiply(c_prev, wci, out=tb)
            g[h:2 * h] += tb
            np.multiply(c_prev, wcf, out=tb)
            g[2 * h:3 * h] += tb
            sg = g[h:]
            np.tanh(sg, out=sg)
            sg = g[h:3 * h]
        sg *= 0.5
        sg += 0.5
        c = cs[t]
        np.multiply(g[2 * h:3 * h], c_prev, out=c)
        np.multiply(g[h:2 * h], g[3 * h:], out=tb)
        c += tb
        if peep is not None:
            o = g[:h]
            np.multiply(c, wco, out=tb)
            o += tb
            np.tanh(o, out=o)
            o *= 0.5
            o += 0.5
        tc = tcs[t]
        np.tanh(c, out=tc)
        hr = hraw[t]
        np.multiply(g[:h], tc, out=hr)
        if w_hr is not None:
            np.matmul(w_hr, hr, out=hs_all[t])
        bs = sizes[t]
        if bs < batch:  # sequences not running at this step keep their state
            hs_all[t][:, bs:] = hs[:, bs:]
            c[:, bs:] = c_prev[:, bs:]
        hs, c_prev = hs_all[t], c
    out = _to_rows(hs_all, idx)
    return out, hs.T.copy(), c_prev.T.copy(), (gates, states, hraw, hs_all, idx, xa)


def _lstm_backward(needs, x, h0, c0, w_ih, w_hh, w_hr, peep, saved, sizes, reverse, d_out, d_hn,
                   d_cn):
    gates, states, hraw, hs_all, idx, xa = saved
    cs, tcs = states[0], states[1]
    n_steps, h4, batch = gates.shape
    h = h4 // 4
    p = hs_all.shape[1]
    dt = x.dtype
    perm, inv = _lstm_perm(h)
    o, i, f, g = (gates[:, k * h:(k + 1) * h] for k in range(4))
    c0t = c0.T[None]
    c_prev = (np.concatenate([cs[1:], c0t]) if reverse else np.concatenate([c0t, cs[:-1]]))
    # factors of dgates for all steps at once: do = dh*fo, dc = dh*fc + ..., d(i,f,g) = dc*f3
    fo = 1.0 - o
    fo *= o
    fo *= tcs
    fc = np.multiply(tcs, tcs)
    np.subtract(1.0, fc, out=fc)
    fc *= o
    f3 = np.empty((n_steps, 3, h, batch), dtype=dt)
    np.subtract(1.0, i, out=f3[:, 0])
    f3[:, 0] *= i
    f3[:, 0] *= g
    np.subtract(1.0, f, out=f3[:, 1])
    f3[:, 1] *= f
    f3[:, 1] *= c_prev
    np.multiply(g, g, out=f3[:, 2])
    np.subtract(1.0, f3[:, 2], out=f3[:, 2])
    f3[:, 2] *= i
    w_h_t = np.ascontiguousarray(w_hh[perm].T)
    d_out_b = _to_blocks(d_out, idx, n_steps, batch)
    dgates = np.empty((n_steps, h4, batch), dtype=dt)
    carry_h = np.ascontiguousarray(d_hn.T, dtype=dt)
    carry_c = np.ascontiguousarray(d_cn.T, dtype=dt)
    spare_c = np.empty_like(carry_c)
    dc = np.empty((h, batch), dtype=dt)
    proj = w_hr is not None
    dh_all = np.empty((n_steps, p, batch), dtype=dt) if proj else None
    dh_buf = np.empty((p, batch), dtype=dt)
    dhr = np.empty((h, batch), dtype=dt) if proj else None
    if peep is not None:
        wci, wcf, wco = (w[:, None] for w in peep)
    for t in _order(n_steps, not reverse):
        bs = sizes[t]
        dh = dh_all[t] if proj else dh_buf
        np.add(d_out_b[t], carry_h, out=dh)
        dr = dh
        if proj:
            np.matmul(w_hr.T, dh, out=dhr)
            dr = dhr
        np.multiply(dr, fc[t], out=dc)
        dc += carry_c
        d = dgates[t]
        np.multiply(dr, fo[t], out=d[:h])
        if peep is not None:
            dc += d[:h] * wco
        np.multiply(dc[None], f3[t], out=d[h:].reshape(3, h, batch))
        if bs < batch:
            d[:, bs:] = 0
        np.multiply(dc, f[t], out=spare_c)
        if peep is not None:
            spare_c += d[h:2 * h] * wci
            spare_c += d[2 * h:3 * h] * wcf
        np.matmul(w_h_t, d, out=carry_h)
        if bs < batch:  # a kept state passes its gradient straight through
            carry_h[:, bs:] = dh[:, bs:]
            spare_c[:, bs:] = carry_c[:, bs:]
            if proj:
                dh[:, bs:] = 0
        carry_c, spare_c = spare_c, carry_c
    (n_x, n_h0, n_c0, n_wih, n_whh, n_bih, n_bhh, n_whr, n_ci, n_cf, n_co) = needs
    rows = np.empty((n_steps, batch, h4), dtype=dt)
    np.copyto(rows, dgates.transpose(0, 2, 1))
    rows = rows.reshape(n_steps * batch, h4)
    dx = dw_ih = dw_hh = db = dw_hr = dci = dcf = dco = None
    if n_x:
        dx = rows @ w_ih[perm]
        if idx is not None:
            dx = dx[idx]
    if n_wih or n_bih or n_bhh:
        dw_a = rows.T @ xa  # (4H, I [+ 1]): the bias gradient is the column of the ones
        if n_wih:
            dw_ih = dw_a[inv, :x.shape[1]]
        if n_bih or n_bhh:
            db = dw_a[inv, -1]
    if n_whh:
        h_prev = np.empty((n_steps, batch, p), dtype=dt)
        first, rest, src = (-1, slice(0, -1), hs_all[1:]) if reverse else (0, slice(1, None),
                                                                           hs_all[:-1])
        h_prev[first] = h0
        np.copyto(h_prev[rest], src.transpose(0, 2, 1))
        dw_hh = (rows.T @ h_prev.reshape(n_steps * batch, p))[inv]
    if n_whr:
        dw_hr = np.tensordot(dh_all, hraw, axes=([0, 2], [0, 2]))
    if n_ci:
        dci = np.einsum("thb,thb->h", dgates[:, h:2 * h], c_prev)
    if n_cf:
        dcf = np.einsum("thb,thb->h", dgates[:, 2 * h:3 * h], c_prev)
    if n_co:
        dco = np.einsum("thb,thb->h", dgates[:, :h], cs)
    return (dx, carry_h.T.copy() if n_h0 else None, carry_c.T.copy() if n_c0 else None, dw_ih,
            dw_hh, db if n_bih else None, db if n_bhh else None, dw_hr, dci, dcf, dco)


def _lstm_unrolled(sizes, reverse):
    def run(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, w_ci, w_cf, w_co):
        xp = _input_projection(x, w_ih, b_ih, b_hh)
        w_hh_t = w_hh.t()

        def step(off, bs, states):
            hs, cs = states
            hr, c = lstm_cell_step(xp[off:off + bs] + hs @ w_hh_t, cs, w_ci, w_cf, w_co)
            out = hr @ w_hr.t() if w_hr is not None else hr
            return out, [out, c]

        out, (h_n, c_n) = _run_unrolled(sizes, reverse, [h0, c0], step)
        return out, h_n, c_n
    return run


class LSTMLayer(ArrayFunction):
    """One direction of one LSTM layer over packed rows; see ``lstm_layer``."""

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, w_ci, w_cf, w_co, sizes=(),
                reverse=False):
        peep = None if w_ci is None else (w_ci, w_cf, w_co)
        out, h_n, c_n, saved = _lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, peep, sizes,
                                             reverse)
        ctx.sizes, ctx.reverse = sizes, reverse
        if any(ctx.needs_input_grad):
            gates, states, hraw, hs_all, ctx.idx, xa = saved
            ctx.save_for_backward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, w_ci, w_cf, w_co,
                                  gates, states, hraw, hs_all, xa)
        return out, h_n, c_n

    @staticmethod
    def backward_arrays(ctx, d_out, d_hn, d_cn):
        (x, h0, c0, w_ih, w_hh, _, _, w_hr, w_ci, w_cf, w_co, gates, states, hraw,
         hs_all, xa) = ctx.saved_arrays
        peep = None if w_ci is None else (w_ci, w_cf, w_co)
        return _lstm_backward(ctx.needs_input_grad, x, h0, c0, w_ih, w_hh, w_hr, peep,
                              (gates, states, hraw, hs_all, ctx.idx, xa), ctx.sizes, ctx.reverse,
                              d_out, d_hn, d_cn)

    @staticmethod
    def backward(ctx, d_out, d_hn, d_cn):
        return _graph_backward(ctx, _lstm_unrolled(ctx.sizes, ctx.reverse), (d_out, d_hn, d_cn))


def lstm_layer(input: Tensor, batch_sizes, h0: Tensor, c0: Tensor, weight_ih: Tensor,
               weight_hh: Tensor, bias_ih=None, bias_hh=None, weight_hr=None, peephole=None,
               reverse: bool = False):
    """One direction of one LSTM layer, as one node.

    ``input (N, I)``: packed rows (``batch_sizes[t]`` rows for step t, non-increasing; a padded
    ``(T, B, I)`` batch reshaped to ``(T*B, I)`` with ``batch_sizes = [B] * T``). ``h0 (B, P)``,
    ``c0 (B, H)``, ``weight_ih (4H, I)``, ``weight_hh (4H, P)``, biases ``(4H,)``, ``weight_hr
    (P, H)`` (projection, ``P = H`` without), ``peephole = (w_ci, w_cf, w_co)`` each ``(H,)`` or
    None. ``reverse`` runs the sequences backwards. Returns ``output (N, P)`` (packed like the
    input), ``h_n (B, P)``, ``c_n (B, H)``.
    """
    w_ci, w_cf, w_co = peephole if peephole is not None else (None, None, None)
    args = (input, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, weight_hr, w_ci, w_cf, w_co)
    names = ("input", "h0", "c0", "weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr",
             "w_ci", "w_cf", "w_co")
    _check_tensor_dtypes("lstm_layer", names, args)
    p = weight_hh.shape[1]
    h = weight_hh.shape[0] // 4
    extra = [("c0", c0, (h0.shape[0], h)), ("bias_ih", bias_ih, (4 * h,)),
             ("bias_hh", bias_hh, (4 * h,)), ("w_ci", w_ci, (h,)), ("w_cf", w_cf, (h,)),
             ("w_co", w_co, (h,))]
    if weight_hr is not None:
        extra.append(("weight_hr", weight_hr, (p, h)))
    elif p != h:
        raise RuntimeError(f"lstm_layer: weight_hh of shape {tuple(weight_hh.shape)} needs a "
                           "weight_hr projection")
    sizes, _ = _layer_checks("lstm_layer", input, h0, weight_ih, weight_hh, 4, p, batch_sizes,
                             extra)
    return LSTMLayer.apply(*args, sizes=tuple(sizes), reverse=bool(reverse))
