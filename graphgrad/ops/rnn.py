"""Recurrent cells and layers as fused ops.

Two levels, both differentiable to any order:

* **Cell steps** (one time step, one node): ``lstm_cell_step(gates, c_prev)`` turns the LSTM gate
  pre-activations into ``(h, c)``; ``gru_cell_step(gi, gh, h_prev)`` and
  ``rnn_cell_step(gi, gh, nonlinearity)`` do the same for a GRU and a vanilla RNN. PyTorch's
  ``lstm_cell``, ``gru_cell``, ``rnn_tanh_cell`` and ``rnn_relu_cell`` are built on them.
* **Whole layers** (one direction of one layer, one node): ``lstm_layer``, ``gru_layer`` and
  ``rnn_layer`` take the input of every time step at once, in the *packed* layout of a
  ``PackedSequence`` (rows of step 0, then rows of step 1, ...; ``batch_sizes[t]`` rows at step t,
  non-increasing), which covers padded batches too (``batch_sizes = [B] * T``).

A layer computes the input projections of all time steps as one matrix product, then runs one
matrix product (``h @ W_hh^T``) and a few in-place array operations per step. Its first-order
backward runs backpropagation through time in one loop on arrays, with the weight gradients as one
matrix product each at the end. With ``create_graph=True`` its backward re-runs the layer step by
step with the cell-step ops on the graph-connected inputs and differentiates that, so second
derivatives are exact as well.

Internally the LSTM keeps its gates in the order (o, i, f, g) so that the three sigmoid gates and
the three gates scaled by ``dc`` are each contiguous, and computes ``sigmoid(z)`` as
``0.5 * tanh(z / 2) + 0.5`` with the ``1/2`` folded into the weights: one ``tanh`` over all four
gates. Gradients come back in PyTorch's order (i, f, g, o; GRU: r, z, n).
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor


# ------------------------------------------------------------------------------ small helpers
def _sigmoid_array(x: np.ndarray) -> np.ndarray:
    out = np.multiply(x, 0.5)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def _check_batch_sizes(batch_sizes, n_rows: int, op: str) -> list:
    if batch_sizes is None:
        raise TypeError(f"{op}: batch_sizes is required")
    if isinstance(batch_sizes, Tensor):
        batch_sizes = batch_sizes._data
    sizes = [int(b) for b in np.asarray(batch_sizes).reshape(-1)]
    if not sizes or sizes[-1] < 1 or any(a < b for a, b in zip(sizes, sizes[1:])):
        raise ValueError(f"{op}: batch_sizes must be positive and non-increasing, got {sizes}")
    if sum(sizes) != n_rows:
        raise ValueError(f"{op}: batch_sizes {sizes} add up to {sum(sizes)} rows but the input has "
                         f"{n_rows} rows")
    return sizes


def _offsets(sizes: list) -> list:
    offs = [0] * len(sizes)
    acc = 0
    for t, b in enumerate(sizes):
        offs[t] = acc
        acc += b
    return offs


def _previous(states: np.ndarray, init: np.ndarray, sizes: list, offs: list,
              reverse: bool) -> np.ndarray:
    """For every packed row, the state it started its step from (``(N, F)``): the same sequence's
    state at the step processed before, or its initial state."""
    n = states.shape[0]
    b = sizes[0]
    if sizes[-1] == b:  # every sequence has full length: a shifted copy
        if n == b:
            return init.copy()
        if reverse:
            return np.concatenate([states[b:], init])
        return np.concatenate([init, states[:-b]])
    idx = np.empty(n, dtype=np.int64)
    order = range(len(sizes) - 1, -1, -1) if reverse else range(len(sizes))
    prev = None
    for t in order:
        s, bs = offs[t], sizes[t]
        if prev is None:
            idx[s:s + bs] = n + np.arange(bs)
        else:
            ps, pb = prev
            k = min(bs, pb)
            idx[s:s + k] = np.arange(ps, ps + k)
            idx[s + k:s + bs] = n + np.arange(k, bs)
        prev = (s, bs)
    return np.concatenate([states, init]).take(idx, axis=0)


def _ones_dot(g: np.ndarray) -> np.ndarray:
    """``g.sum(0)`` as a matrix product (several times faster for tall arrays)."""
    return np.ones(g.shape[0], dtype=g.dtype) @ g


def _lstm_perm(h: int):
    """Row order (o, i, f, g) from PyTorch's (i, f, g, o), and its inverse."""
    perm = np.r_[3 * h:4 * h, 0:3 * h]
    inv = np.r_[h:4 * h, 0:h]
    return perm, inv


