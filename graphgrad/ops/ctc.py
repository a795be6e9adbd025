"""Connectionist temporal classification loss (Graves et al. 2006): ``F.ctc_loss``.

The forward (alpha) and backward (beta) recursions run in log space over the extended label
sequence ``blank, l1, blank, l2, ..., blank``, vectorised over the batch and the label positions;
only time is a Python loop. The gradient is the exact derivative with respect to ``log_probs``:
``-exp(log(sum over s with label c of alpha_t(s) beta_t(s)) + nll - log_probs[t, c])``.

PyTorch's kernel returns that plus ``exp(log_probs)``, the gradient with respect to the logits
when ``log_probs = log_softmax(logits)``; after ``log_softmax``'s backward both give the same
gradient on the logits (the extra term sums to one over classes and is removed there), so for
the usual use (``log_softmax`` output in) the gradients reaching the network are PyTorch's.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor
from .loss import _reduction

_OP = "ctc_loss"


def _logsumexp3(a, b, c):
    with np.errstate(invalid="ignore"):
        return np.logaddexp(np.logaddexp(a, b), c)


def _shift(x: np.ndarray, k: int) -> np.ndarray:
    """``x`` moved ``k`` places along the last axis (right for k > 0, left for k < 0), -inf in."""
    out = np.full_like(x, -np.inf)
    if k > 0:
        out[..., k:] = x[..., :-k]
    else:
        out[..., :k] = x[..., -k:]
    return out


def _extended_labels(targets: np.ndarray, target_lengths: np.ndarray, blank: int):
    """``(N, 2 S + 1)`` labels with blanks around and between the targets (blank-padded), and
    where a state may be entered from two states back (a label differing from the one before)."""
    n, s = targets.shape
    ext = np.full((n, 2 * s + 1), blank, dtype=np.int64)
    ext[:, 1::2] = np.where(np.arange(s)[None, :] < target_lengths[:, None], targets, blank)
    skip = np.zeros(ext.shape, dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    return ext, skip


def _alpha(emit: np.ndarray, skip: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Log forward variables ``(T, N, L)``: probability of the prefix up to state s at time t."""
    t_max = emit.shape[0]
    alpha = np.full(emit.shape, -np.inf, dtype=emit.dtype)
    alpha[0, :, 0] = emit[0, :, 0]
    alpha[0, :, 1] = np.where(lengths > 1, emit[0, :, 1], -np.inf)
    skip_in = np.where(skip, 0.0, -np.inf).astype(emit.dtype)
    for t in range(1, t_max):
        prev = alpha[t - 1]
        alpha[t] = _logsumexp3(prev, _shift(prev, 1), _shift(prev, 2) + skip_in) + emit[t]
    return alpha


def _beta(emit: np.ndarray, skip: np.ndarray, lengths: np.ndarray,
          input_lengths: np.ndarray) -> np.ndarray:
    """Log backward variables ``(T, N, L)`` (emission at t included, as in alpha)."""
    t_max, n, width = emit.shape
    states = np.arange(width)[None, :]
    is_end = (states == lengths[:, None] - 1) | (states == lengths[:, None] - 2)
    skip_out = np.where(_shift(skip.astype(np.float64), -2) > 0, 0.0, -np.inf).astype(emit.dtype)
    beta = np.full(emit.shape, -np.inf, dtype=emit.dtype)
    for t in range(t_max - 1, -1, -1):
        last = (input_lengths - 1 == t)[:, None]
        inside = (input_lengths - 1 > t)[:, None]
        if t + 1 < t_max:
            nxt = beta[t + 1]
            rec = _logsumexp3(nxt, _shift(nxt, -1), _shift(nxt, -2) + skip_out) + emit[t]
        else:
            rec = np.full((n, width), -np.inf, dtype=emit.dtype)
        beta[t] = np.where(last & is_end, emit[t], np.where(inside, rec, -np.inf))
    return beta


class CtcLoss(ArrayFunction):
    """Per-sample negative log-likelihood ``(N,)`` of the targets under all alignments."""

    @staticmethod
    def forward(ctx, log_probs, ext, skip, lengths, input_lengths, zero_infinity):
        n = log_probs.shape[1]
        emit = log_probs[:, np.arange(n)[:, None], ext]  # (T, N, L)
        alpha = _alpha(emit, skip, lengths)
        last = alpha[input_lengths - 1, np.arange(n)]  # (N, L)
        end = np.take_along_axis(last, (lengths - 1)[:, None], 1)[:, 0]
        before = np.where(lengths > 1, np.take_along_axis(
            last, np.maximum(lengths - 2, 0)[:, None], 1)[:, 0], -np.inf)
        with np.errstate(invalid="ignore"):
            nll = -np.logaddexp(end, before)
        # samples no alignment fits: with zero_infinity their loss and gradient are 0
        dropped = ~np.isfinite(nll) if zero_infinity else np.zeros(n, dtype=bool)
        ctx.save_for_backward(log_probs)
        ctx.parts = (emit, alpha, nll, ext, skip, lengths, input_lengths, dropped)
        return np.where(dropped, 0.0, nll).astype(log_probs.dtype)

    @staticmethod
    def backward(ctx, g):
        (log_probs,) = ctx.saved_tensors
        return (CtcLossGrad.apply(log_probs, ctx.parts) * g.reshape(1, -1, 1),
                None, None, None, None, None)

    @staticmethod
    def backward_arrays(ctx, g):
        (log_probs,) = ctx.saved_arrays
        return (_ctc_grad(log_probs, ctx.parts) * g.reshape(1, -1, 1),
                None, None, None, None, None)


