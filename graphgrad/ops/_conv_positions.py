"""2-d convolution with position-major columns, on arrays (nothing here records a graph): the
forward of ``conv2d`` when dilation is 1 and there is one group, any stride (a ResNet's 3x3 layers,
an MNIST CNN's second layer, a DCGAN discriminator's strided layers), the weight gradient from the
forward's kept columns, and the input gradient of stride-1 layers where it pays.

Why a second layout: ``_conv_arrays`` multiplies ``W (O, C k) @ col (C k, N P)``, whose result has
only O rows, and OpenBLAS runs that shape slowly when O is small: for a ResNet's 16-channel 3x3
layer (one thread) at ~75 GFLOP/s, while the same product with positions as rows,
``col (N P, k C) @ W (k C, O)``, runs at ~170. Here the columns are ``(N, Ho, Wo, kh, kw, C)``,
built from the input padded and transposed to ``(N, H, W, C)``: for one kernel row ``i`` the ``kw``
taps of a position are ``kw C`` consecutive values of that array (at any stride), so the columns
are ``kh`` strided-view copies with runs of ``kw C`` values, where channel-major columns of a
stride-2 layer copy runs of ``Wo`` values with a gap between each. The result ``(N P, O)`` goes
back to ``(N, O, P)`` in one transposing copy.

The input gradient of a stride-1 convolution is itself a stride-1 convolution: of ``gy`` padded by
``k - 1 - pad`` with the kernel flipped and its channel axes swapped (it needs ``pad <= k - 1``).
Its columns are ``O/C`` times the forward's, and ``_conv_arrays``' col2im path works on a grid
``(H + k - 1)^2 / H^2`` times the image, so it runs here only where that grid overhead is large and
the columns are no larger than the forward's (maps of at most 16x16, ``O <= C``).

Measured with one thread, the array code alone (forward / input gradient / weight gradient in
ms, channel-major -> position-major): ResNet-20's 16-channel 32x32 layer at batch 128, forward
14.4 -> 11.5; 32-channel 16x16, forward 9.6 -> 7.2, input gradient 6.9 -> 6.2; 64-channel 8x8,
forward 6.8 -> 4.4, input gradient 6.8 -> 4.5. Inputs with fewer than ``MIN_CHANNELS`` channels
(an image's 1 or 3) stay channel-major: their columns are too narrow for the layout change to pay
(an MNIST CNN's first layer: 0.46 -> 1.54 ms).
"""
from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._im2col import CHUNK_BYTES, COL_CACHE_BYTES, batch_chunks, release, workspace
from ._parallel import parallel_for

MIN_CHANNELS = 8
SMALL_MAP = 16 * 16  # input gradients of maps up to this many positions run here


def _stride_one(x_ndim, kernel, groups, stride, pads, dilation) -> bool:
    return (x_ndim == 4 and groups == 1 and tuple(stride) == (1, 1) and tuple(dilation) == (1, 1)
            and all(0 <= lo <= k - 1 and 0 <= hi <= k - 1 for (lo, hi), k in zip(pads, kernel)))


def forward_applies(x_shape, kernel, groups, stride, pads, dilation) -> bool:
    """True for the convolutions whose forward runs here: 2-d, one group, dilation 1 (any stride
    and padding), at least ``MIN_CHANNELS`` input channels, a kernel above 1x1 (a 1x1 kernel's
    columns are the input itself, and the layout change costs more than it saves: (128, 16, 32, 32)
    -> 32 channels, 3.0 -> 5.1 ms). Strided convolutions gain most: channel-major columns of a
    stride-2 layer copy runs of a few values (a DCGAN discriminator's 64 -> 128 4x4 layer: its
    columns 1.87 ms, position-major 0.35 ms; the forward 4.4-7.3 -> 4.1-4.5 ms, 2 threads)."""
    return (len(x_shape) == 4 and groups == 1 and tuple(dilation) == (1, 1)
            and x_shape[1] >= MIN_CHANNELS and math.prod(kernel) > 1)


def input_grad_applies(gy_shape, w_shape, groups, stride, pads, dilation, spatial) -> bool:
    """True for the input gradients that run here (see the module's notes)."""
    o, c = w_shape[:2]
    return (_stride_one(len(gy_shape), w_shape[2:], groups, stride, pads, dilation)
            and c >= MIN_CHANNELS and o <= c and math.prod(spatial) <= SMALL_MAP)


class Columns(list):
    """The forward's columns, kept for the weight gradient: ``[(first, last, col), ...]`` per batch
    chunk, each ``col`` ``(B, Ho, Wo, kh, kw, C)``."""


def padded_positions(a: np.ndarray, pads) -> np.ndarray:
    """``(N, C, H, W)`` -> ``(N, H + pads, W + pads, C)``, zero border (a workspace array)."""
    n, c, h, w = a.shape
    (top, bottom), (left, right) = pads
    out = workspace((n, h + top + bottom, w + left + right, c), a.dtype)
    src = a.transpose(0, 2, 3, 1)

    def part(lo, hi):
        o = out[lo:hi]
        if top:
            o[:, :top].fill(0)
        if bottom:
            o[:, top + h:].fill(0)
        if left:
            o[:, top:top + h, :left].fill(0)
        if right:
            o[:, top:top + h, left + w:].fill(0)
        o[:, top:top + h, left:left + w] = src[lo:hi]
    parallel_for(part, n, 2 * out.nbytes)
    return out