def _check_dtypes(op: str, arrays) -> np.dtype:
    dt = None
    for name, a in arrays:
        if a is None:
            continue
        if a.dtype.kind != "f":
            raise TypeError(f"{op}: expected floating point tensors, but {name} has dtype {a.dtype}")
        if dt is None:
            dt = a.dtype
        elif a.dtype != dt:
            raise TypeError(f"{op}: expected all tensors to have dtype {dt}, but {name} has dtype "
                            f"{a.dtype}")
    return dt


def _check_shape(op: str, name: str, a, expected: tuple) -> None:
    if a is not None and tuple(a.shape) != tuple(expected):
        raise RuntimeError(f"{op}: expected {name} of shape {tuple(expected)}, got "
                           f"{tuple(a.shape)}")


def _split(t: Tensor, h: int, k: int) -> list:
    return [t[:, j * h:(j + 1) * h] for j in range(k)]


def _cat(tensors, dim=0):
    from .joining import cat

    return cat(list(tensors), dim)


# ============================================================================== cell steps
class LSTMCellStep(ArrayFunction):
    """``(h, c)`` from gate pre-activations ``(B, 4H)`` (order i, f, g, o) and ``c_prev (B, H)``;
    optional peephole weights ``w_ci, w_cf, w_co (H,)`` (Graves' form)."""

    @staticmethod
    def forward(ctx, gates, c_prev, w_ci=None, w_cf=None, w_co=None):
        h = c_prev.shape[-1]
        if gates.ndim != 2 or gates.shape[1] != 4 * h or gates.shape[0] != c_prev.shape[0]:
            raise RuntimeError(f"lstm_cell_step: gates must have shape (B, 4H) = "
                               f"({c_prev.shape[0]}, {4 * h}) for c_prev of shape "
                               f"{tuple(c_prev.shape)}, got {tuple(gates.shape)}")
        peep = w_ci is not None
        i_pre, f_pre, g_pre, o_pre = (gates[:, j * h:(j + 1) * h] for j in range(4))
        if peep:
            i_pre = i_pre + c_prev * w_ci
            f_pre = f_pre + c_prev * w_cf
        i = _sigmoid_array(i_pre)
        f = _sigmoid_array(f_pre)
        g = np.tanh(g_pre)
        c = f * c_prev
        c += i * g
        if peep:
            o_pre = o_pre + c * w_co
        o = _sigmoid_array(o_pre)
        tc = np.tanh(c)
        out = o * tc
        if any(ctx.needs_input_grad):
            ctx.save_for_backward(gates, c_prev, w_ci, w_cf, w_co, i, f, g, o, tc, c)
        return out, c

    @staticmethod
    def backward_arrays(ctx, dh, dc):
        _, c_prev, w_ci, w_cf, w_co, i, f, g, o, tc, c = ctx.saved_arrays
        do = dh * tc
        do *= o * (1.0 - o)
        dc = dc + dh * o * (1.0 - tc * tc)
        if w_co is not None:
            dc += do * w_co
        di = dc * g * i * (1.0 - i)
        df = dc * c_prev * f * (1.0 - f)
        dg = dc * i * (1.0 - g * g)
        need = ctx.needs_input_grad
        dgates = np.concatenate([di, df, dg, do], axis=1) if need[0] else None
        dc_prev = None
        if need[1]:
            dc_prev = dc * f
            if w_ci is not None:
                dc_prev += di * w_ci + df * w_cf
        dci = (di * c_prev).sum(0) if need[2] else None
        dcf = (df * c_prev).sum(0) if need[3] else None
        dco = (do * c).sum(0) if need[4] else None
        return dgates, dc_prev, dci, dcf, dco

    @staticmethod
    def backward(ctx, dh, dc):
        gates, c_prev, w_ci, w_cf, w_co = ctx.saved_tensors[:5]
        h = c_prev.shape[-1]
        i_pre, f_pre, g_pre, o_pre = _split(gates, h, 4)
        if w_ci is not None:
            i_pre = i_pre + c_prev * w_ci
            f_pre = f_pre + c_prev * w_cf
        i, f, g = i_pre.sigmoid(), f_pre.sigmoid(), g_pre.tanh()
        c = f * c_prev + i * g
        if w_co is not None:
            o_pre = o_pre + c * w_co
        o = o_pre.sigmoid()
        tc = c.tanh()
        do = dh * tc * o * (1.0 - o)
        dc = dc + dh * o * (1.0 - tc * tc)
        if w_co is not None:
            dc = dc + do * w_co
        di = dc * g * i * (1.0 - i)
        df = dc * c_prev * f * (1.0 - f)
        dg = dc * i * (1.0 - g * g)
        need = ctx.needs_input_grad
        dgates = _cat([di, df, dg, do], 1) if need[0] else None
        dc_prev = None
        if need[1]:
            dc_prev = dc * f
            if w_ci is not None:
                dc_prev = dc_prev + di * w_ci + df * w_cf
        dci = (di * c_prev).sum(0) if need[2] else None
        dcf = (df * c_prev).sum(0) if need[3] else None
        dco = (do * c).sum(0) if need[4] else None
        return dgates, dc_prev, dci, dcf, dco


