"""Scaled dot-product attention (``F.scaled_dot_product_attention``): one fused op over batched
matrix products, so that every head and batch element runs in the same product.

``attend`` is the one core that both ``scaled_dot_product_attention`` and multi-head attention
(``ops/multihead_attention.py``) use.
"""
from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor
from .activation import softmax
from ._util import sum_to, sum_to_array


def _check_qkv(query, key, value, op: str) -> None:
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected {name} to be a Tensor, got {type(t).__name__}")
        if t.ndim < 2:
            raise RuntimeError(f"{op}: expected {name} to have at least 2 dimensions (..., seq, "
                               f"features), got shape {tuple(t.shape)}")
        if t._data.dtype.kind != "f":
            raise TypeError(f"{op}: expected floating-point {name}, got {t._data.dtype}")
    if not query._data.dtype == key._data.dtype == value._data.dtype:
        raise RuntimeError(f"{op}: expected query, key and value to have the same dtype, but got "
                           f"query.dtype: {query._data.dtype}, key.dtype: {key._data.dtype} and "
                           f"value.dtype: {value._data.dtype} instead.")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"{op}: query and key must have the same embedding size, got query "
                           f"{tuple(query.shape)} and key {tuple(key.shape)}")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"{op}: key and value must have the same sequence length, got key "
                           f"{tuple(key.shape)} and value {tuple(value.shape)}")


def _repeat_kv_heads(t: Tensor, groups: int) -> Tensor:
    """``(N, Hkv, S, E)`` to ``(N, Hkv * groups, S, E)``, head ``h`` holding kv head ``h // groups``
    (PyTorch's ``repeat_interleave`` along dim -3), as one broadcast view and one copy."""
    shape = tuple(t.shape)
    expanded = t.unsqueeze(-3).expand(shape[:-2] + (groups,) + shape[-2:])
    return expanded.reshape(shape[:-3] + (shape[-3] * groups,) + shape[-2:])


def attention_weights(query: Tensor, key: Tensor, bool_mask=None, float_mask=None,
                      scale: float = 1.0, safe: bool = True) -> Tensor:
    """``softmax(query @ key^T * scale + mask)`` from differentiable ops (the fused op's backward
    recomputes the weights with it, so that its own backward gives exact second derivatives)."""
    scores = (query * scale) @ key.transpose(-2, -1)
    if float_mask is not None:
        scores = scores + float_mask
    if bool_mask is not None:
        scores = scores.masked_fill(~bool_mask, float("-inf"))
    dead = None
    if safe and (bool_mask is not None or float_mask is not None):
        row_max = scores._data.max(axis=-1, keepdims=True)
        if np.isneginf(row_max).any():
            dead = np.isneginf(row_max)
            scores = scores.masked_fill(dead, 0.0)
    weights = softmax(scores, -1)
    return weights.masked_fill(dead, 0.0) if dead is not None else weights


