"""Gradient clipping: ``clip_grad_norm_`` (rescale all gradients together when their joint norm
exceeds a threshold, Pascanu et al. 2013) and ``clip_grad_value_`` (clamp each element)."""
from __future__ import annotations

import math

import numpy as np

from ...autograd.tensor import Tensor


def _grads(parameters, op: str) -> list:
    """The ``.grad`` tensors of ``parameters`` (one tensor or an iterable), skipping None."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    elif callable(getattr(parameters, "parameters", None)):
        raise TypeError(f"{op}: expected tensors or an iterable of tensors, got the module "
                        f"{type(parameters).__name__}; pass its .parameters()")
    grads = []
    for i, p in enumerate(parameters):
        if not isinstance(p, Tensor):
            raise TypeError(f"{op}: expected an iterable of tensors, but item {i} is "
                            f"{type(p).__name__}")
        if p.grad is not None:
            grads.append(p.grad)
    return grads


def _vector_norm(array: np.ndarray, norm_type: float) -> np.ndarray:
    """``||array||_p`` over all elements, in ``array``'s dtype (0-d array)."""
    flat = array.reshape(-1)
    if norm_type == 2.0:
        return np.sqrt(np.dot(flat, flat)) if flat.size else np.zeros((), array.dtype)
    if flat.size == 0:
        return np.zeros((), array.dtype)
    if math.isinf(norm_type):
        a = np.abs(flat)
        return a.max() if norm_type > 0 else a.min()
    if norm_type == 0:
        return np.asarray(np.count_nonzero(flat), dtype=array.dtype)
    if norm_type == 1.0:
        return np.abs(flat).sum()
    return np.asarray(np.sum(np.abs(flat) ** norm_type) ** (1.0 / norm_type), dtype=array.dtype)


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None) -> Tensor:
    """The ``norm_type``-norm of all of ``tensors`` together (as if concatenated), a 0-d tensor."""
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = [t for t in tensors if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        return Tensor._make(np.zeros((), np.float32))
    dtype = tensors[0]._data.dtype
    norms = np.stack([_vector_norm(t._data, norm_type).astype(dtype, copy=False)
                      for t in tensors])
    total = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite "
            f"({float(total)}), so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    return Tensor._make(np.asarray(total, dtype=dtype))


def clip_grads_with_norm_(parameters, max_norm: float, total_norm, foreach=None) -> None:
    """Scale the gradients by ``max_norm / (total_norm + 1e-6)`` when that is below 1."""
    grads = _grads(parameters, "clip_grads_with_norm_")
    if not grads:
        return
    dtype = grads[0]._data.dtype
    total = total_norm._data if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    # computed in the gradients' dtype, as PyTorch does with its float32 norm tensor
    coef = dtype.type(max_norm) / (total.astype(dtype) + dtype.type(1e-6))
    if coef < 1 or np.isnan(coef):  # a NaN norm makes every gradient NaN, as in PyTorch
        for g in grads:
            g._data *= coef.astype(g._data.dtype)
            g._bump_version()


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    r"""Clip the gradients of ``parameters`` (a tensor or an iterable of tensors) in place so that
    their joint norm is at most ``max_norm``: if ``||g|| > max_norm``, every gradient becomes
    ``g * max_norm / (||g|| + 1e-6)``. ``norm_type`` may be ``inf``. Returns the total norm
    before clipping, as a 0-d tensor. Parameters without a gradient are skipped; with
    ``error_if_nonfinite`` a NaN/inf total norm raises RuntimeError instead of clipping."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    elif not callable(getattr(parameters, "parameters", None)):  # modules are refused in _grads
        parameters = list(parameters)  # a generator is read twice below
    grads = _grads(parameters, "clip_grad_norm_")
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element of ``parameters`` into ``[-clip_value, clip_value]`` in
    place."""
    clip_value = float(clip_value)
    for g in _grads(parameters, "clip_grad_value_"):
        np.clip(g._data, -clip_value, clip_value, out=g._data)
        g._bump_version()
