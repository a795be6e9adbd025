"""Scaled dot-product attention (``F.scaled_dot_product_attention``), written from batched matrix
products and the fused softmax so that every head and batch element runs in the same product and
the backward (and double backward) comes from those ops.

``attend`` is the one core that both ``scaled_dot_product_attention`` and multi-head attention
(``ops/multihead_attention.py``) use.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.tensor import Tensor
from .activation import softmax
from .nn_misc import dropout


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
    if dead is not None:
        weights = weights.masked_fill(dead, 0.0)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return weights @ value, (weights if need_weights else None)


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
            float_mask = attn_mask.to(query._data.dtype)
        else:
            raise TypeError(f"{op}: attn_mask must be bool or floating point, got "
                            f"{attn_mask._data.dtype}")
    out, _ = attend(query, key, value, bool_mask, float_mask, dropout_p, scale)
    return out


__all__: list = []  # nn.functional only, as in PyTorch
