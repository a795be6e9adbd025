"""Loss functions with PyTorch's signatures and ``reduction`` ('mean', 'sum', 'none').

``cross_entropy`` is one fused node over a stable log-softmax (its gradient is ``softmax - target``
weighted and scaled); ``nll_loss``, ``binary_cross_entropy`` and ``multi_margin_loss`` are ops of
their own; the rest are written from differentiable primitives.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor
from .activation import LogSigmoid, LogSoftmax, Softmax
from .nn_misc import pairwise_distance
from ._util import broadcast_shapes_checked

_REDUCTIONS = ("none", "mean", "sum")


# ------------------------------------------------------------------- shared helpers
def _reduction(reduction, size_average, reduce, op, allowed=_REDUCTIONS) -> str:
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if (size_average and reduce) else ("sum" if reduce else "none")
        warnings.warn(f"{op}: size_average and reduce args will be deprecated, please use "
                      f"reduction='{reduction}' instead.", UserWarning, stacklevel=3)
    if reduction not in allowed:
        raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction; expected one of "
                         f"{', '.join(repr(r) for r in allowed)}")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _tensor(x, name: str, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}")
    return x


def _float_tensor(x, name: str, op: str) -> Tensor:
    _tensor(x, name, op)
    if x._data.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point {name}, got {x._data.dtype} of shape "
                        f"{tuple(x.shape)}")
    return x


def _same_shape_or_warn(input, target, op) -> None:
    if tuple(input.shape) != tuple(target.shape):
        broadcast_shapes_checked(tuple(input.shape), tuple(target.shape), op)
        warnings.warn(f"{op}: using a target size {tuple(target.shape)} that is different to the "
                      f"input size {tuple(input.shape)}. This will likely lead to incorrect "
                      "results due to broadcasting. Please ensure they have the same size.",
                      UserWarning, stacklevel=3)


def _coef_tensor(g: Tensor, reduction: str, denom, ndim: int) -> Tensor:
    """The incoming gradient shaped to broadcast over ``(N, C, d...)`` (class axis 1)."""
    if reduction == "none":
        return g.unsqueeze(1)
    if reduction == "mean":
        g = g / denom
    return g.reshape((1,) * ndim)


def _coef_array(g: np.ndarray, reduction: str, denom, ndim: int) -> np.ndarray:
    if reduction == "none":
        return np.expand_dims(g, 1)
    if reduction == "mean":
        g = g / g.dtype.type(denom)
    return np.reshape(g, (1,) * ndim)


def _weight_view(w: np.ndarray, ndim: int) -> np.ndarray:
    """A ``(C,)`` class weight shaped ``(1, C, 1, ...)``."""
    return w.reshape((1, -1) + (1,) * (ndim - 2))


def _class_targets(input: Tensor, target: Tensor, weight, ignore_index: int, op: str):
    """Check ``input (N, C, d...)`` against class-index ``target (N, d...)`` and ``weight (C,)``."""
    shape, tshape = tuple(input.shape), tuple(target.shape)
    if target._data.dtype.kind not in "iu":
        raise TypeError(f"{op}: expected a target of class indices with an integer dtype (int64), "
                        f"got {target._data.dtype} of shape {tshape} for input of shape {shape}")
    expected = (shape[0],) + shape[2:]
    if tshape != expected:
        if tshape and tshape[0] != shape[0]:
            raise ValueError(f"{op}: expected input batch_size ({shape[0]}) to match target "
                             f"batch_size ({tshape[0]}) (input shape {shape}, target shape "
                             f"{tshape})")
        raise ValueError(f"{op}: expected target of shape {expected} for input of shape {shape}, "
                         f"got {tshape}")
    n_classes = shape[1]
    t = target._data
    bad = (t != ignore_index) & ((t < 0) | (t >= n_classes))
    if bad.any():
        value = int(t[bad].flat[0])
        raise IndexError(f"{op}: target {value} is out of bounds for {n_classes} classes (expected "
                         f"values in [0, {n_classes - 1}] or ignore_index={ignore_index})")
    _check_weight(weight, n_classes, op)


def _check_weight(weight, n_classes, op) -> None:
    if weight is None:
        return
    _tensor(weight, "weight", op)
    if tuple(weight.shape) != (n_classes,):
        raise RuntimeError(f"{op}: weight tensor should be defined either for all {n_classes} "
                           f"classes or no classes but got weight tensor of shape "
                           f"{tuple(weight.shape)}")


def _index_parts(t, w, ignore_index, dtype):
    """Valid-target mask, targets made safe to index with, and the per-element class weight."""
    valid = t != ignore_index
    safe = np.where(valid, t, 0) if not valid.all() else t
    if w is None:
        wt = valid.astype(dtype)
    else:
        wt = w.astype(dtype, copy=False)[safe]
        if not valid.all():
            wt = wt * valid
    return valid, safe, wt


# ------------------------------------------------------------------- cross entropy

def _reduce_weighted(loss: np.ndarray, reduction: str, denom, dtype) -> np.ndarray:
    """'none', 'sum', or the weighted mean ``sum(loss) / denom`` (nan when every weight is 0, as
    PyTorch's nll_loss and cross_entropy)."""
    if reduction == "none":
        return loss
    total = loss.sum(dtype=dtype)
    if reduction == "sum":
        return total
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(total / denom, dtype=dtype)

class CrossEntropy(ArrayFunction):
    """Fused log-softmax and negative log-likelihood over class axis 1 of ``(N, C, d...)``.

    Every variant is ``loss = -sum_c Q_c * log_softmax(x)_c`` per element, with ``Q`` the
    (weighted, smoothed) target distribution; so ``dloss/dx = softmax(x) * sum(Q) - Q``.
    """

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction, label_smoothing):
        ndim, n_classes = x.ndim, x.shape[1]
        eps = label_smoothing
        probs = target.dtype.kind == "f"
        shifted = x - x.max(axis=1, keepdims=True)
        p = np.exp(shifted)
        s = p.sum(axis=1, keepdims=True)
        lse = np.log(s)
        p /= s
        w_b = _weight_view(weight.astype(x.dtype, copy=False), ndim) if weight is not None else None
        ctx.reduction, ctx.probs, ctx.eps = reduction, probs, eps
        if probs:
            logp = shifted
            logp -= lse
            dt = x.dtype.type
            q = target if eps == 0 else target * dt(1 - eps) + dt(eps / n_classes)
            if w_b is not None:
                q = q * w_b
            loss = -(q * logp).sum(axis=1)
            ctx.denom = loss.size
            ctx.q, ctx.w_b = q, w_b
            ctx.save_for_backward(x, target, p, logp if ctx.needs_input_grad[1] else None)
        else:
            valid, safe, wt = _index_parts(target, weight, ignore_index, x.dtype)
            idx = np.expand_dims(safe, 1)
            picked = np.take_along_axis(shifted, idx, axis=1)[:, 0] - lse[:, 0]
            loss = -wt * picked
            if eps > 0:
                # smoothing term: -sum_c w_c * log p_c, masked where the target is ignored
                logp = shifted - lse
                smooth = -(logp * w_b).sum(axis=1) if w_b is not None else -logp.sum(axis=1)
                loss = loss * x.dtype.type(1 - eps) + smooth * valid * x.dtype.type(eps / n_classes)
            ctx.denom = wt.sum()
            ctx.index = (idx, valid, wt, w_b)
            ctx.save_for_backward(x, p)
        return _reduce_weighted(loss, reduction, ctx.denom, x.dtype)

    @staticmethod
    def _q_arrays(ctx, dtype):
        """Full ``Q`` and ``sum_c Q`` (index targets with smoothing)."""
        idx, valid, wt, w_b = ctx.index
        eps, n = ctx.eps, ctx.p_shape[1]
        base = (w_b if w_b is not None else np.ones((1, n) + (1,) * (len(ctx.p_shape) - 2), dtype))
        q = base * np.expand_dims(valid, 1).astype(dtype) * dtype.type(eps / n)
        q = np.array(np.broadcast_to(q, ctx.p_shape))
        np.put_along_axis(q, idx, np.take_along_axis(q, idx, axis=1)
                          + np.expand_dims(wt, 1) * dtype.type(1 - eps), axis=1)
        return q, q.sum(axis=1, keepdims=True)

    @staticmethod
    def backward(ctx, g):
        if ctx.probs:
            x, target, _, _ = ctx.saved_tensors
        else:
            x, _ = ctx.saved_tensors
        need_x, need_t = ctx.needs_input_grad[:2]
        dtype = x._data.dtype
        ctx.p_shape = x._data.shape
        coef = _coef_tensor(g, ctx.reduction, ctx.denom, x.ndim)
        grad_x = grad_t = None
        if ctx.probs:
            q = target if ctx.eps == 0 else target * (1 - ctx.eps) + ctx.eps / x.shape[1]
            if ctx.w_b is not None:
                q = q * Tensor._make(ctx.w_b)
            if need_x:
                grad_x = coef * (Softmax.apply(x, 1) * q.sum(1, keepdim=True) - q)
            if need_t:
                logp = LogSoftmax.apply(x, 1)
                if ctx.w_b is not None:
                    logp = logp * Tensor._make(ctx.w_b)
                grad_t = coef * logp * -(1 - ctx.eps)
        elif need_x:
            q, sum_q = CrossEntropy._q_arrays(ctx, dtype)
            grad_x = coef * (Softmax.apply(x, 1) * Tensor._make(sum_q) - Tensor._make(q))
        return grad_x, grad_t, None, None, None, None

    @staticmethod
    def backward_arrays(ctx, g):
        need_x, need_t = ctx.needs_input_grad[:2]
        if ctx.probs:
            _, _, p, logp = ctx.saved_arrays
        else:
            _, p = ctx.saved_arrays
        dtype = p.dtype
        coef = _coef_array(np.asarray(g, dtype=dtype), ctx.reduction, ctx.denom, p.ndim)
        grad_x = grad_t = None
        if ctx.probs:
            q = ctx.q
            if need_x:
                grad_x = (p * q.sum(axis=1, keepdims=True) - q) * coef
            if need_t:
                wl = logp * ctx.w_b if ctx.w_b is not None else logp
                grad_t = wl * coef * dtype.type(-(1 - ctx.eps))
            return grad_x, grad_t, None, None, None, None
        if not need_x:
            return None, None, None, None, None, None
        idx, valid, wt, w_b = ctx.index
        if ctx.eps == 0:
            scale = np.expand_dims(wt, 1) * coef  # (N, 1, d...)
            grad_x = p * scale
            np.put_along_axis(grad_x, idx, np.take_along_axis(grad_x, idx, axis=1) - scale, axis=1)
            return grad_x, None, None, None, None, None
        ctx.p_shape = p.shape
        q, sum_q = CrossEntropy._q_arrays(ctx, dtype)
        return (p * sum_q - q) * coef, None, None, None, None, None


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between logits and targets (log-softmax + negative log-likelihood, fused).

    Shapes: input ``(N, C)``, ``(N, C, d1, ...)`` or ``(C,)``; target either class indices (int64)
    of shape ``(N,)``/``(N, d1, ...)``/``()`` (with ``weight``, ``ignore_index``,
    ``label_smoothing``), or class probabilities of the input's shape. 'mean' with class indices
    divides by the summed weight of the non-ignored targets, as PyTorch does.
    """
    op = "cross_entropy"
    reduction = _reduction(reduction, size_average, reduce, op)
    _float_tensor(input, "input", op)
    _tensor(target, "target", op)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"{op}: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    if input.ndim == 0:
        raise ValueError(f"{op}: expected input of shape (N, C), (N, C, d1, ...) or (C,), got a "
                         "scalar")
    unbatched = input.ndim == 1
    if unbatched:
        input = input.unsqueeze(0)
        target = target.unsqueeze(0)
    if target._data.dtype.kind == "f":
        if tuple(target.shape) != tuple(input.shape):
            if tuple(target.shape) == (input.shape[0],) + tuple(input.shape[2:]):
                raise TypeError(
                    f"{op}: target of shape {tuple(target.shape)} looks like class indices but "
                    f"has dtype {target._data.dtype}; class indices must be int64 (class "
                    f"probabilities need the input's shape {tuple(input.shape)})")
            raise ValueError(f"{op}: class-probability target of shape {tuple(target.shape)} must "
                             f"have the input's shape {tuple(input.shape)}")
        if target._data.dtype != input._data.dtype:
            target = target.to(input.dtype)
        _check_weight(weight, input.shape[1], op)
    elif target._data.dtype.kind in "iu" and tuple(target.shape) == tuple(input.shape):
        raise TypeError(f"{op}: expected floating point type for target with class probabilities, "
                        f"got {target._data.dtype}")
    else:
        _class_targets(input, target, weight, ignore_index, op)
    out = CrossEntropy.apply(input, target, weight, int(ignore_index), reduction,
                             float(label_smoothing))
    return out.squeeze(0) if unbatched and reduction == "none" else out


# ------------------------------------------------------------------- nll
class NllLoss(ArrayFunction):
    """``-weight[y] * input[n, y, d...]`` over class axis 1, reduced as PyTorch's nll_loss."""

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction):
        valid, safe, wt = _index_parts(target, weight, ignore_index, x.dtype)
        idx = np.expand_dims(safe, 1)
        loss = -wt * np.take_along_axis(x, idx, axis=1)[:, 0]
        ctx.reduction, ctx.denom, ctx.x_shape = reduction, wt.sum(), x.shape
        ctx.idx, ctx.wt = idx, wt
        return _reduce_weighted(loss, reduction, ctx.denom, x.dtype)

    @staticmethod
    def _neg_q(ctx, dtype):
        q = np.zeros(ctx.x_shape, dtype=dtype)
        np.put_along_axis(q, ctx.idx, -np.expand_dims(ctx.wt, 1), axis=1)
        return q

    @staticmethod
    def backward(ctx, g):
        coef = _coef_tensor(g, ctx.reduction, ctx.denom, len(ctx.x_shape))
        return coef * Tensor._make(NllLoss._neg_q(ctx, g._data.dtype)), None, None, None, None

    @staticmethod
    def backward_arrays(ctx, g):
        coef = _coef_array(np.asarray(g), ctx.reduction, ctx.denom, len(ctx.x_shape))
        return NllLoss._neg_q(ctx, coef.dtype) * coef, None, None, None, None


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``input (N, C, d...)`` or ``(C,)`` at class
    indices ``target (N, d...)`` or ``()``; 'mean' divides by the summed weight of the counted
    targets."""
    op = "nll_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    _float_tensor(input, "input", op)
    _tensor(target, "target", op)
    if input.ndim == 0:
        raise ValueError(f"{op}: expected input of shape (N, C), (N, C, d1, ...) or (C,), got a "
                         "scalar")
    unbatched = input.ndim == 1
    if unbatched:
        input, target = input.unsqueeze(0), target.unsqueeze(0)
    _class_targets(input, target, weight, ignore_index, op)
    out = NllLoss.apply(input, target, weight, int(ignore_index), reduction)
    return out.squeeze(0) if unbatched and reduction == "none" else out


# ------------------------------------------------------------------- regression
def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight=None) -> Tensor:
    """Mean squared error ``(input - target)^2``; shapes should match (they broadcast, with a
    warning, as in PyTorch)."""
    op = "mse_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    _same_shape_or_warn(_tensor(input, "input", op), _tensor(target, "target", op), op)
    loss = (input - target) ** 2
    return _reduce(loss * weight if weight is not None else loss, reduction)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight=None) -> Tensor:
    """Mean absolute error ``|input - target|``."""
    op = "l1_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    _same_shape_or_warn(_tensor(input, "input", op), _tensor(target, "target", op), op)
    loss = (input - target).abs()
    return _reduce(loss * weight if weight is not None else loss, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``d = input - target``);
    ``beta = 0`` is the L1 loss."""
    from .selection import where

    op = "smooth_l1_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    _same_shape_or_warn(_tensor(input, "input", op), _tensor(target, "target", op), op)
    if beta < 0:
        raise ValueError(f"{op}: beta must be non-negative, got {beta}")
    d = input - target
    ad = d.abs()
    if beta == 0:
        return _reduce(ad, reduction)
    loss = where(ad < beta, d * d * (0.5 / beta), ad - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight=None) -> Tensor:
    """``0.5 d^2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``."""
    from .selection import where

    op = "huber_loss"
    reduction = _reduction(reduction, None, None, op)
    _same_shape_or_warn(_tensor(input, "input", op), _tensor(target, "target", op), op)
    if delta <= 0:
        raise ValueError(f"{op}: delta must be positive, got {delta}")
    d = input - target
    ad = d.abs()
    loss = where(ad < delta, d * d * 0.5, (ad - 0.5 * delta) * delta)
    return _reduce(loss * weight if weight is not None else loss, reduction)


