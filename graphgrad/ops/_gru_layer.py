"""One direction of one GRU layer as one graph node."""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor
from ._rnn_layer_common import (_check_tensor_dtypes, _graph_backward, _input_projection,
                                _layer_checks, _order, _run_unrolled)
from .rnn import _offsets, _ones_dot, _previous, gru_cell_step


def _gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh, sizes, reverse):
    n = x.shape[0]
    h3 = w_hh.shape[0]
    h = h3 // 3
    dt = x.dtype
    scale = np.ones((h3, 1), dtype=dt)
    scale[:2 * h] = 0.5
    w_ih_t = np.ascontiguousarray((w_ih * scale).T)
    w_hh_t = np.ascontiguousarray((w_hh * scale).T)
    act = x @ w_ih_t  # (N, 3H): r, z pre-activations (halved), n's input part; then r, z, n
    bias = np.zeros(h3, dtype=dt)
    if b_ih is not None:
        bias += b_ih
    if b_hh is not None:
        bias[:2 * h] += b_hh[:2 * h]
    act += bias * scale[:, 0]
    b_hn = b_hh[2 * h:] if b_hh is not None else None
    ghn = np.empty((n, h), dtype=dt)
    out = np.empty((n, h), dtype=dt)
    bmax = sizes[0]
    h_n = np.empty((bmax, h), dtype=dt)
    tmp3 = np.empty((bmax, h3), dtype=dt)
    tmp = np.empty((bmax, h), dtype=dt)
    offs = _offsets(sizes)
    order = _order(len(sizes), reverse)
    hs = h0[:sizes[order[0]]]
    for t in order:
        bs, s = sizes[t], offs[t]
        e = s + bs
        rows = hs.shape[0]
        if bs < rows:
            h_n[bs:rows] = hs[bs:]
            hs = hs[:bs]
        elif bs > rows:
            hs = np.concatenate([hs, h0[rows:bs]])
        a = act[s:e]
        mm = tmp3[:bs]
        np.matmul(hs, w_hh_t, out=mm)
        rz = a[:, :2 * h]
        rz += mm[:, :2 * h]
        np.tanh(rz, out=rz)
        rz *= 0.5
        rz += 0.5
        gn = ghn[s:e]
        if b_hn is not None:
            np.add(mm[:, 2 * h:], b_hn, out=gn)
        else:
            gn[...] = mm[:, 2 * h:]
        nn = a[:, 2 * h:]
        tb = tmp[:bs]
        np.multiply(a[:, :h], gn, out=tb)
        nn += tb
        np.tanh(nn, out=nn)
        np.subtract(hs, nn, out=tb)
        tb *= a[:, h:2 * h]
        hs = out[s:e]
        np.add(nn, tb, out=hs)
    h_n[:hs.shape[0]] = hs
    return out, h_n, act, ghn


def _gru_backward(needs, x, h0, w_ih, w_hh, out, act, ghn, sizes, reverse, d_out, d_hn):
    n = x.shape[0]
    h = w_hh.shape[0] // 3
    dt = x.dtype
    r, z, nn = (act[:, k * h:(k + 1) * h] for k in range(3))
    offs = _offsets(sizes)
    h_prev = _previous(out, h0, sizes, offs, reverse)
    # factors for all steps: dn_pre = dh * fn, dz_pre = dh * fz, dr_pre = dn_pre * fr
    fn = np.multiply(nn, nn)
    np.subtract(1.0, fn, out=fn)
    fn *= 1.0 - z
    fz = np.subtract(h_prev, nn)
    fz *= z
    fz *= 1.0 - z
    fr = 1.0 - r
    fr *= r
    fr *= ghn
    # columns: dr, dz, dn * r (the gradient of gh), dn (the input part of n)
    dbuf = np.empty((n, 4 * h), dtype=dt)
    carry = np.array(d_hn, dtype=dt, copy=True)
    bmax = sizes[0]
    dh_buf = np.empty((bmax, h), dtype=dt)
    tmp = np.empty((bmax, h), dtype=dt)
    for t in _order(len(sizes), not reverse):
        bs, s = sizes[t], offs[t]
        e = s + bs
        dh = dh_buf[:bs]
        np.add(d_out[s:e], carry[:bs], out=dh)
        d = dbuf[s:e]
        dn = d[:, 3 * h:]
        np.multiply(dh, fn[s:e], out=dn)
        np.multiply(dh, fz[s:e], out=d[:, h:2 * h])
        np.multiply(dn, fr[s:e], out=d[:, :h])
        np.multiply(dn, r[s:e], out=d[:, 2 * h:3 * h])
        cb = carry[:bs]
        np.matmul(d[:, :3 * h], w_hh, out=cb)
        np.multiply(dh, z[s:e], out=tmp[:bs])
        cb += tmp[:bs]
    (n_x, n_h0, n_wih, n_whh, n_bih, n_bhh) = needs
    d_rz, d_ghr, d_in = dbuf[:, :2 * h], dbuf[:, :3 * h], dbuf[:, 3 * h:]
    dx = None
    if n_x:
        dx = d_rz @ w_ih[:2 * h]
        dx += d_in @ w_ih[2 * h:]
    dw_ih = None
    if n_wih:
        dw_ih = np.empty(w_ih.shape, dtype=dt)
        np.matmul(d_rz.T, x, out=dw_ih[:2 * h])
        np.matmul(d_in.T, x, out=dw_ih[2 * h:])
    dw_hh = d_ghr.T @ h_prev if n_whh else None
    sums = _ones_dot(dbuf) if (n_bih or n_bhh) else None
    db_ih = np.concatenate([sums[:2 * h], sums[3 * h:]]) if n_bih else None
    db_hh = sums[:3 * h].copy() if n_bhh else None
    return dx, (carry if n_h0 else None), dw_ih, dw_hh, db_ih, db_hh


