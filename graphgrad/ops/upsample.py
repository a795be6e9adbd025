"""Resampling and rearranging of spatial data, with PyTorch's signatures: ``interpolate`` (nearest,
nearest-exact, linear, bilinear, bicubic, trilinear, area), ``upsample*``, ``pixel_shuffle``,
``pixel_unshuffle``, and ``unfold``/``fold`` (im2col and its inverse, as ops of their own).

Every interpolation mode is separable: along each spatial dim it is one small ``(out, in)`` matrix,
applied with graphgrad's differentiable matmul (so gradients of any order come for free). Nearest
upsampling by an integer factor is a broadcast and a reshape instead.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor
from ._im2col import col2im, conv_out_size, im2col, ntuple
from .pool import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d, apply_separable

_MODES_BY_DIM = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")


def _source_scale(in_size, out_size, scale, align_corners):
    if align_corners:
        return (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else in_size / out_size


def _nearest_matrix(in_size, out_size, scale, exact):
    # PyTorch computes the nearest source index in float32
    s = np.float32(1.0 / scale if scale is not None and scale > 0 else in_size / out_size)
    i = np.arange(out_size, dtype=np.float32)
    src = np.floor(((i + np.float32(0.5)) if exact else i) * s).astype(np.int64)
    return np.minimum(src, in_size - 1)


def _linear_matrix(in_size, out_size, scale, align_corners):
    s = _source_scale(in_size, out_size, scale, align_corners)
    i = np.arange(out_size, dtype=np.float64)
    src = i * s if align_corners else np.maximum(s * (i + 0.5) - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    i1 = np.minimum(i0 + 1, in_size - 1)
    lam = src - i0
    m = np.zeros((out_size, in_size))
    rows = np.arange(out_size)
    np.add.at(m, (rows, i0), 1.0 - lam)
    np.add.at(m, (rows, i1), lam)
    return m


def _cubic_matrix(in_size, out_size, scale, align_corners, a=-0.75):
    s = _source_scale(in_size, out_size, scale, align_corners)
    i = np.arange(out_size, dtype=np.float64)
    src = i * s if align_corners else s * (i + 0.5) - 0.5
    i0 = np.floor(src).astype(np.int64)
    t = src - i0
    # Keys' cubic convolution weights for the taps at i0-1, i0, i0+1, i0+2
    w = [((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
         ((a + 2) * t - (a + 3)) * t * t + 1,
         ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1]
    w.append(1.0 - w[0] - w[1] - w[2])
    m = np.zeros((out_size, in_size))
    rows = np.arange(out_size)
    for k in range(4):
        np.add.at(m, (rows, np.clip(i0 - 1 + k, 0, in_size - 1)), w[k])
    return m


def _output_sizes(op, spatial, size, scale_factor):
    nd = len(spatial)
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: either size or scale_factor should be defined (exactly one)")
    if size is not None:
        sizes = ntuple(size, nd, "size", op)
        return sizes, (None,) * nd
    if isinstance(scale_factor, (int, float, np.number)):
        scales = (float(scale_factor),) * nd
    else:
        scales = tuple(float(s) for s in scale_factor)
        if len(scales) != nd:
            raise ValueError(f"{op}: scale_factor must have {nd} elements for an input with {nd} "
                             f"spatial dims, got {tuple(scale_factor)}")
    sizes = tuple(int(math.floor(s * f)) for s, f in zip(spatial, scales))
    return sizes, scales


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize ``(N, C, *spatial)`` (1 to 3 spatial dims) to ``size`` or by ``scale_factor``.

    Modes as PyTorch's: 'nearest', 'nearest-exact', 'linear' (3-D input), 'bilinear' and
    'bicubic' (4-D), 'trilinear' (5-D), 'area' (adaptive average pooling). ``align_corners``
    (interpolating modes only) maps the corner pixels' centres onto each other."""
    op = "interpolate"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if mode not in _MODES:
        raise NotImplementedError(f"{op}: mode {mode!r} is not supported; choose one of {_MODES}")
    if antialias:
        raise NotImplementedError(f"{op}: antialias=True is not supported by graphgrad")
    nd = input.ndim - 2
    if nd not in (1, 2, 3):
        raise ValueError(f"{op}: expected a 3-D, 4-D or 5-D input (N, C, *spatial), got shape "
                         f"{tuple(input.shape)}")
    if mode in _MODES_BY_DIM and _MODES_BY_DIM[mode] != nd:
        raise NotImplementedError(
            f"{op}: Got {input.ndim}D input, but {mode} mode needs {_MODES_BY_DIM[mode] + 2}D input")
    if align_corners is not None and mode not in _MODES_BY_DIM:
        raise ValueError(f"{op}: align_corners option can only be set with the interpolating "
                         "modes: linear | bilinear | bicubic | trilinear")
    spatial = tuple(input.shape[2:])
    sizes, scales = _output_sizes(op, spatial, size, scale_factor)
    if any(s < 1 for s in sizes):
        raise ValueError(f"{op}: the output size {sizes} must be positive (input {tuple(input.shape)})")
    if recompute_scale_factor:
        scales = (None,) * nd
    if mode == "area":
        pool = (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[nd - 1]
        return pool(input, sizes)
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got {input.dtype}")
    if mode in ("nearest", "nearest-exact"):
        idx = [_nearest_matrix(s, o, f, mode == "nearest-exact")
               for s, o, f in zip(spatial, sizes, scales)]
        if all(o % s == 0 and np.array_equal(i, np.arange(o) // (o // s))
               for s, o, i in zip(spatial, sizes, idx)):
            return _repeat_nearest(input, tuple(o // s for s, o in zip(spatial, sizes)))
        mats = [None if np.array_equal(i, np.arange(s)) and o == s else
                (i[:, None] == np.arange(s)[None, :]).astype(np.float64)
                for s, o, i in zip(spatial, sizes, idx)]
    elif mode == "bicubic":
        mats = [_cubic_matrix(s, o, f, align_corners) for s, o, f in zip(spatial, sizes, scales)]
    else:
        mats = [_linear_matrix(s, o, f, align_corners) for s, o, f in zip(spatial, sizes, scales)]
    return apply_separable(input, mats)


def _repeat_nearest(x, factors):
    """Nearest upsampling by integer factors: a broadcast plus a reshape."""
    if all(f == 1 for f in factors):
        return x * 1.0
    n, c = x.shape[:2]
    spatial = tuple(x.shape[2:])
    inter = (n, c) + tuple(v for s in spatial for v in (s, 1))
    big = (n, c) + tuple(v for s, f in zip(spatial, factors) for v in (s, f))
    return x.reshape(inter).expand(big).reshape((n, c) + tuple(s * f for s, f in
                                                                 zip(spatial, factors)))


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of ``interpolate`` (as in PyTorch)."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Bilinear upsampling with ``align_corners=True`` (as PyTorch's deprecated function)."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# -------------------------------------------------------------------- pixel (un)shuffle
def pixel_shuffle(input, upscale_factor):
    """``(*, C r^2, H, W)`` -> ``(*, C, H r, W r)``: sub-pixel convolution's rearrangement."""
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(
            f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
            f"of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    k = len(lead)
    x = input.reshape(tuple(lead) + (c // (r * r), r, r, h, w))
    x = x.permute(tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2))
    return x.reshape(tuple(lead) + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor):
    """``(*, C, H r, W r)`` -> ``(*, C r^2, H, W)``: the inverse of ``pixel_shuffle``."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(
            f"pixel_unshuffle expects height ({h}) and width ({w}) to be divisible by "
            f"downscale_factor ({r})")
    k = len(lead)
    x = input.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    x = x.permute(tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3))
    return x.reshape(tuple(lead) + (c * r * r, h // r, w // r))


def channel_shuffle(input, groups):
    """``(N, C, *)`` with its channels regrouped (ShuffleNet, Zhang et al. 2017): the ``C / g``
    channels of each of ``groups`` groups are interleaved, channel ``i * g + j`` coming from
    channel ``j * C/g + i``."""
    g = int(groups)
    if input.ndim < 3:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    if g <= 0:
        raise ValueError(f"Number of groups to divide channels in must be positive. Value of "
                         f"groups:{g}")
    n, c, *rest = input.shape
    if c % g:
        raise ValueError(f"Number of channels must be divisible by groups. Got {c} channels and "
                         f"{g} groups.")
    x = input.reshape((n, g, c // g) + tuple(rest)).transpose(1, 2)
    return x.reshape((n, c) + tuple(rest))


# ---------------------------------------------------------------------------- unfold / fold
class Unfold(ArrayFunction):
    """im2col: ``(N, C, H, W)`` -> ``(N, C kh kw, L)``."""

    @staticmethod
    def forward(ctx, x, kernel, stride, pads, dilation, blocks):
        ctx.geom = (kernel, stride, pads, dilation)
        ctx.spatial = x.shape[2:]
        col = im2col(x, kernel, stride, pads, dilation, blocks)
        return col.reshape(x.shape[0], x.shape[1] * math.prod(kernel), -1)

    @staticmethod
    def backward(ctx, g):
        return (Fold.apply(g, *ctx.geom, ctx.spatial),) + (None,) * 5


class Fold(ArrayFunction):
    """col2im: ``(N, C kh kw, L)`` -> ``(N, C, H, W)``, summing where blocks overlap."""

    @staticmethod
    def forward(ctx, col, kernel, stride, pads, dilation, spatial):
        blocks = tuple(conv_out_size(s, k, st, lo, hi, d) for s, k, st, (lo, hi), d
                       in zip(spatial, kernel, stride, pads, dilation))
        ctx.geom = (kernel, stride, pads, dilation)
        ctx.blocks = blocks
        n, ck = col.shape[:2]
        col = col.reshape((n, ck // math.prod(kernel)) + tuple(kernel) + blocks)
        return col2im(col, spatial, kernel, stride, pads, dilation)

    @staticmethod
    def backward(ctx, g):
        return (Unfold.apply(g, *ctx.geom, ctx.blocks),) + (None,) * 5


def _fold_args(op, kernel_size, dilation, padding, stride):
    kernel = ntuple(kernel_size, 2, "kernel_size", op)
    dilation = ntuple(dilation, 2, "dilation", op)
    padding = ntuple(padding, 2, "padding", op)
    stride = ntuple(stride, 2, "stride", op)
    for name, vals in (("kernel_size", kernel), ("dilation", dilation), ("stride", stride)):
        if any(v < 1 for v in vals):
            raise RuntimeError(f"{op}: {name} should be greater than zero, but got {vals}")
    if any(p < 0 for p in padding):
        raise RuntimeError(f"{op}: padding should be non-negative, but got {padding}")
    return kernel, dilation, tuple((p, p) for p in padding), stride


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding blocks: ``(N, C, H, W)`` -> ``(N, C kh kw, L)``, L the number of blocks."""
    op = "unfold"
    if input.ndim not in (3, 4):
        raise RuntimeError(f"{op}: Input Error: Only 3D or 4D input Tensors are supported (got "
                           f"{input.ndim}D)")
    x = input.unsqueeze(0) if input.ndim == 3 else input
    kernel, dilation, pads, stride = _fold_args(op, kernel_size, dilation, padding, stride)
    blocks = tuple(conv_out_size(s, k, st, lo, hi, d) for s, k, st, (lo, hi), d
                   in zip(x.shape[2:], kernel, stride, pads, dilation))
    if any(b < 1 for b in blocks):
        raise RuntimeError(
            f"{op}: Given input with spatial size {tuple(x.shape[2:])}, kernel_size={kernel}, "
            f"dilation={dilation}, padding={tuple(p for p, _ in pads)}, stride={stride}, "
            f"calculated shape of the array of sliding blocks as {blocks}, but its components "
            "must be at least one.")
    y = Unfold.apply(x, kernel, stride, pads, dilation, blocks)
    return y.squeeze(0) if input.ndim == 3 else y


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Combine sliding blocks into a tensor (summing overlaps): ``(N, C kh kw, L)`` ->
    ``(N, C, *output_size)``."""
    op = "fold"
    if input.ndim not in (2, 3):
        raise RuntimeError(f"{op}: Input Error: Only unbatched (2D) or batched (3D) input Tensors "
                           f"are supported (got {input.ndim}D)")
    x = input.unsqueeze(0) if input.ndim == 2 else input
    kernel, dilation, pads, stride = _fold_args(op, kernel_size, dilation, padding, stride)
    spatial = ntuple(output_size, 2, "output_size", op)
    kp = math.prod(kernel)
    if x.shape[1] % kp:
        raise RuntimeError(
            f"{op}: Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={x.shape[1]} and kernel_size={kernel}")
    blocks = tuple(conv_out_size(s, k, st, lo, hi, d) for s, k, st, (lo, hi), d
                   in zip(spatial, kernel, stride, pads, dilation))
    if any(b < 1 for b in blocks) or math.prod(blocks) != x.shape[2]:
        raise RuntimeError(
            f"{op}: Given output_size={spatial}, kernel_size={kernel}, dilation={dilation}, "
            f"padding={tuple(p for p, _ in pads)}, stride={stride}, expected size of input's "
            f"dimension 2 to match the calculated number of sliding blocks "
            f"{' * '.join(map(str, blocks))} = {math.prod(blocks)}, but got input.size(2)="
            f"{x.shape[2]}.")
    y = Fold.apply(x, kernel, stride, pads, dilation, spatial)
    return y.squeeze(0) if input.ndim == 2 else y


__all__ = ["channel_shuffle", "pixel_shuffle", "pixel_unshuffle"]
