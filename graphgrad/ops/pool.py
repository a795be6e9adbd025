"""Pooling with PyTorch's signatures: max/avg pooling (1-3 spatial dims, padding, dilation,
ceil_mode, return_indices, count_include_pad, divisor_override), adaptive average/max pooling,
LP pooling and max unpooling.

Every pooling is a loop over kernel offsets of strided views of the (padded) input, never over
pixels. Max pooling keeps, per output, which kernel offset won (a small integer array); its
backward is an op of its own (``MaxPoolScatter``) whose backward is the matching gather. Average
pooling is a window sum times a constant scale (``WindowSum``), whose adjoint scatters back
(``WindowScatter``). Adaptive pooling gathers its (uneven) windows through index tables; adaptive
average pooling is a product with one small averaging matrix per spatial dim.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor
from ._im2col import interior, ntuple, offsets, pad_array, padded_extent, pool_out_size, window
from ._parallel import parallel_for


# ------------------------------------------------------------------------------- geometry
def _check_input(op, input, nd):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"{op}: Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input, but got input of "
            f"size: {list(input.shape)}")
    if any(s == 0 for s in input.shape[-nd:]):
        raise RuntimeError(f"{op}: expected an input with non-zero spatial size, got "
                           f"{list(input.shape)}")


def _batched(input, nd):
    return (input.unsqueeze(0), True) if input.ndim == nd + 1 else (input, False)


def _geometry(op, x, nd, kernel_size, stride, padding, dilation, ceil_mode):
    """Kernel, stride, padding pairs (the right side grown for ceil_mode), dilation, out shape."""
    kernel = ntuple(kernel_size, nd, "kernel_size", op)
    stride = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else ntuple(stride, nd, "stride", op)
    padding = ntuple(padding, nd, "padding", op)
    dilation = ntuple(dilation, nd, "dilation", op)
    for name, vals in (("kernel_size", kernel), ("stride", stride), ("dilation", dilation)):
        if any(v < 1 for v in vals):
            raise RuntimeError(f"{op}: {name} must be greater than zero, but got {vals}")
    for p, k, d in zip(padding, kernel, dilation):
        if p < 0 or p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(
                f"{op}: pad should be at most half of effective kernel size, but got pad={p}, "
                f"kernel_size={k} and dilation={d}")
    spatial = tuple(x.shape[2:])
    out = tuple(pool_out_size(s, k, st, p, d, ceil_mode)
                for s, k, st, p, d in zip(spatial, kernel, stride, padding, dilation))
    if any(o < 1 for o in out):
        raise RuntimeError(
            f"{op}: Given input size: ({'x'.join(map(str, x.shape[1:]))}). Calculated output size: "
            f"({'x'.join(map(str, (x.shape[1],) + out))}). Output size is too small")
    pads = tuple((p, max(p, st * (o - 1) + d * (k - 1) + 1 - s - p))
                 for s, k, st, p, d, o in zip(spatial, kernel, stride, padding, dilation, out))
    return kernel, stride, pads, dilation, out


def _disjoint(kernel, stride, dilation) -> bool:
    return all(s >= d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))


# ----------------------------------------------------------------------------- max pooling
def max_pool_array(x, kernel, stride, pads, dilation, out_shape, need_arg=True):
    """Max over windows and the kernel offset (C order) of each maximum (the first one on ties);
    the offsets are ``None`` when not ``need_arg``. Parts of the batch run in parallel."""
    n = x.shape[0]
    out = np.empty(x.shape[:2] + tuple(out_shape), dtype=x.dtype)
    arg = np.empty(out.shape, np.uint8 if math.prod(kernel) <= 256 else np.int32) if need_arg else None

    def part(lo, hi):
        o, a = _max_pool_block(x[lo:hi], kernel, stride, pads, dilation, out_shape, need_arg)
        out[lo:hi] = o
        if need_arg:
            arg[lo:hi] = a
    parallel_for(part, n, x.nbytes + 2 * out.nbytes)
    return out, arg


def _max_pool_block(x, kernel, stride, pads, dilation, out_shape, need_arg):
    """``max_pool_array`` of one part of the batch.

    The offsets play a knock-out tournament: neighbours are compared pairwise, the left one
    winning ties, so the first maximum wins overall; NaN propagates through ``np.maximum``."""
    fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    xp = pad_array(x, pads, fill)
    views = [xp[window(off, stride, dilation, out_shape)] for off in offsets(kernel)]
    if len(views) == 1:
        out = views[0].copy()
        return out, (np.zeros(out.shape, np.uint8) if need_arg else None)
    if not need_arg:
        out = np.maximum(views[0], views[1])
        for v in views[2:]:
            np.maximum(out, v, out=out)
        return out, None
    adt = np.uint8 if len(views) <= 256 else np.int32
    level = [(v, k, False) for k, v in enumerate(views)]  # (values, offset(s), owned buffer)
    while len(level) > 1:
        nxt = []
        for i in range(0, len(level) - 1, 2):
            (lv, la, own), (rv, ra, _) = level[i], level[i + 1]
            upd = np.greater(rv, lv)
            val = np.maximum(lv, rv, out=lv if own else None)
            if isinstance(la, int):  # first round: offsets are still plain numbers
                arg = upd.view(np.uint8).astype(adt, copy=adt is not np.uint8)
                if ra - la != 1:
                    arg *= adt(ra - la)
                if la:
                    arg += adt(la)
            else:  # la + upd * (ra - la) (a uint8 difference wraps around and back): ~40x
                # faster than np.where, whose per-element branch mispredicts on real data
                arg = np.subtract(ra, la, dtype=adt)
                arg *= upd
                arg += la
            nxt.append((val, arg, True))
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    out, arg, _ = level[0]
    return out, arg


def max_pool_scatter_array(g, arg, kernel, stride, pads, dilation, spatial):
    """Send each output gradient to the input position that won its window."""
    out_shape = g.shape[2:]
    extent = padded_extent(spatial, kernel, stride, pads, dilation, out_shape)
    buf = np.empty(g.shape[:2] + extent, g.dtype)
    disjoint = _disjoint(kernel, stride, dilation)
    windows = [window(off, stride, dilation, out_shape) for off in offsets(kernel)]

    def part(lo, hi):  # images [lo, hi)
        b, gp, ap = buf[lo:hi], g[lo:hi], arg[lo:hi]
        b.fill(0)
        mask = np.empty(ap.shape, bool)
        for i, win in enumerate(windows):
            np.equal(ap, i, out=mask)
            view = b[win]
            if disjoint:
                np.multiply(gp, mask, out=view)  # the views do not overlap: write, do not add
            else:
                view += gp * mask
    parallel_for(part, len(buf), 2 * buf.nbytes)
    if extent == tuple(spatial):
        return buf
    return np.ascontiguousarray(buf[interior(spatial, pads)])


def max_pool_gather_array(gx, arg, kernel, stride, pads, dilation):
    """The adjoint of ``max_pool_scatter_array``: read each window's winning position."""
    out_shape = arg.shape[2:]
    gp = pad_array(gx, pads, 0)
    out = np.zeros(arg.shape, gx.dtype)
    mask = np.empty(arg.shape, bool)
    for i, off in enumerate(offsets(kernel)):
        np.equal(arg, i, out=mask)
        np.copyto(out, gp[window(off, stride, dilation, out_shape)], where=mask)
    return out


