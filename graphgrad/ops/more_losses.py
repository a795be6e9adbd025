"""More of PyTorch's losses, written from differentiable primitives: ``gaussian_nll_loss``,
``multilabel_soft_margin_loss``, ``multilabel_margin_loss`` and
``triplet_margin_with_distance_loss``. (``ctc_loss`` has a file of its own.)"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.tensor import Tensor
from .activation import LogSigmoid
from .loss import _float_tensor, _reduce, _reduction, _tensor
from .nn_misc import pairwise_distance
from .selection import minimum


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of ``target`` under N(``input``, ``var``):
    ``0.5 * (log(var) + (input - target)**2 / var)`` (+ ``0.5 * log(2 pi)`` with ``full``).

    ``var`` has the input's shape, or one dimension of size 1 (or the last one missing) for a
    variance shared along it, or is a float. It is floored at ``eps`` in value only: the gradient
    flows as if the floor were not there, as in PyTorch."""
    op = "gaussian_nll_loss"
    _float_tensor(input, "input", op)
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = Tensor._make(np.full(input._data.shape, var, dtype=input._data.dtype))
    elif bool((_tensor(var, "var", op)._data < 0).any()):
        raise ValueError("var has negative entry/entries")
    in_shape, var_shape = tuple(input.shape), tuple(var.shape)
    if var_shape != in_shape:
        if in_shape[:-1] == var_shape:
            var = var.unsqueeze(-1)
        elif not (len(in_shape) == len(var_shape)
                  and sum(v for i, v in zip(in_shape, var_shape) if i != v) == 1):
            raise ValueError(f"var is of incorrect size (input {in_shape}, var {var_shape})")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    floor = np.maximum(var._data, eps) - var._data
    if floor.any():
        var = var + Tensor._make(floor.astype(var._data.dtype))
    loss = ((input - target) ** 2 / var + var.log()) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Multi-label one-versus-all logistic loss: input ``(N, C)`` logits, target ``(N, C)`` in
    {0, 1}; per sample ``-mean_c [y log sigmoid(x) + (1 - y) log sigmoid(-x)]`` (``weight`` per
    class)."""
    op = "multilabel_soft_margin_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    _float_tensor(input, "input", op)
    loss = -(target * LogSigmoid.apply(input) + (1 - target) * LogSigmoid.apply(-input))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss.sum(input.ndim - 1) / input.shape[-1], reduction)


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """Multi-label hinge loss: input ``(N, C)`` or ``(C,)``; target int64 of the same shape holding
    each sample's class indices, ended by the first -1. Per sample
    ``sum over targets j and non-targets i of max(0, 1 - (x[j] - x[i])) / C``."""
    op = "multilabel_margin_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    _float_tensor(input, "input", op)
    if tuple(target.shape) != tuple(input.shape) or input.ndim not in (1, 2):
        raise RuntimeError(f"{op}: inconsistent target size: {tuple(target.shape)} for input of "
                           f"size: {tuple(input.shape)} (expected (C,) or (N, C), both alike)")
    unbatched = input.ndim == 1
    x = input.unsqueeze(0) if unbatched else input
    t = np.asarray(target._data if isinstance(target, Tensor) else target).reshape(x.shape)
    n, c = x.shape
    if t.size and (t.min() < -1 or t.max() >= c):
        raise RuntimeError(f"{op}: target values must be in [-1, {c - 1}], got "
                           f"[{t.min()}, {t.max()}]")
    # a slot j holds a target while no -1 came at or before it
    valid = np.cumprod(t != -1, axis=1).astype(bool)
    index = np.where(valid, t, 0)
    is_target = np.zeros((n, c), dtype=bool)
    np.logical_or.at(is_target, (np.repeat(np.arange(n), c), index.reshape(-1)),
                     valid.reshape(-1))
    x_target = x.gather(1, Tensor._make(index.astype(np.int64)))  # (N, slots)
    hinge = (1.0 - x_target.unsqueeze(2) + x.unsqueeze(1)).clamp_min(0.0)  # (N, slots, C)
    pairs = valid[:, :, None] & ~is_target[:, None, :]
    loss = (hinge * Tensor._make(pairs.astype(x._data.dtype))).sum((1, 2)) / c
    return _reduce(loss.squeeze(0) if unbatched else loss, reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function=None, margin: float = 1.0,
                                      swap: bool = False, reduction: str = "mean") -> Tensor:
    """``max(0, margin + d(anchor, positive) - d(anchor, negative))`` with any distance
    ``distance_function(a, b)`` (default ``pairwise_distance``); ``swap`` also uses
    ``d(positive, negative)`` when smaller."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    dims = (anchor.ndim, positive.ndim, negative.ndim)
    if len(set(dims)) != 1:
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {dims[0]}D, positive "
                           f"{dims[1]}D, and negative {dims[2]}D inputs")
    distance = distance_function if distance_function is not None else pairwise_distance
    dist_pos = distance(anchor, positive)
    dist_neg = distance(anchor, negative)
    if swap:
        dist_neg = minimum(dist_neg, distance(positive, negative))
    return _reduce((dist_pos - dist_neg + margin).clamp_min(0.0), reduction)


__all__: list = []  # nn.functional only