def _gru_unrolled(sizes, reverse):
    def run(x, h0, w_ih, w_hh, b_ih, b_hh):
        xp = _input_projection(x, w_ih, b_ih)  # b_hh goes with h: the reset gate scales its n part
        w_hh_t = w_hh.t()

        def step(off, bs, states):
            (hs,) = states
            gh = hs @ w_hh_t
            if b_hh is not None:
                gh = gh + b_hh
            out = gru_cell_step(xp[off:off + bs], gh, hs)
            return out, [out]

        out, (h_n,) = _run_unrolled(sizes, reverse, [h0], step)
        return out, h_n
    return run


class GRULayer(ArrayFunction):
    """One direction of one GRU layer over packed rows; see ``gru_layer``."""

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, sizes=(), reverse=False):
        out, h_n, act, ghn = _gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh, sizes, reverse)
        ctx.sizes, ctx.reverse = sizes, reverse
        if any(ctx.needs_input_grad):
            ctx.save_for_backward(x, h0, w_ih, w_hh, b_ih, b_hh, out, act, ghn)
        return out, h_n

    @staticmethod
    def backward_arrays(ctx, d_out, d_hn):
        x, h0, w_ih, w_hh, _, _, out, act, ghn = ctx.saved_arrays
        return _gru_backward(ctx.needs_input_grad, x, h0, w_ih, w_hh, out, act, ghn, ctx.sizes,
                             ctx.reverse, d_out, d_hn)

    @staticmethod
    def backward(ctx, d_out, d_hn):
        return _graph_backward(ctx, _gru_unrolled(ctx.sizes, ctx.reverse), (d_out, d_hn))


def gru_layer(input: Tensor, batch_sizes, h0: Tensor, weight_ih: Tensor, weight_hh: Tensor,
              bias_ih=None, bias_hh=None, reverse: bool = False):
    """One direction of one GRU layer, as one node: ``input (N, I)`` packed rows, ``h0 (B, H)``,
    ``weight_ih (3H, I)``, ``weight_hh (3H, H)``, biases ``(3H,)`` (gate order r, z, n). Returns
    ``output (N, H)`` and ``h_n (B, H)``. See ``lstm_layer`` for the layout."""
    args = (input, h0, weight_ih, weight_hh, bias_ih, bias_hh)
    names = ("input", "h0", "weight_ih", "weight_hh", "bias_ih", "bias_hh")
    _check_tensor_dtypes("gru_layer", names, args)
    h = weight_hh.shape[0] // 3
    extra = [("weight_hh", weight_hh, (3 * h, h)), ("bias_ih", bias_ih, (3 * h,)),
             ("bias_hh", bias_hh, (3 * h,))]
    sizes, _ = _layer_checks("gru_layer", input, h0, weight_ih, weight_hh, 3, h, batch_sizes,
                             extra)
    return GRULayer.apply(*args, sizes=tuple(sizes), reverse=bool(reverse))
