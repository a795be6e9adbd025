"""``F.multi_head_attention_forward``: the computation behind ``nn.MultiheadAttention``, with
PyTorch's arguments, mask conventions and shapes (sequence first: ``(L, N, E)``).

All heads and batch elements go through one batched product: the projected ``(L, N, E)`` tensors
are viewed as ``(N, H, L, E/H)`` and handed to the attention core of ``ops/attention.py``.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..autograd.tensor import Tensor
from .attention import _causal_mask, attend
from .joining import cat
from .nn_misc import linear, pad

_OP = "multi_head_attention_forward"


def _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """PyTorch's input checks; returns whether the input is batched."""
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be 3-D but "
                                 f"found {key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be `None` "
                                 f"or 2-D but found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D "
                                 f"or 3-D but found {attn_mask.dim()}-D tensor instead")
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be 2-D "
                                 f"but found {key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to be "
                                 f"`None` or 1-D but found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be `None`, "
                                     f"2-D or 3-D but found {attn_mask.dim()}-D tensor instead")
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.dim() == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                     f"{tuple(attn_mask.shape)}")
        return False
    raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                         f"{query.dim()}-D query tensor")


def canonical_mask(mask, mask_name: str, other, other_name: str, dtype) -> Tensor | None:
    """A bool mask (True = masked out) as a float mask of 0 and -inf; a float mask unchanged.
    Warns, as PyTorch, when ``other`` (the other mask) has a different dtype."""
    if mask is None:
        return None
    if not isinstance(mask, Tensor):
        raise TypeError(f"{_OP}: expected {mask_name} to be a Tensor, got {type(mask).__name__}")
    kind = mask._data.dtype
    if kind != np.bool_ and kind.kind != "f":
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if other is not None and other._data.dtype != kind:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same "
                      "type for both instead.", stacklevel=3)
    if kind == np.bool_:
        return Tensor._make(np.where(mask._data, -np.inf, 0.0).astype(dtype))
    return mask


def _project(query, key, value, in_proj_weight, in_proj_bias, separate):
    """The input projections; one product when query, key and value are the same tensor."""
    if separate is not None:
        w_q, w_k, w_v = separate
        b_q = b_k = b_v = None
        if in_proj_bias is not None:
            b_q, b_k, b_v = in_proj_bias.chunk(3)
        return linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)
    if in_proj_weight is None:
        raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
    if query is key and key is value:  # self-attention
        return linear(query, in_proj_weight, in_proj_bias).chunk(3, -1)
    e = query.shape[-1]
    w_q, w_kv = in_proj_weight.split([e, 2 * e])
    b_q = b_kv = None
    if in_proj_bias is not None:
        b_q, b_kv = in_proj_bias.split([e, 2 * e])
    q = linear(query, w_q, b_q)
    if key is value:  # encoder-decoder attention: one product for key and value
        k, v = linear(key, w_kv, b_kv).chunk(2, -1)
        return q, k, v
    w_k, w_v = w_kv.chunk(2)
    b_k, b_v = b_kv.chunk(2) if b_kv is not None else (None, None)
    return q, linear(key, w_k, b_k), linear(value, w_v, b_v)


def _heads(x: Tensor, batch: int, num_heads: int, head_dim: int) -> Tensor:
    """``(S, N, H * D)`` to ``(N, H, S, D)``."""
    return x.reshape(x.shape[0], batch, num_heads, head_dim).permute(1, 2, 0, 3)


def _static(t: Tensor, name: str, batch: int, num_heads: int, head_dim: int) -> Tensor:
    if t.shape[0] != batch * num_heads:
        raise AssertionError(f"expecting {name}.size(0) of {batch * num_heads}, but got "
                             f"{t.shape[0]}")
    if t.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {t.shape[2]}")
    return t.reshape(batch, num_heads, t.shape[1], head_dim)


