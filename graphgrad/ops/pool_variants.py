"""The rest of PyTorch's pooling functions: ``adaptive_max_pool3d``, ``lp_pool3d``, the
``*_with_indices`` spellings, and fractional max pooling (Graham 2014), built on the pooling
machinery of ``ops/pool.py``.

Fractional max pooling places its windows at pseudo-random, increasing offsets drawn from one
number in [0, 1) per sample, channel and spatial dim (``_random_samples``, as PyTorch's, so a run
can be repeated exactly); the windows are read through index tables and their maxima gathered with
``FlatGather`` (backward: the scatter-add into the input), with no loop over pixels.
"""
from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..autograd.tensor import Tensor
from ._im2col import ntuple
from .pool import (FlatGather, _adaptive_max, _batched, _check_input, _lp_pool,
                   adaptive_max_pool1d, adaptive_max_pool2d, max_pool1d, max_pool2d, max_pool3d)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size ``(od, oh, ow)``: ``(N, C, D, H, W)`` ->
    ``(N, C, *output_size)``."""
    return _adaptive_max("adaptive_max_pool3d", 3, input, output_size, return_indices)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling ``(sum over the window of x^p)^(1/p)``, ``(N, C, D, H, W)``."""
    return _lp_pool("lp_pool3d", 3, input, float(norm_type), kernel_size, stride, ceil_mode)


def _with_indices(fn):
    def pool(input, *args, **kwargs):
        kwargs["return_indices"] = True
        return fn(input, *args, **kwargs)

    pool.__name__ = fn.__name__ + "_with_indices"
    pool.__doc__ = f"``{fn.__name__}(..., return_indices=True)``: ``(output, indices)``."
    return pool


max_pool1d_with_indices = _with_indices(max_pool1d)
max_pool2d_with_indices = _with_indices(max_pool2d)
max_pool3d_with_indices = _with_indices(max_pool3d)
adaptive_max_pool1d_with_indices = _with_indices(adaptive_max_pool1d)
adaptive_max_pool2d_with_indices = _with_indices(adaptive_max_pool2d)
adaptive_max_pool3d_with_indices = _with_indices(adaptive_max_pool3d)


def _interval_starts(samples: np.ndarray, size: int, out: int, kernel: int) -> np.ndarray:
    """Window starts ``(..., out)`` for one spatial dim, from ``samples (...)`` in [0, 1):
    ``int((i + u) * alpha) - int(u * alpha)`` with ``alpha = (size - kernel) / (out - 1)``, the
    last window flush with the end; computed in the samples' dtype, as PyTorch does."""
    starts = np.empty(samples.shape + (out,), dtype=np.int64)
    if out > 1:
        dtype = samples.dtype.type
        alpha = dtype(size - kernel) / dtype(out - 1)
        i = np.arange(out - 1, dtype=samples.dtype)
        u = samples[..., None]
        starts[..., :-1] = ((i + u) * alpha).astype(np.int64) - (u * alpha).astype(np.int64)
    starts[..., -1] = size - kernel
    return starts


def _fractional_max_pool(op, nd, input, kernel_size, output_size, output_ratio,
                         return_indices, random_samples):
    _check_input(op, input, nd)
    if input._data.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point input, got {input._data.dtype}")
    x, unbatched = _batched(input, nd)
    n, c = x.shape[:2]
    spatial = tuple(x.shape[2:])
    kernel = ntuple(kernel_size, nd, "kernel_size", op)
    if output_size is None:
        if output_ratio is None:
            raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
        ratio = (tuple(output_ratio) if isinstance(output_ratio, (tuple, list))
                 else (output_ratio,) * nd)
        if len(ratio) != nd:
            raise ValueError(f"{op}: output_ratio must be a number or {nd} numbers, got "
                             f"{output_ratio!r}")
        output_size = tuple(int(s * r) for s, r in zip(spatial, ratio))
    out = ntuple(output_size, nd, "output_size", op)
    for name, s, o, k in zip(("depth", "height", "width")[3 - nd:], spatial, out, kernel):
        if o + k - 1 > s:
            raise RuntimeError(f"{op}(): pool {name} {k} too large relative to input {name} {s} "
                               f"for output {name} {o}")
    dtype = x._data.dtype
    if random_samples is None:
        samples = backend.rng().random((n, c, nd)).astype(dtype)
    else:
        samples = np.asarray(random_samples._data if isinstance(random_samples, Tensor)
                             else random_samples)
        if samples.shape != (n, c, nd):
            raise RuntimeError(f"{op}: expected _random_samples of shape {(n, c, nd)}, got "
                               f"{samples.shape}")
    # samples[..., 0] is the last spatial dim (width) in 2-D, the first (depth) in 3-D: PyTorch's
    order = [1, 0] if nd == 2 else [0, 1, 2]
    flat = np.zeros((n, c) + out + kernel, dtype=np.int64)
    for d in range(nd):
        starts = _interval_starts(samples[..., order[d]], spatial[d], out[d], kernel[d])
        rows = starts[..., None] + np.arange(kernel[d])  # (N, C, out_d, k_d)
        shape = [n, c] + [1] * (2 * nd)
        shape[2 + d], shape[2 + nd + d] = out[d], kernel[d]
        flat = flat + rows.reshape(shape) * int(math.prod(spatial[d + 1:]))
    plane = x._data.reshape(n, c, -1)
    windows = np.take_along_axis(plane, flat.reshape(n, c, -1), axis=2)
    windows = windows.reshape((n, c) + out + (-1,))
    best = np.argmax(windows, axis=-1)[..., None]  # the first maximum, as PyTorch
    index = np.take_along_axis(flat.reshape((n, c) + out + (-1,)), best, axis=-1)[..., 0]
    y = FlatGather.apply(x.reshape(n, c, -1), index.reshape(n, c, -1)).reshape((n, c) + out)
    if unbatched:
        y, index = y.squeeze(0), index[0]
    return (y, Tensor._make(index)) if return_indices else y


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Fractional max pooling of ``(N, C, H, W)`` to ``output_size`` (or ``output_ratio`` of the
    input size) with ``kernel_size`` windows at random increasing offsets; ``_random_samples``
    ``(N, C, 2)`` in [0, 1) fixes them. Indices are flat positions in each H x W plane."""
    return _fractional_max_pool("fractional_max_pool2d", 2, input, kernel_size, output_size,
                                output_ratio, return_indices, _random_samples)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Fractional max pooling of ``(N, C, D, H, W)``; ``_random_samples`` ``(N, C, 3)``."""
    return _fractional_max_pool("fractional_max_pool3d", 3, input, kernel_size, output_size,
                                output_ratio, return_indices, _random_samples)


fractional_max_pool2d_with_indices = _with_indices(fractional_max_pool2d)
fractional_max_pool3d_with_indices = _with_indices(fractional_max_pool3d)

# the names torch has at its top level too (the others are nn.functional's only)
__all__ = ["max_pool1d_with_indices"]