class GRUCellStep(ArrayFunction):
    """``h`` from ``gi = x W_ih^T + b_ih`` and ``gh = h_prev W_hh^T + b_hh`` (each ``(B, 3H)``, order
    r, z, n) and ``h_prev (B, H)``: ``n = tanh(gi_n + r * gh_n)``, ``h = (1 - z) n + z h_prev``."""

    @staticmethod
    def forward(ctx, gi, gh, h_prev):
        h = h_prev.shape[-1]
        for name, a in (("gi", gi), ("gh", gh)):
            if a.shape != (h_prev.shape[0], 3 * h):
                raise RuntimeError(f"gru_cell_step: {name} must have shape (B, 3H) = "
                                   f"({h_prev.shape[0]}, {3 * h}) for h_prev of shape "
                                   f"{tuple(h_prev.shape)}, got {tuple(a.shape)}")
        rz = _sigmoid_array(gi[:, :2 * h] + gh[:, :2 * h])
        r, z = rz[:, :h], rz[:, h:]
        n = np.tanh(gi[:, 2 * h:] + r * gh[:, 2 * h:])
        out = n + z * (h_prev - n)
        if any(ctx.needs_input_grad):
            ctx.save_for_backward(gi, gh, h_prev, r, z, n)
        return out

    @staticmethod
    def backward_arrays(ctx, dh):
        _, gh, h_prev, r, z, n = ctx.saved_arrays
        h = h_prev.shape[-1]
        dn = dh * (1.0 - z) * (1.0 - n * n)
        dz = dh * (h_prev - n) * z * (1.0 - z)
        ghn = gh[:, 2 * h:]
        dr = dn * ghn * r * (1.0 - r)
        need = ctx.needs_input_grad
        dgi = np.concatenate([dr, dz, dn], axis=1) if need[0] else None
        dgh = np.concatenate([dr, dz, dn * r], axis=1) if need[1] else None
        return dgi, dgh, (dh * z if need[2] else None)

    @staticmethod
    def backward(ctx, dh):
        gi, gh, h_prev = ctx.saved_tensors[:3]
        h = h_prev.shape[-1]
        gir, giz, gin = _split(gi, h, 3)
        ghr, ghz, ghn = _split(gh, h, 3)
        r, z = (gir + ghr).sigmoid(), (giz + ghz).sigmoid()
        n = (gin + r * ghn).tanh()
        dn = dh * (1.0 - z) * (1.0 - n * n)
        dz = dh * (h_prev - n) * z * (1.0 - z)
        dr = dn * ghn * r * (1.0 - r)
        need = ctx.needs_input_grad
        dgi = _cat([dr, dz, dn], 1) if need[0] else None
        dgh = _cat([dr, dz, dn * r], 1) if need[1] else None
        return dgi, dgh, (dh * z if need[2] else None)


class RNNCellStep(ArrayFunction):
    """``act(gi + gh)`` with ``act`` tanh or relu: one step of a vanilla RNN."""

    @staticmethod
    def forward(ctx, gi, gh, nonlinearity="tanh"):
        if gi.shape != gh.shape:
            raise RuntimeError(f"rnn_cell_step: gi and gh must have the same shape, got "
                               f"{tuple(gi.shape)} and {tuple(gh.shape)}")
        ctx.tanh = nonlinearity == "tanh"
        out = gi + gh
        if ctx.tanh:
            np.tanh(out, out=out)
        else:
            np.maximum(out, 0, out=out)
        if any(ctx.needs_input_grad):
            ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward_arrays(ctx, g):
        (out,) = ctx.saved_arrays
        d = g * (1.0 - out * out) if ctx.tanh else np.where(out > 0, g, 0).astype(g.dtype)
        return d, d, None

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        if ctx.tanh:
            d = g * (1.0 - out * out)
        else:  # piecewise linear: the mask is a constant
            d = g * Tensor._make((out._data > 0).astype(out._data.dtype))
        need = ctx.needs_input_grad
        return (d if need[0] else None), (d if need[1] else None), None