def multi_head_attention_forward(query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int,
                                 num_heads: int, in_proj_weight, in_proj_bias, bias_k, bias_v,
                                 add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
                                 out_proj_bias, training: bool = True, key_padding_mask=None,
                                 need_weights: bool = True, attn_mask=None,
                                 use_separate_proj_weight: bool = False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights: bool = True,
                                 is_causal: bool = False):
    """Multi-head attention of ``query (L, N, E)`` over ``key (S, N, Ek)``/``value (S, N, Ev)``
    (unbatched: ``(L, E)``, ``(S, Ek)``, ``(S, Ev)``).

    Masks mark with True (bool) what must NOT be attended, or are added (float):
    ``key_padding_mask (N, S)``, ``attn_mask (L, S)`` or ``(N * num_heads, L, S)``. ``is_causal``
    is a hint that ``attn_mask`` is the causal mask (it must still be given). Returns
    ``(output (L, N, E), weights)``; weights are ``(N, L, S)`` averaged over heads, ``(N,
    num_heads, L, S)`` with ``average_attn_weights=False``, or None without ``need_weights``.
    Rows with every key masked give NaN with ``need_weights`` and 0 without, as in PyTorch."""
    batched = _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    dtype = query._data.dtype
    key_padding_mask = canonical_mask(key_padding_mask, "key_padding_mask", attn_mask, "attn_mask",
                                      dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to create "
                           "this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint is trusted: the causal triangle replaces the mask
    else:
        attn_mask = canonical_mask(attn_mask, "attn_mask", None, "", dtype)
        is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got "
                             f"{embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {tuple(key.shape[:2])} do not match "
                                 f"value's {tuple(value.shape[:2])}")
        for name, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight is "
                                     "None")
        separate = (q_proj_weight, k_proj_weight, v_proj_weight)
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"key shape {tuple(key.shape)} does not match value shape "
                                 f"{tuple(value.shape)}")
        separate = None
    q, k, v = _project(query, key, value, in_proj_weight, in_proj_bias, separate)
    src_len = k.shape[0]
    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, but "
                                   f"should be {(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, but "
                                   f"should be {(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key or value.")
        k = cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = cat([v, bias_v.expand(1, bsz, embed_dim)])
        attn_mask = pad(attn_mask, (0, 1)) if attn_mask is not None else None
        key_padding_mask = pad(key_padding_mask, (0, 1)) if key_padding_mask is not None else None
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k and bias_v must be given together")
    q = _heads(q, bsz, num_heads, head_dim)
    k = _heads(k, bsz, num_heads, head_dim) if static_k is None else _static(
        static_k, "static_k", bsz, num_heads, head_dim)
    v = _heads(v, bsz, num_heads, head_dim) if static_v is None else _static(
        static_v, "static_v", bsz, num_heads, head_dim)
    if add_zero_attn:
        zeros = Tensor._make(np.zeros((bsz, num_heads, 1, head_dim), dtype=dtype))
        k, v = cat([k, zeros], 2), cat([v, zeros], 2)
        attn_mask = pad(attn_mask, (0, 1)) if attn_mask is not None else None
        key_padding_mask = pad(key_padding_mask, (0, 1)) if key_padding_mask is not None else None
    src_len = k.shape[2]
    mask = None
    if attn_mask is not None:  # (1 or N*H, L, S) -> (1 or N, 1 or H, L, S)
        mask = (attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1
                else attn_mask.reshape(bsz, num_heads, tgt_len, src_len))
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"Expected key_padded_mask.shape to be {(bsz, src_len)}, but got "
                                 f"{tuple(key_padding_mask.shape)}")
        padding = key_padding_mask.reshape(bsz, 1, 1, src_len)
        mask = padding if mask is None else mask + padding
    causal = _causal_mask(tgt_len, src_len) if is_causal else None
    out, weights = attend(q, k, v, causal, mask, dropout_p if training else 0.0,
                          safe=not need_weights, need_weights=need_weights)
    out = linear(out.permute(2, 0, 1, 3).reshape(tgt_len, bsz, embed_dim), out_proj_weight,
                 out_proj_bias)
    if weights is not None and average_attn_weights:
        weights = weights.mean(1)
    if not batched:
        out = out.squeeze(1)
        weights = weights.squeeze(0) if weights is not None else None
    return out, weights


__all__: list = []  # nn.functional only, as in PyTorch
