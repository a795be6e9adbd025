"""The input gradient of a strided 2-d convolution (and so a strided transposed convolution's
forward) as one stride-1 convolution per output phase, on position-major columns; nothing here
records a graph.

With stride ``s``, output position ``y`` of the gradient gets ``gy[q - m] * w[r + s m]`` summed
over ``m``, where ``r = (y + pad) mod s`` is its phase and ``y = r - pad + s q``: each phase is a
stride-1 convolution of ``gy`` with the sub-kernel ``w[r::s]`` flipped. The channel-major path
(``_conv_arrays.conv_transpose_array``) multiplies on a grid one kernel-shift larger than ``gy``
(a DCGAN's 7x7 maps on an 8x8 grid: 31% more products than needed) and then scatters with col2im;
here the products are exactly the needed ones and each phase's result is one strided copy into the
image. A DCGAN discriminator's 64 -> 128 4x4 stride-2 layer's input gradient (the generator's
128 -> 64 transposed convolution is the same computation), batch 64: 5.6 -> 5.0 ms with 2
threads, 7.0 -> 5.4 ms with one.
"""
from __future__ import annotations

import numpy as np

from . import _conv_positions as positions
from ._im2col import release


def applies(gy_shape, w_shape, groups, stride, dilation) -> bool:
    """2-d, one group, dilation 1, a stride above 1, ``gy`` with at least ``positions.MIN_CHANNELS``
    channels (its channels are the columns' innermost run), and a kernel of at least two strides
    that the stride divides, so that every phase has a sub-kernel of 2x2 taps or more (the
    DCGAN family, 4x4 stride 2). With fewer taps a phase's product is too thin to pay: a ResNet's
    3x3 stride-2 layer (phases of 2x2, 2x1, 1x2 and 1x1 taps) took 7.6 ms here against 4.1."""
    return (len(gy_shape) == 4 and groups == 1 and tuple(dilation) == (1, 1) and max(stride) > 1
            and gy_shape[1] >= positions.MIN_CHANNELS
            and all(k % s == 0 and k >= 2 * s for k, s in zip(w_shape[2:], stride)))


def _phases(size: int, s: int, k: int, lo: int) -> list:
    """Per phase ``r`` of one dim: ``(taps, first, count, start)``: the kernel taps ``r, r + s,
    ...``, the first ``q``, how many outputs, and the first output position ``r - lo + s first``."""
    out = []
    for r in range(s):
        first = -(-(lo - r) // s)
        count = max(0, (size - 1 + lo - r) // s - first + 1)
        out.append((len(range(r, k, s)), first, count, r - lo + s * first))
    return out


def input_grad(gy, w, stride, pads, spatial, bias=None) -> np.ndarray:
    """``gx`` ``(N, C, *spatial)`` for ``gy`` ``(N, O, Hq, Wq)`` and ``w`` ``(O, C, kh, kw)`` (+
    ``bias`` per channel, for a transposed convolution's forward)."""
    n, o, hq, wq = gy.shape
    c, kh, kw = w.shape[1:]
    (sh, sw), ((lo_h, _), (lo_w, _)) = stride, pads
    rows = _phases(spatial[0], sh, kh, lo_h)
    cols = _phases(spatial[1], sw, kw, lo_w)

    def margins(phases, size_in):  # gy's zero border that every phase's windows stay inside
        used = [(taps, first, count) for taps, first, count, _ in phases if taps and count]
        return (max([0] + [taps - 1 - first for taps, first, _ in used]),
                max([0] + [first + count - size_in for _, first, count in used]))
    (low_h, high_h), (low_w, high_w) = margins(rows, hq), margins(cols, wq)
    gyp = positions.padded_positions(gy, ((low_h, high_h), (low_w, high_w)))
    gx = np.empty((n, c) + tuple(spatial), dtype=gy.dtype)
    for ry, (ty, fy, cy, y0) in enumerate(rows):
        for rx, (tx, fx, cx, x0) in enumerate(cols):
            if not (cy and cx):
                continue
            place = gx[:, :, y0:y0 + sh * (cy - 1) + 1:sh, x0:x0 + sw * (cx - 1) + 1:sw]
            if not (ty and tx):  # no kernel tap reaches this phase
                place[...] = 0 if bias is None else bias.reshape(1, c, 1, 1)
                continue
            sub = w[:, :, ry::sh, rx::sw][:, :, ::-1, ::-1]  # (O, C, ty, tx), flipped
            wr = np.ascontiguousarray(sub.transpose(2, 3, 0, 1)).reshape(ty * tx * o, c)
            window = gyp[:, fy - (ty - 1) + low_h:, fx - (tx - 1) + low_w:]
            phase = np.empty((n, c, cy, cx), dtype=gy.dtype)
            positions.run(window, wr, (ty, tx), phase, bias=bias)
            place[...] = phase
    release(gyp)
    return gx
