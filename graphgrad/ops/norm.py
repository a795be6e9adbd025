"""Normalisation and embedding ops: batch_norm, layer_norm, group_norm, instance_norm,
local_response_norm, embedding and embedding_bag.

The three mean/variance normalisations share one fused op, ``Normalize``: the input is viewed in a
shape where the statistics are taken over ``axes`` (batch norm: every axis but the channels; layer
norm: the trailing ``normalized_shape``; group norm: ``(N, G, -1)`` and the last axis), then an
optional per-channel (or per-element) affine ``weight``/``bias`` is applied. Forward and the
first-order backward each make one pass of array arithmetic; the backward written with graphgrad ops
recomputes the statistics from the graph-connected input so second derivatives are exact.
"""
from __future__ import annotations

import numpy as np

from ..autograd import grad_mode
from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor
from ._batch_norm_arrays import batch_statistics, normalize_backward, normalize_forward
from ._util import sum_to, sum_to_array


# --------------------------------------------------------------------------- Normalize
class Normalize(ArrayFunction):
    """``y = (x - mean) * invstd * weight + bias``, statistics over ``axes`` of ``x.reshape(view)``.

    ``stats`` is None (computed here) or a precomputed ``(mean, invstd)`` pair of arrays shaped for
    the view. ``batch_stats``: the statistics are the input's own (so part of the derivative), not
    constants (batch norm in eval mode).
    ``pshape``: the shape ``weight`` and ``bias`` are broadcast in (against ``x``'s shape)."""

    @staticmethod
    def forward(ctx, x, weight, bias, view, axes, pshape, eps, stats, batch_stats):
        ctx.view, ctx.axes, ctx.pshape, ctx.eps = view, axes, pshape, eps
        ctx.batch_stats = batch_stats
        ctx.per_channel = stats is not None and _per_channel(x.shape, view, axes, pshape)
        if ctx.per_channel:  # batch norm: the fast path of _batch_norm_arrays
            mean, invstd = (s.reshape(-1) for s in stats)
            ctx.mean, ctx.invstd = mean, invstd
            ctx.const_mean = None if batch_stats else mean.reshape(pshape)
            ctx.save_for_backward(x, weight, None)
            return normalize_forward(x, mean, invstd, weight, bias)
        xv = x.reshape(view)
        if stats is None:
            mean = xv.mean(axis=axes, keepdims=True)
            xc = xv - mean
            invstd = 1.0 / np.sqrt(np.mean(xc * xc, axis=axes, keepdims=True) + eps)
        else:
            mean, invstd = stats
            xc = xv - mean
        xhat = (xc * invstd).astype(x.dtype, copy=False).reshape(x.shape)
        y = xhat
        if weight is not None:
            y = y * weight.reshape(pshape)
        if bias is not None:
            y = y + bias.reshape(pshape)
        elif y is xhat:
            y = xhat.copy()
        ctx.invstd = np.asarray(invstd, dtype=x.dtype)
        ctx.const_mean = None if batch_stats else mean
        ctx.save_for_backward(x, weight, xhat)
        return y

    @staticmethod
    def backward_arrays(ctx, g):
        x, weight, xhat = ctx.saved_arrays
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        if ctx.per_channel:
            gx, gw, gb = normalize_backward(g, x, ctx.mean, ctx.invstd, weight, ctx.batch_stats,
                                            need_x, need_w, need_b)
            return gx, gw, gb, None, None, None, None, None, None
        gx = gw = gb = None
        if need_w:
            gw = sum_to_array(g * xhat, ctx.pshape).reshape(ctx._in_meta[1][0])
        if need_b:
            gb = sum_to_array(g, ctx.pshape).reshape(ctx._in_meta[2][0])
        if need_x:
            gv = (g * weight.reshape(ctx.pshape) if weight is not None else g).reshape(ctx.view)
            if ctx.batch_stats:
                hv = xhat.reshape(ctx.view)
                gv = gv - gv.mean(axis=ctx.axes, keepdims=True) - hv * np.mean(
                    gv * hv, axis=ctx.axes, keepdims=True)
            gx = (gv * ctx.invstd).reshape(x.shape)
        return gx, gw, gb, None, None, None, None, None, None

    @staticmethod
    def backward(ctx, g):
        x, weight, _ = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        axes = ctx.axes
        xv = x.reshape(ctx.view)
        if ctx.batch_stats:
            mean = xv.mean(dim=axes, keepdim=True)
            xc = xv - mean
            invstd = ((xc * xc).mean(dim=axes, keepdim=True) + ctx.eps) ** -0.5
        else:
            xc = xv - Tensor._make(ctx.const_mean)
            invstd = Tensor._make(ctx.invstd.reshape(ctx.pshape) if ctx.per_channel else ctx.invstd)
        hv = xc * invstd
        xhat = hv.reshape(x.shape)
        gx = gw = gb = None
        if need_w:
            gw = sum_to(g * xhat, ctx.pshape).reshape(ctx._in_meta[1][0])
        if need_b:
            gb = sum_to(g, ctx.pshape).reshape(ctx._in_meta[2][0])
        if need_x:
            gxhat = g * weight.reshape(ctx.pshape) if weight is not None else g
            gv = gxhat.reshape(ctx.view)
            if ctx.batch_stats:
                gv = gv - gv.mean(dim=axes, keepdim=True) - hv * (gv * hv).mean(
                    dim=axes, keepdim=True)
            gx = (gv * invstd).reshape(x.shape)
        return gx, gw, gb, None, None, None, None, None, None