# ------------------------------------------------------------------- binary
_BCE_EPS = 1e-12  # PyTorch's floor on x (1 - x) in the gradient


class BinaryCrossEntropy(ArrayFunction):
    """Elementwise ``-(t log x + (1 - t) log(1 - x))`` with both logs floored at -100."""

    @staticmethod
    def forward(ctx, x, t):
        ctx.save_for_backward(x, t)
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), -100)
            log_1mx = np.maximum(np.log1p(-x), -100)
        return (t - 1) * log_1mx - t * log_x

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        need_x, need_t = ctx.needs_input_grad
        grad_x = grad_t = None
        if need_x:
            grad_x = g * (x - t) / ((1 - x) * x).clamp_min(_BCE_EPS)
        if need_t:
            grad_t = g * ((-x).log1p().clamp_min(-100) - x.log().clamp_min(-100))
        return grad_x, grad_t

    @staticmethod
    def backward_arrays(ctx, g):
        x, t = ctx.saved_arrays
        need_x, need_t = ctx.needs_input_grad
        grad_x = grad_t = None
        if need_x:
            grad_x = g * (x - t) / np.maximum((1 - x) * x, x.dtype.type(_BCE_EPS))
        if need_t:
            with np.errstate(divide="ignore"):
                grad_t = g * (np.maximum(np.log1p(-x), -100) - np.maximum(np.log(x), -100))
        return grad_x, grad_t


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``-w (t log x + (1 - t) log(1 - x))`` for probabilities ``x`` in [0, 1]; each log is floored
    at -100 as in PyTorch. input and target have the same shape; weight broadcasts."""
    op = "binary_cross_entropy"
    reduction = _reduction(reduction, size_average, reduce, op)
    _float_tensor(input, "input", op)
    _float_tensor(target, "target", op)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"{op}: using a target size {tuple(target.shape)} that is different to "
                         f"the input size {tuple(input.shape)} is not supported; please ensure "
                         "they have the same size")
    x = input._data
    if x.size and not ((x >= 0) & (x <= 1)).all():
        raise RuntimeError(f"{op}: all elements of input should be between 0 and 1 (got values in "
                           f"[{float(np.nanmin(x))}, {float(np.nanmax(x))}]); use "
                           "binary_cross_entropy_with_logits for logits")
    if target._data.dtype != input._data.dtype:
        target = target.to(input.dtype)
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        broadcast_shapes_checked(tuple(weight.shape), tuple(input.shape), op)
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """``-w [p t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))]`` computed from logits ``x`` without
    overflow; ``pos_weight`` (``p``, broadcast over the last dimension) weighs positive targets."""
    op = "binary_cross_entropy_with_logits"
    reduction = _reduction(reduction, size_average, reduce, op)
    _float_tensor(input, "input", op)
    _tensor(target, "target", op)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"{op}: target size {tuple(target.shape)} must be the same as input size "
                         f"{tuple(input.shape)}")
    if target._data.dtype != input._data.dtype:
        target = target.to(input.dtype)
    log_sig = LogSigmoid.apply(input)
    if pos_weight is not None:
        broadcast_shapes_checked(tuple(pos_weight.shape), tuple(input.shape), op)
        loss = (1 - target) * input - (target * (pos_weight - 1) + 1) * log_sig
    else:
        loss = (1 - target) * input - log_sig
    if weight is not None:
        broadcast_shapes_checked(tuple(weight.shape), tuple(input.shape), op)
        loss = loss * weight
    return _reduce(loss, reduction)


# ------------------------------------------------------------------- margins
class MultiMargin(ArrayFunction):
    """Per sample: ``sum_{j != y} w[y] max(0, margin - x[y] + x[j])^p / C`` for ``x (N, C)``."""

    @staticmethod
    def forward(ctx, x, target, p, margin, weight):
        n_classes = x.shape[1]
        idx = target[:, None]
        z = x - np.take_along_axis(x, idx, axis=1) + x.dtype.type(margin)
        mask = z > 0
        np.put_along_axis(mask, idx, False, axis=1)
        scale = np.full((x.shape[0], 1), 1.0 / n_classes, dtype=x.dtype)
        if weight is not None:
            scale = scale * weight.astype(x.dtype, copy=False)[target][:, None]
        ctx.p, ctx.margin, ctx.idx = p, margin, idx
        ctx.save_for_backward(x)
        ctx.masked_scale = mask * scale  # (N, C): the factor of each hinge term
        h = z if p == 1 else z * z
        return (h * ctx.masked_scale).sum(axis=1)

    @staticmethod
    def _onehot(ctx, x_shape, dtype):
        o = np.zeros(x_shape, dtype=dtype)
        np.put_along_axis(o, ctx.idx, 1, axis=1)
        return o

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        onehot = MultiMargin._onehot(ctx, x._data.shape, x._data.dtype)
        ms = Tensor._make(ctx.masked_scale)
        if ctx.p == 1:
            dh = ms
        else:
            x_y = (x * Tensor._make(onehot)).sum(1, keepdim=True)
            dh = (x - x_y + ctx.margin) * ms * 2
        grad = dh - Tensor._make(onehot) * dh.sum(1, keepdim=True)
        return g.unsqueeze(1) * grad, None, None, None, None

    @staticmethod
    def backward_arrays(ctx, g):
        (x,) = ctx.saved_arrays
        dh = ctx.masked_scale
        if ctx.p != 1:
            z = x - np.take_along_axis(x, ctx.idx, axis=1) + x.dtype.type(ctx.margin)
            dh = z * dh * 2
        grad = np.array(dh, copy=True)
        np.put_along_axis(grad, ctx.idx, -dh.sum(axis=1, keepdims=True), axis=1)
        return g[:, None] * grad, None, None, None, None


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss: per sample ``sum_{j != y} max(0, margin - x[y] + x[j])^p / C``
    (times ``weight[y]``). Shapes: input ``(N, C)`` or ``(C,)``, target ``(N,)`` or ``()``."""
    op = "multi_margin_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    _float_tensor(input, "input", op)
    _tensor(target, "target", op)
    if p not in (1, 2):
        raise ValueError(f"{op}: only p == 1 and p == 2 supported, got p={p}")
    if input.ndim not in (1, 2) or (input.ndim == 2 and input.shape[1] == 0):
        raise ValueError(f"{op}: expected input of shape (N, C) or (C,) with C > 0, got "
                         f"{tuple(input.shape)}")
    unbatched = input.ndim == 1
    if unbatched:
        input, target = input.unsqueeze(0), target.reshape(1)
    _class_targets(input, target, weight, -(2 ** 62), op)
    loss = MultiMargin.apply(input, target._data, p, float(margin),
                             weight._data if weight is not None else None)
    if unbatched:
        loss = loss.squeeze(0)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``max(0, -y (x1 - x2) + margin)`` with ``y`` in {1, -1}; all three have the same shape."""
    op = "margin_ranking_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    for name, t in (("input1", input1), ("input2", input2), ("target", target)):
        _tensor(t, name, op)
    if not (input1.ndim == input2.ndim == target.ndim):
        raise RuntimeError(f"{op}: all input tensors should have the same dimension but got sizes "
                           f"input1 {tuple(input1.shape)}, input2 {tuple(input2.shape)}, target "
                           f"{tuple(target.shape)}")
    loss = (-target * (input1 - input2) + margin).clamp_min(0)
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` where ``y == 1``, ``max(0, cos(x1, x2) - margin)`` where ``y == -1``.
    Shapes: inputs ``(N, D)`` with target ``(N,)``, or ``(D,)`` with a scalar target."""
    from .selection import where

    op = "cosine_embedding_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    for name, t in (("input1", input1), ("input2", input2), ("target", target)):
        _tensor(t, name, op)
    if tuple(input1.shape) != tuple(input2.shape) or input1.ndim not in (1, 2):
        raise RuntimeError(f"{op}: expected input1 and input2 of the same shape (N, D) or (D,), "
                           f"got {tuple(input1.shape)} and {tuple(input2.shape)}")
    if tuple(target.shape) != tuple(input1.shape[:-1]):
        raise RuntimeError(f"{op}: expected target of shape {tuple(input1.shape[:-1])} for inputs "
                           f"of shape {tuple(input1.shape)}, got {tuple(target.shape)}")
    dim = input1.ndim - 1
    eps = 1e-12
    prod = (input1 * input2).sum(dim)
    mag = ((input1 * input1).sum(dim) + eps) * ((input2 * input2).sum(dim) + eps)
    cos = prod / mag.sqrt()
    zero = cos * 0
    loss = (where(target == 1, 1 - cos, zero)
            + where(target == -1, (cos - margin).clamp_min(0), zero))
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """``max(0, d(a, p) - d(a, n) + margin)`` with ``d`` the ``pairwise_distance``; ``swap`` uses
    ``min(d(a, n), d(p, n))``. Shapes: ``(N, D)`` or ``(D,)`` each."""
    from .selection import minimum

    op = "triplet_margin_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    for name, t in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        _tensor(t, name, op)
    if not (anchor.ndim == positive.ndim == negative.ndim):
        raise RuntimeError(f"{op}: the anchor, positive, and negative tensors are expected to have "
                           f"the same number of dimensions, but got anchor {tuple(anchor.shape)}, "
                           f"positive {tuple(positive.shape)} and negative {tuple(negative.shape)}")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce((d_pos - d_neg + margin).clamp_min(0), reduction)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence with log-probabilities ``input``: ``t (log t - input)`` (0 where
    ``t == 0``), or ``exp(t) (t - input)`` with ``log_target``. 'batchmean' divides by the batch
    size (the mathematically correct mean); 'mean' by the number of elements."""
    from .selection import where

    op = "kl_div"
    reduction = _reduction(reduction, size_average, reduce, op,
                           allowed=("none", "mean", "sum", "batchmean"))
    _float_tensor(input, "input", op)
    _float_tensor(target, "target", op)
    if tuple(input.shape) != tuple(target.shape):
        broadcast_shapes_checked(tuple(input.shape), tuple(target.shape), op)
    if reduction == "mean":
        warnings.warn("kl_div: reduction 'mean' divides the total loss by both the batch size and "
                      "the support size. 'batchmean' divides only by the batch size, and aligns "
                      "with the KL div math definition.", UserWarning, stacklevel=2)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        positive = target > 0
        safe = where(positive, target, 1.0)
        loss = where(positive, target * safe.log(), 0.0) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim else total
    return _reduce(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """Poisson negative log-likelihood: ``exp(x) - t x`` (``log_input``) or ``x - t log(x + eps)``;
    ``full`` adds Stirling's term ``t log t - t + 0.5 log(2 pi t)`` where ``t > 1``."""
    from .selection import where

    op = "poisson_nll_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        big = target > 1
        t = where(big, target, 2.0)
        stirling = t * t.log() - t + (t * (2 * np.pi)).log() * 0.5
        loss = loss + where(big, stirling, 0.0)
    return _reduce(loss, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """``log(1 + exp(-y x))`` with ``y`` in {1, -1}."""
    reduction = _reduction(reduction, size_average, reduce, "soft_margin_loss")
    return _reduce(-LogSigmoid.apply(input * target), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """``x`` where ``y == 1``, ``max(0, margin - x)`` where ``y == -1``."""
    from .selection import where

    reduction = _reduction(reduction, size_average, reduce, "hinge_embedding_loss")
    zero = input * 0
    loss = (where(target == 1, input, zero)
            + where(target == -1, (margin - input).clamp_min(0), zero))
    return _reduce(loss, reduction)


# torch's top-level loss functions take an integer reduction: these stay in nn.functional only
__all__: list = []
