"""One direction of one vanilla (tanh or ReLU) RNN layer as one graph node."""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor
from ._rnn_layer_common import (_check_tensor_dtypes, _graph_backward, _input_projection,
                                _layer_checks, _order, _run_unrolled)
from .rnn import _offsets, _ones_dot, _previous, rnn_cell_step


def _rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh, sizes, reverse, relu):
    h = w_hh.shape[0]
    dt = x.dtype
    out = x @ np.ascontiguousarray(w_ih.T)  # pre-activations, then the outputs in place
    if b_ih is not None:
        out += b_ih
    if b_hh is not None:
        out += b_hh
    w_hh_t = np.ascontiguousarray(w_hh.T)
    bmax = sizes[0]
    h_n = np.empty((bmax, h), dtype=dt)
    tmp = np.empty((bmax, h), dtype=dt)
    offs = _offsets(sizes)
    order = _order(len(sizes), reverse)
    hs = h0[:sizes[order[0]]]
    for t in order:
        bs, s = sizes[t], offs[t]
        rows = hs.shape[0]
        if bs < rows:
            h_n[bs:rows] = hs[bs:]
            hs = hs[:bs]
        elif bs > rows:
            hs = np.concatenate([hs, h0[rows:bs]])
        a = out[s:s + bs]
        np.matmul(hs, w_hh_t, out=tmp[:bs])
        a += tmp[:bs]
        if relu:
            np.maximum(a, 0, out=a)
        else:
            np.tanh(a, out=a)
        hs = a
    h_n[:hs.shape[0]] = hs
    return out, h_n


def _rnn_backward(needs, x, h0, w_ih, w_hh, out, sizes, reverse, relu, d_out, d_hn):
    dt = x.dtype
    if relu:
        fac = (out > 0).astype(dt)
    else:
        fac = np.multiply(out, out)
        np.subtract(1.0, fac, out=fac)
    dpre = np.empty(out.shape, dtype=dt)
    carry = np.array(d_hn, dtype=dt, copy=True)
    offs = _offsets(sizes)
    for t in _order(len(sizes), not reverse):
        bs, s = sizes[t], offs[t]
        d = dpre[s:s + bs]
        np.add(d_out[s:s + bs], carry[:bs], out=d)
        d *= fac[s:s + bs]
        np.matmul(d, w_hh, out=carry[:bs])
    (n_x, n_h0, n_wih, n_whh, n_bih, n_bhh) = needs
    dx = dpre @ w_ih if n_x else None
    dw_ih = dpre.T @ x if n_wih else None
    dw_hh = dpre.T @ _previous(out, h0, sizes, offs, reverse) if n_whh else None
    db = _ones_dot(dpre) if (n_bih or n_bhh) else None
    return dx, (carry if n_h0 else None), dw_ih, dw_hh, (db if n_bih else None), \
        (db if n_bhh else None)


def _rnn_unrolled(sizes, reverse, nonlinearity):
    def run(x, h0, w_ih, w_hh, b_ih, b_hh):
        xp = _input_projection(x, w_ih, b_ih, b_hh)
        w_hh_t = w_hh.t()

        def step(off, bs, states):
            out = rnn_cell_step(xp[off:off + bs], states[0] @ w_hh_t, nonlinearity)
            return out, [out]

        out, (h_n,) = _run_unrolled(sizes, reverse, [h0], step)
        return out, h_n
    return run


class RNNLayer(ArrayFunction):
    """One direction of one vanilla RNN layer over packed rows; see ``rnn_layer``."""

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, sizes=(), reverse=False,
                nonlinearity="tanh"):
        relu = nonlinearity == "relu"
        out, h_n = _rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh, sizes, reverse, relu)
        ctx.sizes, ctx.reverse, ctx.nonlinearity = sizes, reverse, nonlinearity
        if any(ctx.needs_input_grad):
            ctx.save_for_backward(x, h0, w_ih, w_hh, b_ih, b_hh, out)
        return out, h_n

    @staticmethod
    def backward_arrays(ctx, d_out, d_hn):
        x, h0, w_ih, w_hh, _, _, out = ctx.saved_arrays
        return _rnn_backward(ctx.needs_input_grad, x, h0, w_ih, w_hh, out, ctx.sizes, ctx.reverse,
                             ctx.nonlinearity == "relu", d_out, d_hn)

    @staticmethod
    def backward(ctx, d_out, d_hn):
        return _graph_backward(ctx, _rnn_unrolled(ctx.sizes, ctx.reverse, ctx.nonlinearity),
                               (d_out, d_hn))


def rnn_layer(input: Tensor, batch_sizes, h0: Tensor, weight_ih: Tensor, weight_hh: Tensor,
              bias_ih=None, bias_hh=None, reverse: bool = False, nonlinearity: str = "tanh"):
    """One direction of one vanilla RNN layer (``h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)``),
    as one node: ``input (N, I)`` packed rows, ``h0 (B, H)``, ``weight_ih (H, I)``, ``weight_hh
    (H, H)``. Returns ``output (N, H)`` and ``h_n (B, H)``. See ``lstm_layer`` for the layout."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn_layer: unknown nonlinearity {nonlinearity!r}; expected 'tanh' or "
                         "'relu'")
    args = (input, h0, weight_ih, weight_hh, bias_ih, bias_hh)
    names = ("input", "h0", "weight_ih", "weight_hh", "bias_ih", "bias_hh")
    _check_tensor_dtypes("rnn_layer", names, args)
    h = weight_hh.shape[0]
    extra = [("weight_hh", weight_hh, (h, h)), ("bias_ih", bias_ih, (h,)),
             ("bias_hh", bias_hh, (h,))]
    sizes, _ = _layer_checks("rnn_layer", input, h0, weight_ih, weight_hh, 1, h, batch_sizes,
                             extra)
    return RNNLayer.apply(*args, sizes=tuple(sizes), reverse=bool(reverse),
                          nonlinearity=nonlinearity)