def _per_channel(shape, view, axes, pshape) -> bool:
    """Statistics per channel of an ``(N, C, *)`` input (batch norm's layout)."""
    return (len(shape) >= 2 and tuple(view) == tuple(shape) and tuple(axes) == (0,) + tuple(
        range(2, len(shape))) and tuple(pshape) == (1, shape[1]) + (1,) * (len(shape) - 2))


def _check_param(p, expected: tuple, op: str, name: str):
    if p is None:
        return
    if not isinstance(p, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor or None, got {type(p).__name__}")
    if tuple(p.shape) != tuple(expected):
        raise RuntimeError(f"{op}: expected {name} of shape {tuple(expected)}, got "
                           f"{tuple(p.shape)}")


def _channel_pshape(x: Tensor) -> tuple:
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation of ``input`` ``(N, C, *)`` per channel.

    In training, normalises with the batch's mean and (biased) variance and, when given, updates
    ``running_mean``/``running_var`` in place: ``r = (1 - momentum) * r + momentum * stat``, with
    the unbiased variance for ``running_var``. Otherwise normalises with the running statistics."""
    if not isinstance(input, Tensor):
        raise TypeError(f"batch_norm: expected a Tensor input, got {type(input).__name__}")
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, *), got {tuple(input.shape)}")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _check_param(t, (c,), "batch_norm", name)
    pshape = _channel_pshape(input)
    axes = (0,) + tuple(range(2, input.ndim))
    view = tuple(input.shape)
    if training:
        count = input.numel() // c
        if count <= 1:
            raise ValueError("Expected more than 1 value per channel when training, got input "
                             f"size {tuple(input.shape)}")
        mean, var, invstd = batch_statistics(input._data, eps)
        out = Normalize.apply(input, weight, bias, view, axes, pshape, eps, (mean, invstd), True)
        if running_mean is not None:
            _ema_(running_mean, mean, momentum)
        if running_var is not None:
            _ema_(running_var, var * (count / (count - 1)), momentum)
        return out
    if running_mean is None or running_var is None:
        raise RuntimeError("batch_norm: running_mean and running_var must be given when "
                           "training=False")
    mean = running_mean._data.reshape(pshape)
    invstd = 1.0 / np.sqrt(running_var._data.reshape(pshape) + eps)
    return Normalize.apply(input, weight, bias, view, axes, pshape, eps,
                           (mean.astype(input._data.dtype), invstd.astype(input._data.dtype)), False)


def _ema_(buf: Tensor, stat: np.ndarray, momentum: float) -> None:
    data = buf._data
    data *= 1 - momentum
    data += (momentum * stat).astype(data.dtype, copy=False)
    buf._bump_version()


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing dimensions ``normalized_shape`` of ``input`` ``(*, *normalized)``,
    then scale by ``weight`` and shift by ``bias`` (both of shape ``normalized_shape``)."""
    if isinstance(normalized_shape, (int, np.integer)):
        normalized_shape = (int(normalized_shape),)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or tuple(input.shape[input.ndim - k:]) != normalized_shape or input.ndim < k:
        raise RuntimeError(
            f"layer_norm: given normalized_shape={list(normalized_shape)}, expected input with "
            f"shape [*, {', '.join(map(str, normalized_shape))}], but got input of size "
            f"{list(input.shape)}")
    _check_param(weight, normalized_shape, "layer_norm", "weight")
    _check_param(bias, normalized_shape, "layer_norm", "bias")
    axes = tuple(range(input.ndim - k, input.ndim))
    return Normalize.apply(input, weight, bias, tuple(input.shape), axes, normalized_shape, eps,
                           None, True)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise ``input`` ``(N, C, *)`` over each group of ``C // num_groups`` channels (and all
    positions), then apply a per-channel ``weight`` and ``bias``."""
    if input.ndim < 2:
        raise RuntimeError(f"group_norm: expected input of shape (N, C, *), got "
                           f"{tuple(input.shape)}")
    n, c = input.shape[0], input.shape[1]
    if num_groups <= 0 or c % num_groups != 0:
        raise RuntimeError(f"group_norm: expected number of channels in input ({c}) to be "
                           f"divisible by num_groups ({num_groups}); input shape "
                           f"{tuple(input.shape)}")
    _check_param(weight, (c,), "group_norm", "weight")
    _check_param(bias, (c,), "group_norm", "bias")
    view = (n, num_groups, input.numel() // max(n * num_groups, 1))
    return Normalize.apply(input, weight, bias, view, (2,), _channel_pshape(input), eps, None,
                           True)


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample of ``input`` ``(N, C, *)`` over its positions."""
    if input.ndim < 3:
        raise RuntimeError(f"instance_norm: expected input of shape (N, C, *spatial), got "
                           f"{tuple(input.shape)}")
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    n, c = input.shape[0], input.shape[1]
    view = (n, c, input.numel() // max(n * c, 1))
    out = Normalize.apply(input, weight, bias, view, (2,), _channel_pshape(input), eps, None,
                          True)
    if running_mean is not None or running_var is not None:
        x = input._data.reshape(view)
        count = view[2]
        if running_mean is not None:
            _ema_(running_mean, x.mean(axis=2).mean(axis=0), momentum)
        if running_var is not None:
            var = x.var(axis=2) * (count / max(count - 1, 1))
            _ema_(running_var, var.mean(axis=0), momentum)
    return out


# ----------------------------------------------------------------- local response norm
def _channel_window_sum(a: np.ndarray, before: int, after: int) -> np.ndarray:
    """``out[:, c] = sum(a[:, c - before : c + after + 1])`` (zero outside), by a cumulative sum."""
    c = a.shape[1]
    pad = [(0, 0)] * a.ndim
    pad[1] = (before + 1, after)
    cs = np.cumsum(np.pad(a, pad), axis=1)
    return cs[:, before + after + 1:before + after + 1 + c] - cs[:, :c]


class ChannelWindowSum(ArrayFunction):
    """Sum over a window of channels ``[c - before, c + after]``; its adjoint is the mirrored
    window, so the op is differentiable to any order."""

    @staticmethod
    def forward(ctx, x, before, after):
        ctx.before, ctx.after = before, after
        return _channel_window_sum(x, before, after)

    @staticmethod
    def backward(ctx, g):
        return ChannelWindowSum.apply(g, ctx.after, ctx.before), None, None

    @staticmethod
    def backward_arrays(ctx, g):
        return _channel_window_sum(g, ctx.after, ctx.before), None, None


class LocalResponseNorm(ArrayFunction):
    """``y = x / (k + alpha / size * sum_{window} x**2) ** beta`` over a window of ``size``
    neighbouring channels (Krizhevsky et al. 2012)."""

    @staticmethod
    def forward(ctx, x, size, alpha, beta, k):
        before, after = size // 2, (size - 1) // 2
        d = k + (alpha / size) * _channel_window_sum(x * x, before, after)
        y = x * d ** -beta
        ctx.size, ctx.alpha, ctx.beta, ctx.k = size, alpha, beta, k
        ctx.save_for_backward(x, d.astype(x.dtype, copy=False))
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward_arrays(ctx, g):
        x, d = ctx.saved_arrays
        size, alpha, beta = ctx.size, ctx.alpha, ctx.beta
        t = g * x * d ** (-beta - 1)
        gx = g * d ** -beta - (2 * alpha * beta / size) * x * _channel_window_sum(
            t, (size - 1) // 2, size // 2)
        return gx, None, None, None, None

    @staticmethod
    def backward(ctx, g):
        x, _ = ctx.saved_tensors
        size, alpha, beta, k = ctx.size, ctx.alpha, ctx.beta, ctx.k
        d = ChannelWindowSum.apply(x * x, size // 2, (size - 1) // 2) * (alpha / size) + k
        t = g * x * d ** (-beta - 1)
        gx = g * d ** -beta - x * ChannelWindowSum.apply(t, (size - 1) // 2, size // 2) * (
            2 * alpha * beta / size)
        return gx, None, None, None, None


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """Local response normalisation across channels of ``input`` ``(N, C, *)`` (AlexNet's)."""
    if input.ndim < 3:
        raise ValueError(f"local_response_norm: expected 3D or higher dimensionality input (got "
                         f"{input.ndim} dimensions, shape {tuple(input.shape)})")
    if input.numel() == 0:
        return input
    return LocalResponseNorm.apply(input, int(size), float(alpha), float(beta), float(k))


# ---------------------------------------------------------------------------- embedding
def _check_indices(idx: np.ndarray, num: int, op: str) -> None:
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected indices of an integer dtype (int64 or int32), got "
                           f"{idx.dtype}")
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise IndexError(f"{op}: index {int(bad)} is out of range for a weight with {num} rows")


class Embedding(ArrayFunction):
    """Rows of ``weight`` picked by integer ``indices``: output ``indices.shape + (D,)``.

    ``coef`` (constant, broadcast against the output, or None) scales the gradient that flows back
    to ``weight``: zero at ``padding_idx``, ``1/count`` with ``scale_grad_by_freq``."""

    @staticmethod
    def forward(ctx, weight, indices, coef):
        ctx.num = weight.shape[0]
        ctx.indices, ctx.coef = indices, coef
        return weight[indices]

    @staticmethod
    def backward_arrays(ctx, g):
        if ctx.coef is not None:
            g = g * ctx.coef
        return _index_add_rows(g, ctx.indices, ctx.num), None, None

    @staticmethod
    def backward(ctx, g):
        if ctx.coef is not None:
            g = g * Tensor._make(ctx.coef)
        return IndexAddRows.apply(g, ctx.indices, ctx.num), None, None


def _index_add_rows(x: np.ndarray, indices: np.ndarray, num: int) -> np.ndarray:
    d = x.shape[indices.ndim:]
    out = np.zeros((num,) + d, dtype=x.dtype)
    np.add.at(out, indices.reshape(-1), x.reshape((-1,) + d))
    return out


class IndexAddRows(ArrayFunction):
    """``out[indices[i]] += x[i]`` into ``num`` rows of zeros (the adjoint of ``Embedding``)."""

    @staticmethod
    def forward(ctx, x, indices, num):
        ctx.indices = indices
        return _index_add_rows(x, indices, num)

    @staticmethod
    def backward_arrays(ctx, g):
        return g[ctx.indices], None, None

    @staticmethod
    def backward(ctx, g):
        return Embedding.apply(g, ctx.indices, None), None, None


def _as_index_array(input, op: str) -> np.ndarray:
    if isinstance(input, Tensor):
        return input._data
    return np.asarray(input)


def _renorm_rows_(weight: Tensor, idx: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Scale (in place, unrecorded) the rows of ``weight`` used by ``idx`` whose norm exceeds
    ``max_norm`` down to ``max_norm``, as PyTorch does."""
    rows = np.unique(idx)
    w = weight._data
    norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
    big = norms > max_norm
    if np.any(big):
        scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
        w[rows[big]] *= scale[:, None]
        weight._bump_version()


def _grad_coef(idx: np.ndarray, num: int, padding_idx, scale_grad_by_freq: bool, dtype):
    if padding_idx is None and not scale_grad_by_freq:
        return None
    coef = np.ones(idx.shape + (1,), dtype=dtype)
    if scale_grad_by_freq:
        counts = np.bincount(idx.reshape(-1), minlength=num)
        coef = coef / counts[idx][..., None].astype(dtype)
    if padding_idx is not None:
        coef = np.where((idx == padding_idx)[..., None], 0, coef).astype(dtype)
    return coef


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Look up rows of ``weight`` ``(num_embeddings, D)`` for integer ``input`` of any shape;
    output ``input.shape + (D,)``. No gradient reaches row ``padding_idx``; ``max_norm`` renormalises
    the looked-up rows of ``weight`` in place. ``sparse`` gradients are returned dense."""
    idx = _as_index_array(input, "embedding")
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        raise RuntimeError(f"embedding: expected a 2-D weight (num_embeddings, embedding_dim), got "
                           f"{tuple(weight.shape) if isinstance(weight, Tensor) else weight!r}")
    num = weight.shape[0]
    _check_indices(idx, num, "embedding")
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"embedding: padding_idx {padding_idx} must be within "
                             f"num_embeddings ({num})")
        padding_idx %= num
    if max_norm is not None:
        _renorm_rows_(weight, idx, max_norm, norm_type)
    coef = None
    if weight._requires_grad and grad_mode.is_grad_enabled():
        coef = _grad_coef(idx, num, padding_idx, scale_grad_by_freq, weight._data.dtype)
    return Embedding.apply(weight, idx, coef)


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Sum, mean or max of embedding rows per bag: ``input`` ``(B, L)`` (each row a bag) or 1-D with
    ``offsets`` ``(B,)`` marking where each bag starts. Output ``(B, D)``; empty bags give zeros.
    ``per_sample_weights`` (mode 'sum' only) scales each looked-up row; ``padding_idx`` entries are
    left out of the bag (and of the mean's count)."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"embedding_bag: mode has to be one of sum, mean or max, got {mode!r}")
    idx = _as_index_array(input, "embedding_bag")
    num = weight.shape[0]
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("embedding_bag: if input is 2D, then offsets has to be None, as input "
                             "is treated is a mini-batch of fixed length sequences. However, found "
                             f"offsets of type {type(offsets).__name__}")
        bags, length = idx.shape
        bag_ids = np.repeat(np.arange(bags), length)
        flat = idx.reshape(-1)
    elif idx.ndim == 1:
        if offsets is None:
            raise ValueError("embedding_bag: offsets has to be a 1D Tensor but got None")
        off = _as_index_array(offsets, "embedding_bag").astype(np.int64)
        if off.ndim != 1:
            raise ValueError(f"embedding_bag: offsets has to be a 1D Tensor, got shape {off.shape}")
        if include_last_offset:
            ends = off[1:]
            off = off[:-1]
        else:
            ends = np.append(off[1:], idx.size)
        if off.size and off[0] != 0:
            raise ValueError(f"embedding_bag: offsets[0] has to be 0, i.e., the first sequence in "
                             f"the mini-batch has to start from position 0. However, got {off[0]}")
        lengths = ends - off
        if np.any(lengths < 0) or (ends.size and ends[-1] > idx.size):
            raise ValueError(f"embedding_bag: offsets must be non-decreasing and within the input "
                             f"of length {idx.size}, got {off.tolist()}")
        bags = off.size
        bag_ids = np.repeat(np.arange(bags), lengths)
        total = int(ends[-1]) if bags else 0
        flat = idx[:total]  # with include_last_offset, entries past the last offset are unused
    else:
        raise ValueError(f"embedding_bag: input has to be 1D or 2D Tensor, but got Tensor of "
                         f"dimension {idx.ndim}")
    _check_indices(flat, num, "embedding_bag")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError("embedding_bag: per_sample_weights was not None. "
                                      "per_sample_weights is only supported for mode='sum' (got "
                                      f"mode='{mode}'). Please open a feature request on GitHub.")
        if tuple(per_sample_weights.shape) != idx.shape:
            raise ValueError(f"embedding_bag: per_sample_weights of shape "
                             f"{tuple(per_sample_weights.shape)} must match input shape {idx.shape}")
        per_sample_weights = per_sample_weights.reshape(-1)
        if per_sample_weights.shape[0] != flat.size:
            per_sample_weights = per_sample_weights[:flat.size]
    if padding_idx is not None:
        padding_idx %= num
        keep = flat != padding_idx
        flat, bag_ids = flat[keep], bag_ids[keep]
        if per_sample_weights is not None:
            per_sample_weights = Embedding.apply(per_sample_weights, np.nonzero(keep)[0], None)
    if max_norm is not None:
        _renorm_rows_(weight, flat, max_norm, norm_type)
    coef = None
    if weight._requires_grad and grad_mode.is_grad_enabled() and scale_grad_by_freq:
        coef = _grad_coef(flat, num, None, True, weight._data.dtype)
    rows = Embedding.apply(weight, flat, coef)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1, 1)
    if mode == "max":
        return _bag_max(rows, bag_ids, bags)
    out = IndexAddRows.apply(rows, bag_ids, bags)
    if mode == "mean":
        counts = np.bincount(bag_ids, minlength=bags).astype(weight._data.dtype)
        out = out * Tensor._make((1.0 / np.maximum(counts, 1))[:, None])
    return out


class BagMax(ArrayFunction):
    """Per-bag maximum of rows ``x`` ``(n, D)`` grouped by sorted ``bag_ids``; empty bags are 0."""

    @staticmethod
    def forward(ctx, x, bag_ids, bags):
        d = x.shape[1]
        out = np.full((bags, d), -np.inf, dtype=x.dtype)
        np.maximum.at(out, bag_ids, x)
        empty = np.isneginf(out)
        out[empty] = 0
        # the row (within x) that won each (bag, column)
        winner = np.zeros((bags, d), dtype=np.int64)
        hit = (x == out[bag_ids]) & ~empty[bag_ids]
        rows = np.broadcast_to(np.arange(x.shape[0])[:, None], x.shape)
        winner_rows = np.where(hit, rows, -1)
        np.maximum.at(winner, bag_ids, winner_rows)
        ctx.winner, ctx.empty, ctx.n = winner, empty, x.shape[0]
        return out

    @staticmethod
    def backward(ctx, g):
        d = g.shape[1]
        full = ~ctx.empty.reshape(-1)
        target = (ctx.winner * d + np.arange(d)).reshape(-1)[full]
        picked = Embedding.apply(g.reshape(-1), np.nonzero(full)[0], None)
        return IndexAddRows.apply(picked, target, ctx.n * d).reshape(ctx.n, d), None, None


def _bag_max(rows: Tensor, bag_ids: np.ndarray, bags: int) -> Tensor:
    return BagMax.apply(rows, bag_ids, bags)


__all__ = ["layer_norm", "group_norm", "instance_norm"]
