"""Flatten parameters into one vector and back (for line searches, second-order methods,
weight averaging): ``parameters_to_vector`` and ``vector_to_parameters``."""
from __future__ import annotations

import numpy as np

from ...autograd.grad_mode import is_grad_enabled
from ...autograd.tensor import Tensor


def _tensors(parameters, op: str) -> list:
    if isinstance(parameters, Tensor):
        return [parameters]
    if callable(getattr(parameters, "parameters", None)):
        raise TypeError(f"{op}: expected an iterable of tensors, got the module "
                        f"{type(parameters).__name__}; pass its .parameters()")
    out = list(parameters)
    for i, p in enumerate(out):
        if not isinstance(p, Tensor):
            raise TypeError(f"{op}: expected an iterable of tensors, but item {i} is "
                            f"{type(p).__name__}")
    return out


def parameters_to_vector(parameters) -> Tensor:
    """All of ``parameters`` flattened and concatenated into one 1-d tensor of length
    ``sum(p.numel())``, in order. Differentiable (through ``graphgrad.cat``) when grad mode is on
    and a parameter requires grad; otherwise a plain copy."""
    params = _tensors(parameters, "parameters_to_vector")
    if not params:
        raise ValueError("parameters_to_vector: got no parameters")
    if is_grad_enabled() and any(p.requires_grad for p in params):
        from ... import ops

        return ops.cat([p.reshape(-1) for p in params])
    return Tensor._make(np.concatenate([p._data.reshape(-1) for p in params]))


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Copy consecutive slices of the 1-d ``vec`` into ``parameters`` (the inverse of
    ``parameters_to_vector``). graphgrad writes into each parameter's existing array (so
    optimizers and modules holding it see the values), where PyTorch rebinds ``.data`` to views
    of ``vec``; the values are the same."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected vec to be a Tensor, but got: "
                        f"{type(vec).__name__}")
    params = _tensors(parameters, "vector_to_parameters")
    if vec.ndim != 1:
        raise ValueError(f"vector_to_parameters: vec must be 1-d, got shape {tuple(vec.shape)}")
    total = sum(p._data.size for p in params)
    if vec._data.size != total:
        raise ValueError(f"vector_to_parameters: vec has {vec._data.size} elements but the "
                         f"parameters have {total} in all")
    offset = 0
    for p in params:
        n = p._data.size
        p._data[...] = vec._data[offset:offset + n].reshape(p._data.shape)
        p._bump_version()
        offset += n
