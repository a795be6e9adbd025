"""Convolution on arrays: the forward, the weight gradient and the input gradient (the transposed
convolution) that the ops of ``conv.py`` run; nothing here records a graph.

Layout: columns are channel-major, ``(C, *k, N, *out)``, i.e. a ``(C k, N P)`` matrix, so that each
product is ONE large matrix product per group (a batched product over N would make N small BLAS
calls, each a thread hand-off).

Batch chunks: a column matrix is 9x (3x3 kernel) the size of its input. Built for the whole batch it
goes out to main memory and comes back for the product; built and multiplied ``CHUNK_BYTES`` at a
time, it stays in cache in between (a ResNet's 16-channel 32x32 layer, one thread: 14.3 -> 10.5 ms)
and memory stays bounded (a test batch of 1,000 MNIST images made a 660 MB column matrix).
"""
from __future__ import annotations

import math

import numpy as np

from . import _conv_images as images
from . import _conv_phases as phases
from . import _conv_positions as positions
from ._im2col import CHUNK_BYTES, COL_CACHE_BYTES, batch_chunks, col2im_cm, im2col_cm, release
from ._im2col import shift_grid, workspace
from ._parallel import parallel_for


def to_channel_major(a: np.ndarray) -> np.ndarray:
    """``(N, C, *s)`` -> contiguous ``(C, N, *s)`` (a workspace array: release it after use)."""
    t = a.swapaxes(0, 1)
    out = workspace(t.shape, a.dtype)
    parallel_for(lambda lo, hi: np.copyto(out[lo:hi], t[lo:hi]), len(out), 2 * out.nbytes)
    return out


def _matmul(a, b, shape, dtype):
    """``a @ b`` into a workspace array of ``shape``."""
    return np.matmul(a, b, out=workspace(shape, dtype))


def covers_input(spatial, kernel, pads, dilation, groups) -> bool:
    """True when the kernel covers the whole unpadded input (one output position): the convolution
    is then a plain matrix product over ``(C, *k)``, and needs no im2col or col2im (a DCGAN's
    last 7x7 convolution of a 7x7 map, or, transposed, its first layer from a 1x1 latent)."""
    return (groups == 1 and tuple(spatial) == tuple(kernel) and not any(lo or hi for lo, hi in pads)
            and all(d == 1 for d in dilation))


def _bias_shape(bias, nd):
    return bias.reshape((1, -1) + (1,) * nd)