def _flat_indices(arg, kernel, stride, pads, dilation, spatial):
    """PyTorch's ``return_indices``: the flat index of each maximum in its input plane."""
    nd = len(kernel)
    offs = np.unravel_index(arg, kernel)
    flat = np.zeros(arg.shape, np.int64)
    for dim in range(nd):
        n_out = arg.shape[2 + dim]
        shape = [1] * arg.ndim
        shape[2 + dim] = n_out
        base = (np.arange(n_out, dtype=np.int64) * stride[dim] - pads[dim][0]).reshape(shape)
        flat = flat * spatial[dim] + base + offs[dim].astype(np.int64) * dilation[dim]
    return flat


class MaxPoolNd(ArrayFunction):
    @staticmethod
    def forward(ctx, x, kernel, stride, pads, dilation, out_shape, return_indices):
        need_arg = return_indices or ctx.needs_input_grad[0]
        out, arg = max_pool_array(x, kernel, stride, pads, dilation, out_shape, need_arg)
        ctx.geom = (kernel, stride, pads, dilation)
        ctx.spatial = x.shape[2:]
        ctx.arg = arg
        if return_indices:
            return out, _flat_indices(arg, kernel, stride, pads, dilation, x.shape[2:])
        return out

    @staticmethod
    def backward(ctx, g, *_):
        gx = MaxPoolScatter.apply(g, ctx.arg, *ctx.geom, ctx.spatial)
        return gx, None, None, None, None, None, None

    @staticmethod
    def backward_arrays(ctx, g, *_):
        gx = max_pool_scatter_array(g, ctx.arg, *ctx.geom, ctx.spatial)
        return gx, None, None, None, None, None, None


