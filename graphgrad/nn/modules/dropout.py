"""Dropout layers: active in training mode, the identity in eval mode."""
from __future__ import annotations

import math

from ... import backend
from ...autograd.tensor import Tensor
from .. import functional as F
from .module import Module

# SELU's saturation value, -scale * alpha (Klambauer et al. 2017)
_SELU_SATURATION = -1.0507009873554804934193349852946 * 1.6732632423543772848170429916717


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability ``p`` and scale the rest by ``1/(1-p)`` (training only)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zero whole channels of ``(N, C, L)`` or ``(C, L)`` input with probability ``p``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zero whole channels (feature maps) of ``(N, C, H, W)`` input with probability ``p``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps SELU's self-normalising mean and variance."""

    def forward(self, input: Tensor) -> Tensor:
        return _alpha_dropout(input, self.p, self.training)


def _alpha_dropout(input: Tensor, p: float, training: bool) -> Tensor:
    """Dropped units are set to SELU's saturation value and the result is scaled and shifted so
    that zero mean and unit variance are kept (``nn.functional`` has no ``alpha_dropout`` yet)."""
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0
    keep = (backend.rng().random(tuple(input.shape)) >= p).astype(input.numpy(force=True).dtype)
    a = 1.0 / math.sqrt((1 - p) * (1 + p * _SELU_SATURATION ** 2))
    b = -a * _SELU_SATURATION * p
    mask = Tensor._make(keep * a)
    shift = Tensor._make((1 - keep) * (a * _SELU_SATURATION) + b)
    return input * mask + shift
