"""The random parts of ``nn.functional`` beyond plain dropout: ``alpha_dropout`` and
``feature_alpha_dropout`` (SELU's self-normalising dropout), ``rrelu`` (a leaky ReLU with a random
slope in training) and ``gumbel_softmax`` (a differentiable sample of a categorical). Every draw
comes from graphgrad's seeded generator."""
from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..autograd.tensor import Tensor
from .activation import leaky_relu, softmax
from .arithmetic import apply_inplace
from ._util import wrap_dim

# SELU's saturation value -scale * alpha (Klambauer et al. 2017): where alpha dropout sends a unit
_SELU_SATURATION = -1.0507009873554804934193349852946 * 1.6732632423543772848170429916717


def _float_tensor(input, op: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a Tensor as input, got {type(input).__name__}")
    if input._data.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point tensor, got {input._data.dtype}")


def _alpha_dropout(input: Tensor, p: float, training: bool, inplace: bool, mask_shape,
                   op: str) -> Tensor:
    _float_tensor(input, op)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    if p == 1:
        result = input * 0.0
    else:
        dtype = input._data.dtype
        keep = (backend.rng().random(mask_shape) >= p).astype(dtype)
        a = 1.0 / math.sqrt((1 - p) * (1 + p * _SELU_SATURATION ** 2))
        b = -a * _SELU_SATURATION * p
        # kept units are scaled by a, dropped ones land on a * saturation; all then shift by b
        result = input * Tensor._make(keep * dtype.type(a)) + Tensor._make(
            ((1 - keep) * (a * _SELU_SATURATION) + b).astype(dtype))
    return apply_inplace(input, result, op + "_") if inplace else result


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: dropped units take SELU's negative saturation value and the
    result is scaled and shifted so that zero mean and unit variance are kept. Shape unchanged.
    Note PyTorch's default ``training=False`` here."""
    return _alpha_dropout(input, p, training, inplace, tuple(input.shape), "alpha_dropout")


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """``alpha_dropout`` of whole channels: input ``(N, C, *)``, one draw per ``(n, c)``."""
    op = "feature_alpha_dropout"
    _float_tensor(input, op)
    if input.ndim < 2:
        raise RuntimeError(f"{op}: expected input with at least 2 dimensions (N, C, *), got shape "
                           f"{tuple(input.shape)}")
    mask_shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return _alpha_dropout(input, p, training, inplace, mask_shape, op)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Randomised leaky ReLU (Xu et al. 2015): ``x`` where ``x > 0``, else ``a * x`` with ``a``
    drawn from U(lower, upper) for every element in training, and ``a = (lower + upper) / 2`` in
    evaluation. Shape unchanged."""
    op = "rrelu"
    _float_tensor(input, op)
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    data = input._data
    slopes = backend.rng().uniform(lower, upper, data.shape).astype(data.dtype)
    result = input * Tensor._make(np.where(data > 0, data.dtype.type(1), slopes))
    return apply_inplace(input, result, "rrelu_") if inplace else result


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    """In-place ``rrelu``."""
    return rrelu(input, lower, upper, training, inplace=True)


def gumbel_softmax(logits: Tensor, tau: float = 1.0, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """A sample of the categorical distribution ``softmax(logits)`` along ``dim`` (Jang et al.
    2016): ``softmax((logits + g) / tau)`` with Gumbel(0, 1) noise ``g``. With ``hard`` the
    result is the one-hot vector of the sample's argmax in the forward pass and the soft sample's
    gradient in the backward pass (straight-through). Shape unchanged. ``eps`` is unused, as in
    PyTorch."""
    op = "gumbel_softmax"
    _float_tensor(logits, op)
    d = wrap_dim(dim, logits.ndim, op)
    data = logits._data
    gumbels = -np.log(backend.rng().exponential(1.0, data.shape)).astype(data.dtype)
    soft = softmax((logits + Tensor._make(gumbels)) / tau, d)
    if not hard:
        return soft
    index = np.expand_dims(soft._data.argmax(axis=d), d)
    one_hot = np.zeros_like(soft._data)
    np.put_along_axis(one_hot, index, 1.0, axis=d)
    return Tensor._make(one_hot) - soft.detach() + soft


__all__ = ["alpha_dropout", "feature_alpha_dropout", "rrelu", "rrelu_"]