def _columns(xp: np.ndarray, first: int, last: int, kernel, out_hw, stride) -> np.ndarray:
    """Columns ``(B, Ho, Wo, kh, kw C)`` of images ``[first, last)`` of padded ``xp``."""
    kh, kw = kernel
    ho, wo = out_hw
    c = xp.shape[3]
    sn, sh, sw, sc = xp.strides
    col = workspace((last - first, ho, wo, kh, kw * c), xp.dtype)

    def copy(lo, hi):  # images [first + lo, first + hi)
        for i in range(kh):  # the kw taps of kernel row i: kw C consecutive values
            col[lo:hi, :, :, i] = as_strided(xp[first + lo:, i:], (hi - lo, ho, wo, kw * c),
                                             (sn, stride[0] * sh, stride[1] * sw, sc))
    parallel_for(copy, last - first, 2 * col.nbytes)
    return col


def _to_channels(out: np.ndarray, y: np.ndarray, bias) -> None:
    """``out (B, O, Ho, Wo) = y (B Ho Wo, O)`` transposed (+ bias per channel)."""
    b, o = out.shape[:2]
    src = y.reshape(b, -1, o).transpose(0, 2, 1)
    dst = out.reshape(b, o, -1)

    def part(lo, hi):
        if bias is None:
            np.copyto(dst[lo:hi], src[lo:hi])
        else:
            np.add(src[lo:hi], bias.reshape(1, o, 1), out=dst[lo:hi])
    parallel_for(part, b, 2 * out.nbytes)


def run(xp, wr, kernel, out, stride=(1, 1), bias=None, keep=False):
    """``out (N, O, Ho, Wo)`` = the convolution of padded ``xp`` with ``wr (kh kw C, O)``; returns
    the chunks' ``Columns`` when ``keep`` (else None)."""
    n = xp.shape[0]
    ho, wo = out.shape[2:]
    per_image = ho * wo * wr.shape[0] * xp.itemsize
    kept = Columns() if keep else None
    for s, e in batch_chunks(n, per_image, CHUNK_BYTES):
        col = _columns(xp, s, e, kernel, (ho, wo), stride)
        y = np.matmul(col.reshape(-1, wr.shape[0]), wr,
                      out=workspace(((e - s) * ho * wo, wr.shape[1]), xp.dtype))
        if keep:
            kept.append((s, e, col))
        else:
            release(col)
        _to_channels(out[s:e], y, bias)
        release(y)
    return kept


def forward(x, w, stride, pads, out_shape, bias=None, keep_col=False):
    """``conv2d(x, w, stride=stride, padding=pads) + bias``: ``x (N, C, H, W)``, ``w (O, C, kh,
    kw)``. Returns ``(y, cols)``: the ``Columns`` for ``weight_grad`` when ``keep_col`` and they are
    at most ``COL_CACHE_BYTES`` in all, else None."""
    o, c, kh, kw = w.shape
    wr = np.ascontiguousarray(w.transpose(2, 3, 1, 0)).reshape(kh * kw * c, o)
    keep = keep_col and x.shape[0] * math.prod(out_shape) * wr.shape[0] * x.itemsize \
        <= COL_CACHE_BYTES
    xp = padded_positions(x, pads)
    out = np.empty((x.shape[0], o) + tuple(out_shape), dtype=x.dtype)
    cols = run(xp, wr, (kh, kw), out, stride, bias, keep)
    release(xp)
    return out, cols


def input_grad(gy, w, pads, spatial) -> np.ndarray:
    """The gradient of ``forward`` in ``x``: ``gy`` padded by ``k - 1 - pad`` convolved with ``w``
    flipped, its channel axes swapped."""
    o, c, kh, kw = w.shape
    wr = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(2, 3, 0, 1)).reshape(kh * kw * o, c)
    gp = padded_positions(gy, tuple((k - 1 - lo, k - 1 - hi)
                                    for (lo, hi), k in zip(pads, (kh, kw))))
    out = np.empty((gy.shape[0], c) + tuple(spatial), dtype=gy.dtype)
    run(gp, wr, (kh, kw), out)
    release(gp)
    return out


def weight_grad(cols: Columns, gy_cm: np.ndarray, c: int, kernel) -> np.ndarray:
    """The gradient of ``forward`` in ``w`` from its kept columns: ``gy (O, N P) @ col (N P, kh kw
    C)`` summed over the chunks (``gy_cm`` is ``gy`` channel-major, ``(O, N, Ho, Wo)``); the
    columns are released. Returns ``(O, C, kh, kw)``."""
    o = gy_cm.shape[0]
    p = math.prod(gy_cm.shape[2:])
    kh, kw = kernel
    g2 = gy_cm.reshape(o, -1)
    gw = None
    for s, e, col in cols:
        part = g2[:, s * p:e * p] @ col.reshape((e - s) * p, -1)
        release(col)
        gw = part if gw is None else np.add(gw, part, out=gw)
    cols.clear()
    return np.ascontiguousarray(gw.reshape(o, kh, kw, c).transpose(0, 3, 1, 2))