class ScaledDotProductAttention(ArrayFunction):
    """``(softmax(q @ k^T * scale + mask) * keep) @ v`` in one node, returning the output and the
    (dropped-out) weights. The forward works in place on the one ``(..., L, S)`` scores array
    (mask, softmax, dropout); the first-order backward runs on arrays; the recorded backward
    recomputes the weights with ``attention_weights`` so that it is itself differentiable."""

    @staticmethod
    def forward(ctx, q, k, v, float_mask, bool_mask, scale, safe, dropout_p):
        ctx.set_materialize_grads(False)
        dt = q.dtype.type
        p = np.matmul(q, np.swapaxes(k, -1, -2))
        p *= dt(scale)
        if float_mask is not None:
            p += float_mask
        if bool_mask is not None:
            np.copyto(p, dt(-np.inf), where=~bool_mask)
        top = p.max(axis=-1, keepdims=True)
        dead = np.isneginf(top) if safe else None
        if dead is not None and dead.any():  # rows that may attend to nothing give 0
            top[dead] = 0
        else:
            dead = None
        with np.errstate(invalid="ignore"):  # unsafe rows of only -inf become NaN, as PyTorch's
            p -= top
        np.exp(p, out=p)
        total = p.sum(axis=-1, keepdims=True)
        if dead is not None:
            total[dead] = 1
        p /= total
        keep = None
        if dropout_p > 0:
            keep = (backend.rng().random(p.shape, dtype=np.float32 if p.dtype == np.float32
                                         else np.float64) >= dropout_p).astype(p.dtype)
            keep *= dt(1.0 / (1.0 - dropout_p)) if dropout_p < 1 else dt(0)
        weights = p if keep is None else p * keep
        ctx.keep, ctx.options = keep, (scale, safe, bool_mask)
        ctx.mask_shape = None if float_mask is None else float_mask.shape
        ctx.save_for_backward(q, k, v, float_mask, p)
        return np.matmul(weights, v), weights

    @staticmethod
    def backward(ctx, g_out, g_weights):
        q, k, v, float_mask, _ = ctx.saved_tensors
        scale, safe, bool_mask = ctx.options
        p = attention_weights(q, k, bool_mask, float_mask, scale, safe)
        keep = None if ctx.keep is None else Tensor._make(ctx.keep)
        weights = p if keep is None else p * keep
        need_q, need_k, need_v, need_mask = ctx.needs_input_grad[:4]
        grad_v = weights.transpose(-2, -1) @ g_out if need_v and g_out is not None else None
        d_weights = g_out @ v.transpose(-2, -1) if g_out is not None else None
        if g_weights is not None:
            d_weights = g_weights if d_weights is None else d_weights + g_weights
        if d_weights is None:
            return None, None, grad_v, None, None, None, None, None
        d_p = d_weights if keep is None else d_weights * keep
        d_scores = p * (d_p - (d_p * p).sum(-1, keepdim=True))
        grad_mask = sum_to(d_scores, ctx.mask_shape) if need_mask else None
        grad_q = (d_scores @ k) * scale if need_q else None
        grad_k = (d_scores.transpose(-2, -1) @ q) * scale if need_k else None
        return grad_q, grad_k, grad_v, grad_mask, None, None, None, None

    @staticmethod
    def backward_arrays(ctx, g_out, g_weights):
        q, k, v, _, p = ctx.saved_arrays
        scale = ctx.options[0]
        keep = ctx.keep
        need_q, need_k, need_v, need_mask = ctx.needs_input_grad[:4]
        grad_v = d_weights = None
        if g_out is not None:
            weights = p if keep is None else p * keep
            grad_v = np.matmul(np.swapaxes(weights, -1, -2), g_out) if need_v else None
            d_weights = np.matmul(g_out, np.swapaxes(v, -1, -2))
        if g_weights is not None:
            d_weights = g_weights if d_weights is None else d_weights + g_weights
        if d_weights is None:
            return None, None, grad_v, None, None, None, None, None
        d_scores = d_weights if keep is None else d_weights * keep
        d_scores -= (d_scores * p).sum(axis=-1, keepdims=True)
        d_scores *= p
        grad_mask = sum_to_array(d_scores, ctx.mask_shape) if need_mask else None
        d_scores *= q.dtype.type(scale)
        grad_q = np.matmul(d_scores, k) if need_q else None
        grad_k = np.matmul(np.swapaxes(d_scores, -1, -2), q) if need_k else None
        return grad_q, grad_k, grad_v, grad_mask, None, None, None, None


def attend(query: Tensor, key: Tensor, value: Tensor, bool_mask=None, float_mask=None,
           dropout_p: float = 0.0, scale: float | None = None, safe: bool = True,
           need_weights: bool = False):
    """``softmax(query @ key^T * scale + mask) @ value``, with dropout on the weights.

    ``bool_mask`` (an array; True = may attend) and ``float_mask`` (a tensor added to the scores)
    broadcast to ``(..., L, S)``. With ``safe``, rows that may attend to nothing give weights (and
    output) 0, as PyTorch's scaled_dot_product_attention; without it they are NaN, as its
    ``need_weights`` path of multi-head attention. Returns ``(output, weights or None)``."""
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    if float_mask is not None and float_mask._data.dtype != query._data.dtype:
        float_mask = float_mask.to(query._data.dtype)
    out, weights = ScaledDotProductAttention.apply(query, key, value, float_mask, bool_mask,
                                                   float(scale), bool(safe), float(dropout_p))
    return out, (weights if need_weights else None)