def _ctc_grad(log_probs: np.ndarray, parts) -> np.ndarray:
    """d nll_n / d log_probs[t, n, c], ``(T, N, C)``."""
    emit, alpha, nll, ext, skip, lengths, input_lengths, dropped = parts
    beta = _beta(emit, skip, lengths, input_lengths)
    both = alpha + beta  # the emission at t is counted twice; the `- log_probs` below removes one
    top = both.max(axis=2, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    one_hot = (ext[:, :, None] == np.arange(log_probs.shape[2])[None, None, :])
    summed = np.einsum("tnl,nlc->tnc", np.exp(both - top), one_hot.astype(log_probs.dtype))
    with np.errstate(divide="ignore", invalid="ignore"):
        log_summed = np.log(summed) + top
        grad = -np.exp(log_summed + nll[None, :, None] - log_probs)
    grad[:, dropped] = 0.0
    return grad


class CtcLossGrad(ArrayFunction):
    """The gradient of ``CtcLoss`` as an op, so that ``create_graph`` works to first order."""

    @staticmethod
    def forward(ctx, log_probs, parts):
        return _ctc_grad(log_probs, parts)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("ctc_loss: double backward is not supported (nor is it in PyTorch)")


def _lengths(value, n: int, name: str) -> np.ndarray:
    array = np.asarray(value._data if isinstance(value, Tensor) else value).reshape(-1)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{_OP}: {name} must hold integers, got {array.dtype}")
    if array.shape != (n,):
        raise RuntimeError(f"{_OP}: Expected {name} to have {n} entries (one per batch element), "
                           f"but got {array.shape[0]}")
    return array.astype(np.int64)


def ctc_loss(log_probs: Tensor, targets, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """CTC loss of ``log_probs`` ``(T, N, C)`` (log-softmax output; unbatched ``(T, C)``) against
    ``targets``: ``(N, S)`` padded or 1-D concatenated (``sum(target_lengths)``), class indices
    other than ``blank``. ``input_lengths`` and ``target_lengths`` ``(N,)`` (tensors, lists or
    tuples). ``reduction='mean'`` divides each loss by its target length and averages over the
    batch; ``zero_infinity`` zeroes infinite losses (inputs too short to align) and their
    gradients. See the module docstring for the gradient."""
    reduction = _reduction(reduction, None, None, _OP)
    if not isinstance(log_probs, Tensor) or log_probs._data.dtype.kind != "f":
        raise TypeError(f"{_OP}: log_probs must be a floating-point Tensor")
    unbatched = log_probs.ndim == 2
    if log_probs.ndim not in (2, 3):
        raise RuntimeError(f"{_OP}: log_probs must be (T, N, C) or (T, C), got "
                           f"{tuple(log_probs.shape)}")
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    t_max, n, c = lp.shape
    tgt = np.asarray(targets._data if isinstance(targets, Tensor) else targets)
    if unbatched:
        tgt = tgt.reshape(1, -1)
    in_len = _lengths(input_lengths, n, "input_lengths")
    tgt_len = _lengths(target_lengths, n, "target_lengths")
    if (in_len > t_max).any() or (in_len < 1).any():
        raise RuntimeError(f"{_OP}: Expected input_lengths to have values in [1, {t_max}], but "
                           f"got {in_len.tolist()}")
    if (tgt_len < 0).any():
        raise RuntimeError(f"{_OP}: target_lengths must be >= 0, got {tgt_len.tolist()}")
    if tgt.ndim == 1:  # concatenated targets: cut into a padded (N, S) array
        if tgt.shape[0] != tgt_len.sum():
            raise RuntimeError(f"{_OP}: 1-D targets hold {tgt.shape[0]} labels but target_lengths "
                               f"sum to {tgt_len.sum()}")
        padded = np.full((n, max(int(tgt_len.max(initial=0)), 1)), blank, dtype=np.int64)
        mask = np.arange(padded.shape[1])[None, :] < tgt_len[:, None]
        padded[mask] = tgt
        tgt = padded
    elif tgt.ndim == 2:
        if tgt.shape[0] != n or tgt.shape[1] < tgt_len.max(initial=0):
            raise RuntimeError(f"{_OP}: targets of shape {tgt.shape} do not hold "
                               f"{n} rows of at least {tgt_len.max(initial=0)} labels")
    else:
        raise RuntimeError(f"{_OP}: targets must be (N, S) or 1-D, got shape {tgt.shape}")
    if not 0 <= blank < c:
        raise RuntimeError(f"{_OP}: blank must be in [0, {c - 1}], got {blank}")
    used = np.arange(tgt.shape[1])[None, :] < tgt_len[:, None]
    if ((tgt < 0) | (tgt >= c))[used].any():
        raise IndexError(f"{_OP}: target labels must be in [0, {c - 1}]")
    ext, skip = _extended_labels(tgt.astype(np.int64), tgt_len, blank)
    nll = CtcLoss.apply(lp, ext, skip, 2 * tgt_len + 1, in_len, bool(zero_infinity))
    if unbatched:
        nll = nll.squeeze(0)
    if reduction == "mean":
        denom = np.maximum(tgt_len, 1).astype(nll._data.dtype)
        return (nll / Tensor._make(denom.reshape(nll.shape))).mean()
    return nll.sum() if reduction == "sum" else nll


__all__: list = []  # nn.functional only
