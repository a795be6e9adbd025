"""``F.rms_norm``: root-mean-square layer normalisation (Zhang & Sennrich 2019), written from
differentiable primitives."""
from __future__ import annotations

import numpy as np

from ..autograd.tensor import Tensor


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """``input / sqrt(mean(input**2) + eps) * weight`` with the mean over the trailing
    ``normalized_shape`` dimensions. ``eps=None`` is the machine epsilon of the input's dtype, as
    in PyTorch. Shape unchanged; ``weight`` has ``normalized_shape``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"rms_norm: expected a Tensor as input, got {type(input).__name__}")
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    n = len(shape)
    if n == 0 or input.ndim < n or tuple(input.shape[input.ndim - n:]) != shape:
        raise RuntimeError(f"rms_norm: Given normalized_shape={list(shape)}, expected input with "
                           f"shape [*, {', '.join(str(s) for s in shape)}], but got input of size"
                           f"{list(input.shape)}")
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(f"rms_norm: expected weight of shape {list(shape)}, got "
                           f"{list(weight.shape)}")
    dtype = input._data.dtype
    if dtype.kind != "f":
        raise TypeError(f"rms_norm: expected a floating-point input, got {dtype}")
    if eps is None:
        eps = float(np.finfo(dtype).eps)
    dims = tuple(range(input.ndim - n, input.ndim))
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out * weight if weight is not None else out


__all__: list = []  # torch.rms_norm exists, but as nn.functional's: keep it there