class MaxPoolScatter(ArrayFunction):
    """Max pooling's backward: output gradients to the winning input positions."""

    @staticmethod
    def forward(ctx, g, arg, kernel, stride, pads, dilation, spatial):
        ctx.arg = arg
        ctx.geom = (kernel, stride, pads, dilation)
        return max_pool_scatter_array(g, arg, kernel, stride, pads, dilation, spatial)

    @staticmethod
    def backward(ctx, gg):
        return (MaxPoolGather.apply(gg, ctx.arg, *ctx.geom),) + (None,) * 6


class MaxPoolGather(ArrayFunction):
    """The adjoint of ``MaxPoolScatter``."""

    @staticmethod
    def forward(ctx, gx, arg, kernel, stride, pads, dilation):
        ctx.arg = arg
        ctx.geom = (kernel, stride, pads, dilation)
        ctx.spatial = gx.shape[2:]
        return max_pool_gather_array(gx, arg, kernel, stride, pads, dilation)

    @staticmethod
    def backward(ctx, g):
        return (MaxPoolScatter.apply(g, ctx.arg, *ctx.geom, ctx.spatial),) + (None,) * 5


def _max_pool(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    _check_input(op, input, nd)
    x, unbatched = _batched(input, nd)
    kernel, stride, pads, dilation, out = _geometry(op, x, nd, kernel_size, stride, padding,
                                                    dilation, ceil_mode)
    res = MaxPoolNd.apply(x, kernel, stride, pads, dilation, out, bool(return_indices))
    if unbatched:
        res = tuple(r.squeeze(0) for r in res) if return_indices else res.squeeze(0)
    return res


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling: ``(N, C, L)`` -> ``(N, C, L_out)`` (and int64 indices into L)."""
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling: ``(N, C, H, W)`` -> ``(N, C, H_out, W_out)`` with
    H_out = floor((H + 2P - D(k-1) - 1)/S) + 1 (ceil with ``ceil_mode``); ``stride`` defaults to
    ``kernel_size``; indices (``return_indices``) are flat positions in each H x W plane."""
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """3-D max pooling: ``(N, C, D, H, W)`` -> ``(N, C, D_out, H_out, W_out)``."""
    return _max_pool("max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


# ------------------------------------------------------------------------- average pooling
def window_sum_array(x, scale, kernel, stride, pads, out_shape):
    xp = pad_array(x, pads, 0)
    ones = (1,) * len(kernel)
    views = [xp[window(off, stride, ones, out_shape)] for off in offsets(kernel)]
    out = views[0].copy()
    for v in views[1:]:
        out += v
    out *= scale
    return out


def window_scatter_array(g, scale, kernel, stride, pads, spatial):
    ones = (1,) * len(kernel)
    out_shape = g.shape[2:]
    gs = g * scale
    extent = padded_extent(spatial, kernel, stride, pads, ones, out_shape)
    buf = np.zeros(g.shape[:2] + extent, g.dtype)
    disjoint = _disjoint(kernel, stride, ones)
    for off in offsets(kernel):
        view = buf[window(off, stride, ones, out_shape)]
        if disjoint:
            view[...] = gs
        else:
            view += gs
    if extent == tuple(spatial):
        return buf
    return np.ascontiguousarray(buf[interior(spatial, pads)])


class WindowSum(ArrayFunction):
    """Sum over each pooling window (zero padding), times ``scale`` (a constant per output)."""

    @staticmethod
    def forward(ctx, x, scale, kernel, stride, pads, out_shape):
        ctx.args = (scale, kernel, stride, pads)
        ctx.spatial = x.shape[2:]
        return window_sum_array(x, scale, kernel, stride, pads, out_shape)

    @staticmethod
    def backward(ctx, g):
        return (WindowScatter.apply(g, *ctx.args, ctx.spatial),) + (None,) * 5

    @staticmethod
    def backward_arrays(ctx, g):
        return (window_scatter_array(g, *ctx.args, ctx.spatial),) + (None,) * 5


class WindowScatter(ArrayFunction):
    """The adjoint of ``WindowSum``: each output gradient, scaled, added to its whole window."""

    @staticmethod
    def forward(ctx, g, scale, kernel, stride, pads, spatial):
        ctx.args = (scale, kernel, stride, pads)
        ctx.out_shape = g.shape[2:]
        return window_scatter_array(g, scale, kernel, stride, pads, spatial)

    @staticmethod
    def backward(ctx, gg):
        return (WindowSum.apply(gg, *ctx.args, ctx.out_shape),) + (None,) * 5


def _avg_scale(spatial, kernel, stride, padding, out_shape, count_include_pad, divisor_override,
               dtype):
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError("avg_pool: divisor must be not zero")
        return np.asarray(1.0 / divisor_override, dtype)
    div = np.ones((), np.float64)
    for s, k, st, p, n in zip(spatial, kernel, stride, padding, out_shape):
        start = np.arange(n) * st - p
        end = np.minimum(start + k, s + p)
        if count_include_pad:
            size = end - start
        else:
            size = np.minimum(end, s) - np.maximum(start, 0)
        div = np.multiply.outer(div, size)
    if np.all(div == div.flat[0]):
        return np.asarray(1.0 / div.flat[0], dtype)
    return (1.0 / div).astype(dtype)


def _avg_pool(op, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    _check_input(op, input, nd)
    x, unbatched = _batched(input, nd)
    kernel, stride, pads, _, out = _geometry(op, x, nd, kernel_size, stride, padding, 1, ceil_mode)
    padding = tuple(lo for lo, _ in pads)
    scale = _avg_scale(x.shape[2:], kernel, stride, padding, out, count_include_pad,
                       divisor_override, x._data.dtype)
    y = WindowSum.apply(x, scale, kernel, stride, pads, out)
    return y.squeeze(0) if unbatched else y


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """1-D average pooling: ``(N, C, L)`` -> ``(N, C, L_out)``."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling: ``(N, C, H, W)`` -> ``(N, C, H_out, W_out)``. Zero padding counts in
    the divisor when ``count_include_pad``; windows hanging past the padded input (ceil_mode)
    never count; ``divisor_override`` replaces the divisor."""
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """3-D average pooling: ``(N, C, D, H, W)`` -> ``(N, C, D_out, H_out, W_out)``."""
    return _avg_pool("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def _lp_pool(op, nd, input, norm_type, kernel_size, stride, ceil_mode):
    kernel = ntuple(kernel_size, nd, "kernel_size", op)
    out = _avg_pool(op, nd, input.pow(norm_type), kernel, stride, 0, ceil_mode, True, None)
    return (out * float(math.prod(kernel))).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling: ``(sum over the window of x^p)^(1/p)``, ``(N, C, L)``."""
    return _lp_pool("lp_pool1d", 1, input, float(norm_type), kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling: ``(sum over the window of x^p)^(1/p)``, ``(N, C, H, W)``."""
    return _lp_pool("lp_pool2d", 2, input, float(norm_type), kernel_size, stride, ceil_mode)


# ------------------------------------------------------------------------ adaptive pooling
def _adaptive_bounds(size: int, n: int):
    i = np.arange(n)
    return (i * size) // n, -((-(i + 1) * size) // n)


def _adaptive_sizes(op, x, nd, output_size):
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size,) * nd
    output_size = tuple(output_size)
    if len(output_size) != nd:
        raise ValueError(f"{op}: output_size must have {nd} elements, got {output_size}")
    sizes = tuple(s if o is None else int(o) for o, s in zip(output_size, x.shape[2:]))
    if any(o < 0 for o in sizes):
        raise RuntimeError(f"{op}: output_size must be non-negative, got {sizes}")
    return sizes


def adaptive_avg_matrix(size: int, n: int, dtype) -> np.ndarray:
    """``(n, size)`` matrix whose rows average adaptive pooling's (possibly uneven) windows."""
    start, end = _adaptive_bounds(size, n)
    cols = np.arange(size)
    inside = (cols[None, :] >= start[:, None]) & (cols[None, :] < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def apply_separable(x: Tensor, mats) -> Tensor:
    """Apply one ``(out, in)`` matrix along each trailing spatial dim of ``x`` (None: identity),
    with graphgrad's differentiable matmul."""
    nd = len(mats)
    for d, a in enumerate(mats):
        if a is None:
            continue
        a_t = Tensor._make(np.asarray(a, dtype=x._data.dtype))
        axis = x.ndim - nd + d
        shape = tuple(x.shape)
        if axis == x.ndim - 1:
            x = x @ a_t.transpose(0, 1)
        else:
            after = math.prod(shape[axis + 1:])
            y = a_t @ x.reshape(shape[:axis + 1] + (after,))
            x = y.reshape(shape[:axis] + (a.shape[0],) + shape[axis + 1:])
    return x


def _adaptive_avg(op, nd, input, output_size):
    _check_input(op, input, nd)
    x, unbatched = _batched(input, nd)
    sizes = _adaptive_sizes(op, x, nd, output_size)
    spatial = tuple(x.shape[2:])
    if all(o == 1 for o in sizes):
        y = x.mean(dim=tuple(range(2, 2 + nd)), keepdim=True)
    elif all(o > 0 and s % o == 0 for s, o in zip(spatial, sizes)):
        kernel = tuple(s // o for s, o in zip(spatial, sizes))
        y = WindowSum.apply(x, np.asarray(1.0 / math.prod(kernel), x._data.dtype), kernel, kernel,
                            ((0, 0),) * nd, sizes)
    else:
        mats = [None if o == s else adaptive_avg_matrix(s, o, x._data.dtype)
                for s, o in zip(spatial, sizes)]
        y = apply_separable(x, mats)
    return y.squeeze(0) if unbatched else y


def adaptive_avg_pool1d(input, output_size):
    """Average pooling to a fixed output length: ``(N, C, L)`` -> ``(N, C, output_size)``; window
    i covers [floor(i L / n), ceil((i + 1) L / n))."""
    return _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size ``(oh, ow)`` (an int for both; None keeps a dim)."""
    return _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_avg_pool3d(input, output_size):
    """Average pooling to a fixed output size ``(od, oh, ow)``."""
    return _adaptive_avg("adaptive_avg_pool3d", 3, input, output_size)


class FlatGather(ArrayFunction):
    """``out[n, c, l] = x[n, c, idx[n, c, l]]`` on planes flattened to ``(N, C, S)``."""

    @staticmethod
    def forward(ctx, x, idx):
        ctx.idx = idx
        ctx.size = x.shape[2]
        return np.take_along_axis(x, idx, axis=2)

    @staticmethod
    def backward(ctx, g):
        return FlatScatterAdd.apply(g, ctx.idx, ctx.size), None


class FlatScatterAdd(ArrayFunction):
    """``out[n, c, idx[n, c, l]] += g[n, c, l]`` into zeros ``(N, C, size)``."""

    @staticmethod
    def forward(ctx, g, idx, size):
        ctx.idx = idx
        n, c, length = g.shape
        rows = (np.arange(n * c, dtype=np.int64) * size).reshape(n, c, 1)
        flat = (idx + rows).ravel()
        out = np.bincount(flat, weights=g.ravel(), minlength=n * c * size)
        return out.astype(g.dtype, copy=False).reshape(n, c, size)

    @staticmethod
    def backward(ctx, gg):
        return FlatGather.apply(gg, ctx.idx), None, None


class FlatPut(ArrayFunction):
    """``out[n, c, idx[n, c, l]] = x[n, c, l]`` into zeros ``(N, C, size)`` (max unpooling)."""

    @staticmethod
    def forward(ctx, x, idx, size):
        ctx.idx = idx
        out = np.zeros(x.shape[:2] + (size,), x.dtype)
        np.put_along_axis(out, idx, x, axis=2)
        return out

    @staticmethod
    def backward(ctx, g):
        return FlatGather.apply(g, ctx.idx), None, None


def _adaptive_max_array(x, sizes):
    """Flat index (into each input plane) of the maximum of every adaptive window, found by
    gathering the windows through per-dim index tables."""
    nd = len(sizes)
    spatial = x.shape[2:]
    index = []
    flat = np.zeros((1,) * (2 * nd), np.int64)
    for d, (s, n) in enumerate(zip(spatial, sizes)):
        start, end = _adaptive_bounds(s, n)
        kmax = int((end - start).max())
        table = np.minimum(start[:, None] + np.arange(kmax)[None, :], (end - 1)[:, None])
        shape = [1] * (2 * nd)
        shape[d] = n
        shape[nd + d] = kmax
        table = table.reshape(shape)
        index.append(table)
        flat = flat * s + table
    windows = x[(slice(None), slice(None)) + tuple(index)]  # (N, C, *out, *kmax)
    lead = x.shape[:2] + tuple(sizes)
    windows = windows.reshape(lead + (-1,))
    arg = np.argmax(windows, axis=-1)[..., None]  # first maximum; a NaN wins, as in PyTorch
    flat = np.broadcast_to(flat, tuple(sizes) + flat.shape[nd:]).reshape(tuple(sizes) + (-1,))
    idx = np.take_along_axis(np.broadcast_to(flat, lead + flat.shape[-1:]), arg, axis=-1)[..., 0]
    return idx


def _adaptive_max(op, nd, input, output_size, return_indices):
    _check_input(op, input, nd)
    x, unbatched = _batched(input, nd)
    sizes = _adaptive_sizes(op, x, nd, output_size)
    if any(o == 0 for o in sizes):
        raise RuntimeError(f"{op}: output_size must be positive, got {sizes}")
    idx = _adaptive_max_array(x._data, sizes)
    n, c = x.shape[:2]
    plane = math.prod(x.shape[2:])
    flat_idx = idx.reshape(n, c, -1)
    y = FlatGather.apply(x.reshape(n, c, plane), flat_idx).reshape((n, c) + sizes)
    if unbatched:
        y, idx = y.squeeze(0), idx[0]
    if return_indices:
        return y, Tensor._make(idx)
    return y


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling to a fixed output length: ``(N, C, L)`` -> ``(N, C, output_size)``."""
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size ``(oh, ow)``."""
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)


# ---------------------------------------------------------------------------- unpooling
def _max_unpool(op, nd, input, indices, kernel_size, stride, padding, output_size):
    _check_input(op, input, nd)
    x, unbatched = _batched(input, nd)
    idx = indices._data if isinstance(indices, Tensor) else np.asarray(indices)
    if unbatched:
        idx = idx[None]
    if idx.shape != tuple(x.shape):
        raise RuntimeError(f"{op}: Expected shape of indices to be same as that of the input "
                           f"tensor ({list(x.shape)}) but got indices tensor with shape "
                           f"{list(idx.shape)}")
    kernel = ntuple(kernel_size, nd, "kernel_size", op)
    stride = kernel if stride is None else ntuple(stride, nd, "stride", op)
    padding = ntuple(padding, nd, "padding", op)
    default = tuple((i - 1) * s - 2 * p + k for i, s, p, k
                    in zip(x.shape[2:], stride, padding, kernel))
    if output_size is None:
        size = default
    else:
        size = tuple(output_size)[-nd:]
        for want, d, s in zip(size, default, stride):
            if not d - s < want < d + s:
                raise ValueError(f"{op}: invalid output_size {tuple(output_size)} (it should be "
                                 f"between {tuple(d - s + 1 for d, s in zip(default, stride))} "
                                 f"and {tuple(d + s - 1 for d, s in zip(default, stride))})")
    plane = math.prod(size)
    n, c = x.shape[:2]
    flat = idx.reshape(n, c, -1).astype(np.int64, copy=False)
    if flat.size and (flat.min() < 0 or flat.max() >= plane):
        raise RuntimeError(f"{op}: Found an invalid max index: {int(flat.max())} (output volumes "
                           f"are of size {'x'.join(map(str, size))})")
    y = FlatPut.apply(x.reshape(n, c, -1), flat, plane).reshape((n, c) + size)
    return y.squeeze(0) if unbatched else y


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of max_pool1d: values placed at ``indices``, zeros elsewhere."""
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding,
                       output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of max_pool2d: ``(N, C, H, W)`` values placed at the flat ``indices`` of
    an ``(N, C, H_out, W_out)`` zero array, H_out = (H - 1) S - 2P + k unless ``output_size``."""
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding,
                       output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of max_pool3d."""
    return _max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding,
                       output_size)


__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
           "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "lp_pool1d", "lp_pool2d",
           "max_unpool1d", "max_unpool2d", "max_unpool3d"]