def _causal_mask(length: int, source_length: int) -> np.ndarray:
    """True where query ``i`` may attend key ``j``: ``j <= i`` (the top-left aligned triangle)."""
    return np.tril(np.ones((length, source_length), dtype=bool))


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask=None,
                                 dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None, enable_gqa: bool = False) -> Tensor:
    """``softmax(query @ key^T * scale + mask) @ value`` over the last two dimensions.

    Shapes: ``query (N, ..., L, E)``, ``key (N, ..., S, E)``, ``value (N, ..., S, Ev)``; result
    ``(N, ..., L, Ev)``. ``scale`` defaults to ``1 / sqrt(E)``. ``attn_mask`` broadcasts to
    ``(N, ..., L, S)``: a bool mask marks with True the pairs that TAKE PART in attention (the
    opposite of ``MultiheadAttention``'s masks), a float mask is added to the scores.
    ``is_causal`` masks key ``j > i`` (top-left aligned when ``L != S``) and excludes
    ``attn_mask``. ``dropout_p`` drops attention weights (always; pass 0 in evaluation).
    ``enable_gqa``: ``query`` may have ``Hq`` heads (dim -3) and ``key``/``value`` ``Hkv`` with
    ``Hq % Hkv == 0``; kv head ``h`` serves query heads ``h * Hq/Hkv ...``. A query row that may
    attend to no key gives 0, as PyTorch's CPU kernels do."""
    op = "scaled_dot_product_attention"
    _check_qkv(query, key, value, op)
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{op}: dropout_p must be in [0, 1], got {dropout_p}")
    if is_causal and attn_mask is not None:
        raise RuntimeError(f"{op}: _scaled_dot_product_attention: Explicit attn_mask should not be "
                           "set when is_causal=True")
    if enable_gqa and query.ndim >= 3 and query.shape[-3] != key.shape[-3]:
        hq, hk = query.shape[-3], key.shape[-3]
        if hk == 0 or hq % hk or value.shape[-3] != hk:
            raise RuntimeError(f"{op}: with enable_gqa the number of query heads ({hq}) must be a "
                               f"multiple of the number of key/value heads (key {tuple(key.shape)},"
                               f" value {tuple(value.shape)})")
        key, value = _repeat_kv_heads(key, hq // hk), _repeat_kv_heads(value, hq // hk)
    if query.shape[:-2] != key.shape[:-2] or key.shape[:-2] != value.shape[:-2]:
        raise RuntimeError(f"{op}: query, key and value must have the same batch dimensions, got "
                           f"{tuple(query.shape)}, {tuple(key.shape)} and {tuple(value.shape)}"
                           + ("" if enable_gqa else " (for fewer key/value heads pass "
                              "enable_gqa=True)"))
    bool_mask = float_mask = None
    if is_causal:
        bool_mask = _causal_mask(query.shape[-2], key.shape[-2])
    elif attn_mask is not None:
        if not isinstance(attn_mask, Tensor):
            raise TypeError(f"{op}: expected attn_mask to be a Tensor or None, got "
                            f"{type(attn_mask).__name__}")
        expected = tuple(query.shape[:-1]) + (key.shape[-2],)
        try:
            fits = np.broadcast_shapes(tuple(attn_mask.shape), expected) == expected
        except ValueError:
            fits = False
        if not fits:
            raise RuntimeError(f"{op}: attn_mask of shape {tuple(attn_mask.shape)} does not "
                               f"broadcast to the attention weights' shape {expected}")
        if attn_mask._data.dtype == np.bool_:
            bool_mask = attn_mask._data
        elif attn_mask._data.dtype.kind == "f":
            float_mask = attn_mask
        else:
            raise TypeError(f"{op}: attn_mask must be bool or floating point, got "
                            f"{attn_mask._data.dtype}")
    out, _ = attend(query, key, value, bool_mask, float_mask, dropout_p, scale)
    return out


__all__: list = []  # nn.functional only, as in PyTorch