def conv_array(x, w, groups, stride, pads, dilation, out_shape, bias=None, keep_col=False):
    """Forward convolution on arrays; returns ``(y, col or None)`` (the column matrix when
    ``keep_col`` and it is at most ``COL_CACHE_BYTES``)."""
    n, o = x.shape[0], w.shape[0]
    nd = len(out_shape)
    if n == 0:
        y = np.zeros((0, o) + tuple(out_shape), dtype=x.dtype)
        return y, None
    if covers_input(x.shape[2:], w.shape[2:], pads, dilation, groups):
        y = (x.reshape(n, -1) @ w.reshape(o, -1).T).reshape((n, o) + (1,) * nd)
        if bias is not None:
            y += _bias_shape(bias, nd)
        return y, None
    kernel = w.shape[2:]
    if images.applies(x.shape[1], groups, out_shape):
        return images.forward(x, w, stride, pads, dilation, out_shape, bias, keep_col)
    if positions.forward_applies(x.shape, kernel, groups, stride, pads, dilation):
        return positions.forward(x, w, stride, pads, out_shape, bias, keep_col)
    per_image = x.shape[1] * math.prod(kernel) * math.prod(out_shape) * x.itemsize
    keep = keep_col and n * per_image <= COL_CACHE_BYTES  # then built whole: backward reuses it
    out = np.empty((n, o) + tuple(out_shape), dtype=x.dtype)
    w2 = w.reshape(o, -1) if groups == 1 else w.reshape(groups, o // groups, -1)
    col = None
    for s, e in [(0, n)] if keep else batch_chunks(n, per_image, CHUNK_BYTES):
        chunk = im2col_cm(x[s:e], kernel, stride, pads, dilation, out_shape)
        q = (e - s) * math.prod(out_shape)
        if groups == 1:
            y2 = _matmul(w2, chunk.reshape(-1, q), (o, q), x.dtype)
        else:
            y2 = _matmul(w2, chunk.reshape(groups, -1, q), (groups, o // groups, q), x.dtype)
        y = y2.reshape((o, e - s) + tuple(out_shape)).swapaxes(0, 1)
        _to_output(out[s:e], y, bias)
        release(y2)
        if keep:
            col = chunk
        else:
            release(chunk)
    return out, col


def _to_output(out, y, bias):
    """``out[:] = y (+ bias per channel)``: the layout change and the bias in one pass."""
    b = None if bias is None else _bias_shape(bias, y.ndim - 2)

    def write(lo, hi):
        if b is None:
            np.copyto(out[lo:hi], y[lo:hi])
        else:
            np.add(y[lo:hi], b, out=out[lo:hi])
    parallel_for(write, len(out), 2 * out.nbytes)


def _weight_product(col2, gy2, groups, o):
    """``gy (O, Q) @ col^T (Q, C k)`` per group, for 2-d (or, grouped, 3-d) views. OpenBLAS runs it
    faster with the larger of the two small sides as its rows (about 1.2-1.6x for a ResNet's
    layers, one thread): gw^T = col @ gy^T when C k > O."""
    if col2.shape[-2] > o // groups:
        return np.matmul(col2, gy2.swapaxes(-1, -2)).swapaxes(-1, -2)
    return np.matmul(gy2, col2.swapaxes(-1, -2))


def conv_weight_array(x, gy, kernel, groups, stride, pads, dilation, col=None, gy_cm=None):
    """Gradient of a convolution's weight: ``gy (O, N P) @ col^T (N P, C k)`` per group, with
    ``col`` the forward's column matrix or, without it, one rebuilt chunk by chunk."""
    out_shape = gy.shape[2:]
    n, o = gy.shape[:2]
    c = x.shape[1]
    if n == 0:  # an empty batch: nothing to sum
        return np.zeros((o, c // groups) + tuple(kernel), dtype=gy.dtype)
    if covers_input(x.shape[2:], kernel, pads, dilation, groups):
        return (gy.reshape(n, o).T @ x.reshape(n, -1)).reshape((o,) + x.shape[1:])
    if images.applies(c, groups, out_shape):
        kept = col if isinstance(col, images.Columns) else None
        return images.weight_grad(x, gy, kernel, stride, pads, dilation, kept)
    own_gy = gy_cm is None
    if own_gy:
        gy_cm = to_channel_major(gy)
    if isinstance(col, positions.Columns):  # kept by a position-major forward
        gw = positions.weight_grad(col, gy_cm, c, kernel)
        if own_gy:
            release(gy_cm)
        return gw
    p = math.prod(out_shape)

    def views(cols, gys, q):
        if groups == 1:
            return cols.reshape(-1, q), gys.reshape(o, q)
        return cols.reshape(groups, -1, q), gys.reshape(groups, o // groups, q)

    if col is not None:
        gw = _weight_product(*views(col, gy_cm, n * p), groups, o)
        release(col)
    else:
        gw = None
        per_image = c * math.prod(kernel) * p * x.itemsize
        for s, e in batch_chunks(n, per_image, CHUNK_BYTES):
            chunk = im2col_cm(x[s:e], kernel, stride, pads, dilation, out_shape)
            part = _weight_product(*views(chunk, gy_cm[:, s:e], (e - s) * p), groups, o)
            release(chunk)
            gw = part if gw is None else np.add(gw, part, out=gw)
    if own_gy:
        release(gy_cm)
    return gw.reshape((o, c // groups) + tuple(kernel))


def _on_grid(x_cm: np.ndarray, grid) -> np.ndarray:
    """``x_cm`` ``(O, N, *in)`` copied into the top-left corner of a zeroed ``(O, N, *grid)``
    workspace array (``grid`` >= ``in`` in every dim)."""
    out = workspace(x_cm.shape[:2] + tuple(grid), x_cm.dtype)
    corner = (slice(None), slice(None)) + tuple(slice(0, s) for s in x_cm.shape[2:])

    def place(lo, hi):
        out[lo:hi].fill(0)
        out[lo:hi][corner] = x_cm[lo:hi]
    parallel_for(place, len(out), 2 * out.nbytes)
    return out


def conv_transpose_array(x, w, groups, stride, pads, dilation, spatial, bias=None, x_cm=None):
    """The adjoint of ``conv_array`` in its input: ``x`` ``(N, O, *in)`` -> ``(N, C, *spatial)``
    with weight ``(O, C/g, *k)``. The columns are computed on ``shift_grid`` (``x`` padded with
    zeros at the high end of each dim), which ``col2im_cm`` needs for its flat adds."""
    n, o = x.shape[:2]
    kernel = w.shape[2:]
    cg = w.shape[1]
    in_shape = x.shape[2:]
    if n == 0:
        return np.zeros((0, groups * cg) + tuple(spatial), dtype=x.dtype)
    if covers_input(spatial, kernel, pads, dilation, groups):  # x is (N, O, 1, ...)
        out = (x.reshape(n, o) @ w.reshape(o, -1)).reshape((n, cg) + tuple(kernel))
        if bias is not None:
            out += _bias_shape(bias, len(spatial))
        return out
    if images.applies(cg, groups, in_shape):
        return images.input_grad(x, w, stride, pads, dilation, spatial, bias)
    if positions.input_grad_applies(x.shape, w.shape, groups, stride, pads, dilation, spatial):
        out = positions.input_grad(x, w, pads, tuple(spatial))
        if bias is not None:
            out += _bias_shape(bias, len(spatial))
        return out
    if phases.applies(x.shape, w.shape, groups, stride, dilation):
        return phases.input_grad(x, w, stride, pads, tuple(spatial), bias)
    grid = shift_grid(in_shape, kernel, stride, dilation)
    own_x = x_cm is None
    if own_x:
        x_cm = to_channel_major(x)
    if grid != tuple(in_shape):
        x_grid = _on_grid(x_cm, grid)
        if own_x:
            release(x_cm)
        x_cm, own_x = x_grid, True
    k = cg * math.prod(kernel)
    g = math.prod(grid)
    w_t = w.reshape(o, -1).T if groups == 1 else w.reshape(groups, o // groups, -1).swapaxes(1, 2)
    out = np.empty((n, groups * cg) + tuple(spatial), dtype=x.dtype)
    for s, e in batch_chunks(n, k * groups * g * x.itemsize, CHUNK_BYTES):
        q = (e - s) * g
        if groups == 1:
            dcol = _matmul(w_t, x_cm[:, s:e].reshape(o, q), (k, q), x.dtype)
        else:
            dcol = _matmul(w_t, x_cm[:, s:e].reshape(groups, o // groups, q), (groups, k, q),
                           x.dtype)
        col2im_cm(dcol.reshape((groups * cg,) + tuple(kernel) + (e - s,) + tuple(grid)),
                  spatial, stride, pads, dilation, in_shape, out=out[s:e])
        release(dcol)
    if own_x:
        release(x_cm)
    if bias is not None:
        _to_output(out, out, bias)
    return out


def channel_major_grad(gy: np.ndarray, x_channels: int, groups: int):
    """``to_channel_major(gy)`` for a convolution's backward to share among its gradients, or
    None where they do not use it (few input channels: per-image products read ``gy`` as is)."""
    if images.applies(x_channels, groups, gy.shape[2:]):
        return None
    return to_channel_major(gy)


def bias_grad_array(gy: np.ndarray, gy_cm=None) -> np.ndarray:
    """``gy.sum(axis=(0, 2, ...))`` as matrix-vector products: far faster in NumPy."""
    n, o = gy.shape[:2]
    if gy_cm is not None:
        return gy_cm.reshape(o, -1) @ np.ones(gy.size // o if o else 0, dtype=gy.dtype)
    p = gy.size // (n * o) if n * o else 0
    per_pos = np.ones(n, dtype=gy.dtype) @ gy.reshape(n, o * p)
    return per_pos.reshape(o, p) @ np.ones(p, dtype=gy.dtype)
