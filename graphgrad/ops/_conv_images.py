"""Convolutions with few input channels (an image's 1 or 3: a network's first layer) as one matrix
product per image, on arrays (nothing here records a graph): the forward, the weight gradient and
the input gradient (also a transposed convolution's forward when it has few output channels).

Why: the channel-major path (``_conv_arrays``) makes one product ``W (O, C k) @ col (C k, N P)``
whose ``(O, N P)`` result is then transposed to ``(N, O, P)``, and its weight gradient first
transposes ``gy`` to ``(O, N P)``. With ``C k`` of 9-48 the product itself is memory-bound, and
those two copies of an output-sized array cost as much as it does. Here ``y[n] = W @ col[n]``
writes each image's output where it belongs, and the weight gradient reads ``gy`` as it is. The
columns are im2col's ``(N, C, *k, *out)``, a ``(C k, P)`` matrix per image, built a few images at a
time so that they are still in cache for their product; parts of the batch run on the intra-op
threads.

Measured with 2 threads, the array code alone (ms, channel-major -> per image): an MNIST CNN's
first layer (1 -> 32 channels, 3x3, 28x28, batch 64) forward 0.42 -> 0.23; a DCGAN
discriminator's first layer (1 -> 64, 4x4 stride 2) forward 0.31 -> 0.23.
"""
from __future__ import annotations

import math

import numpy as np

from ._im2col import COL_CACHE_BYTES, batch_chunks, col2im, im2col
from ._parallel import parallel_for

MAX_CHANNELS = 7  # inputs with more channels have wide enough columns for one large product
MIN_POSITIONS = 64  # per image: fewer make the per-image products too small to pay
CHUNK_BYTES = 512 * 2 ** 10  # columns built and multiplied at a time within a part (cache-sized)


def applies(channels: int, groups: int, out_shape) -> bool:
    """True for the convolutions that run here: one group, at most ``MAX_CHANNELS`` input
    channels (for a transposed convolution: output channels), at least ``MIN_POSITIONS`` output
    positions per image (for a transposed convolution: input positions)."""
    return groups == 1 and channels <= MAX_CHANNELS and math.prod(out_shape) >= MIN_POSITIONS


class Columns(np.ndarray):
    """The forward's columns ``(N, C k, P)``, kept for the weight gradient."""


def _chunks(lo: int, hi: int, bytes_per_image: int) -> list:
    """Images ``[lo, hi)`` (one thread's part) in chunks of about ``CHUNK_BYTES`` of columns."""
    return [(lo + s, lo + e) for s, e in batch_chunks(hi - lo, bytes_per_image, CHUNK_BYTES)]


def forward(x, w, stride, pads, dilation, out_shape, bias=None, keep_col=False):
    """``conv(x, w) + bias``; returns ``(y, cols)``: the ``Columns`` when ``keep_col`` and they
    are at most ``COL_CACHE_BYTES``, else None."""
    n, o = x.shape[0], w.shape[0]
    kernel = w.shape[2:]
    k, p = math.prod(w.shape[1:]), math.prod(out_shape)
    w2 = w.reshape(o, k)
    y = np.empty((n, o) + tuple(out_shape), dtype=x.dtype)
    y3 = y.reshape(n, o, p)
    keep = keep_col and n * k * p * x.itemsize <= COL_CACHE_BYTES
    cols = np.empty((n, k, p), dtype=x.dtype).view(Columns) if keep else None
    b = None if bias is None else bias.reshape(o, 1)

    def part(lo, hi):
        for s, e in _chunks(lo, hi, k * p * x.itemsize):
            col = im2col(x[s:e], kernel, stride, pads, dilation, out_shape,
                         out=None if cols is None else cols[s:e]).reshape(e - s, k, p)
            np.matmul(w2, col, out=y3[s:e])
            if b is not None:
                y3[s:e] += b
    parallel_for(part, n, x.nbytes * math.prod(kernel) + 2 * y.nbytes)
    return y, cols


def weight_grad(x, gy, kernel, stride, pads, dilation, cols=None):
    """The gradient in ``w`` (``(O, C, *kernel)``): ``sum_n gy[n] (O, P) @ col[n]^T``, from the
    forward's ``cols`` or columns rebuilt a few images at a time."""
    n, o = gy.shape[:2]
    out_shape = gy.shape[2:]
    p = math.prod(out_shape)
    k = x.shape[1] * math.prod(kernel)
    gy3 = gy.reshape(n, o, p)
    partial = {}

    def part(lo, hi):
        acc = np.zeros((o, k), dtype=gy.dtype)
        for s, e in _chunks(lo, hi, k * p * gy.itemsize):
            col = cols[s:e] if cols is not None else im2col(
                x[s:e], kernel, stride, pads, dilation, out_shape).reshape(e - s, k, p)
            acc += np.matmul(gy3[s:e], col.swapaxes(1, 2)).sum(axis=0)
        partial[lo] = acc
    parallel_for(part, n, gy.nbytes + x.nbytes * math.prod(kernel))
    gw = sum(partial[lo] for lo in sorted(partial))  # in batch order: the same sum every run
    return gw.reshape((o, x.shape[1]) + tuple(kernel))


def input_grad(gy, w, stride, pads, dilation, spatial, bias=None):
    """The adjoint of ``forward`` in ``x`` (a transposed convolution of ``gy``, ``(N, O, *out)``,
    with ``w`` ``(O, C, *k)``): ``col[n] = W^T @ gy[n]`` scattered back by col2im (+ ``bias`` per
    channel, for a transposed convolution's forward)."""
    n, o = gy.shape[:2]
    c, kernel = w.shape[1], w.shape[2:]
    out_shape = gy.shape[2:]
    k, p = c * math.prod(kernel), math.prod(out_shape)
    w_t = w.reshape(o, k).T
    gy3 = gy.reshape(n, o, p)
    gx = np.empty((n, c) + tuple(spatial), dtype=gy.dtype)
    b = None if bias is None else bias.reshape((1, c) + (1,) * len(spatial))

    def part(lo, hi):
        for s, e in _chunks(lo, hi, k * p * gy.itemsize):
            col = np.matmul(w_t, gy3[s:e]).reshape((e - s, c) + tuple(kernel) + tuple(out_shape))
            if b is None:
                gx[s:e] = col2im(col, spatial, kernel, stride, pads, dilation)
            else:
                np.add(col2im(col, spatial, kernel, stride, pads, dilation), b, out=gx[s:e])
    parallel_for(part, n, gy.nbytes * math.prod(kernel) + 2 * gx.nbytes)
    return gx