def lstm_cell_step(gates: Tensor, c_prev: Tensor, w_ci: Tensor | None = None,
                   w_cf: Tensor | None = None, w_co: Tensor | None = None):
    """One fused LSTM step on pre-activations: ``gates (B, 4H)`` in PyTorch's order i, f, g, o,
    ``c_prev (B, H)``; returns ``(h, c)``, each ``(B, H)``. With peephole weights ``w_ci, w_cf,
    w_co (H,)`` the input and forget gates also see ``c_prev`` and the output gate sees the new
    ``c`` (Graves, 2013). A graphgrad extension (PyTorch has no public equivalent)."""
    return LSTMCellStep.apply(gates, c_prev, w_ci, w_cf, w_co)


def gru_cell_step(gi: Tensor, gh: Tensor, h_prev: Tensor) -> Tensor:
    """One fused GRU step: ``gi = x W_ih^T + b_ih``, ``gh = h W_hh^T + b_hh`` (``(B, 3H)``, order
    r, z, n); returns the new ``h (B, H)`` as PyTorch's GRU computes it. A graphgrad extension."""
    return GRUCellStep.apply(gi, gh, h_prev)


def rnn_cell_step(gi: Tensor, gh: Tensor, nonlinearity: str = "tanh") -> Tensor:
    """``tanh(gi + gh)`` or ``relu(gi + gh)`` as one node. A graphgrad extension."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn_cell_step: unknown nonlinearity {nonlinearity!r}; expected 'tanh' "
                         "or 'relu'")
    return RNNCellStep.apply(gi, gh, nonlinearity)


def _affine(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    y = x @ w.t()
    return y if b is None else y + b


def _cell_inputs(op: str, input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, k: int):
    if input.ndim != 2 or input.shape[1] != w_ih.shape[1]:
        raise RuntimeError(f"{op}: input has shape {tuple(input.shape)} but w_ih of shape "
                           f"{tuple(w_ih.shape)} expects (batch, {w_ih.shape[1]})")
    h = w_hh.shape[1]
    if hx.shape != (input.shape[0], h) or w_ih.shape[0] != k * h or w_hh.shape[0] != k * h:
        raise RuntimeError(f"{op}: inconsistent shapes: input {tuple(input.shape)}, hidden "
                           f"{tuple(hx.shape)}, w_ih {tuple(w_ih.shape)}, w_hh {tuple(w_hh.shape)}")


def lstm_cell(input: Tensor, hx, w_ih: Tensor, w_hh: Tensor, b_ih=None, b_hh=None):
    """One LSTM step as ``torch.lstm_cell``: ``input (B, I)``, ``hx = (h, c)`` each ``(B, H)``,
    ``w_ih (4H, I)``, ``w_hh (4H, H)``; returns ``(h', c')``."""
    h, c = hx
    _cell_inputs("lstm_cell", input, h, w_ih, w_hh, 4)
    return lstm_cell_step(_affine(input, w_ih, b_ih) + _affine(h, w_hh, b_hh), c)


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih=None, b_hh=None):
    """One GRU step as ``torch.gru_cell``: ``input (B, I)``, ``hx (B, H)``, ``w_ih (3H, I)``,
    ``w_hh (3H, H)``; returns ``h' (B, H)``."""
    _cell_inputs("gru_cell", input, hx, w_ih, w_hh, 3)
    return gru_cell_step(_affine(input, w_ih, b_ih), _affine(hx, w_hh, b_hh), hx)


def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih=None, b_hh=None):
    """``tanh(input w_ih^T + b_ih + hx w_hh^T + b_hh)`` as ``torch.rnn_tanh_cell``."""
    _cell_inputs("rnn_tanh_cell", input, hx, w_ih, w_hh, 1)
    return rnn_cell_step(_affine(input, w_ih, b_ih), _affine(hx, w_hh, b_hh), "tanh")


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih=None, b_hh=None):
    """``relu(input w_ih^T + b_ih + hx w_hh^T + b_hh)`` as ``torch.rnn_relu_cell``."""
    _cell_inputs("rnn_relu_cell", input, hx, w_ih, w_hh, 1)
    return rnn_cell_step(_affine(input, w_ih, b_ih), _affine(hx, w_hh, b_hh), "relu")


def __getattr__(name):
    # The whole-layer ops live in _rnn_layers (which imports this module's helpers).
    if name in ("lstm_layer", "gru_layer", "rnn_layer", "LSTMLayer", "GRULayer", "RNNLayer"):
        from . import _rnn_layers

        return getattr(_rnn_layers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell"]
