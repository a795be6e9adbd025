"""Helpers shared by the distributions: broadcasting parameters, probabilities <-> logits, and a
cached property."""
from __future__ import annotations

import functools

import numpy as np

from ..autograd.tensor import Tensor
from ..backend import get_default_dtype


def broadcast_all(*values):
    """The arguments as tensors broadcast to one shape; numbers take the tensors' dtype (the
    default float dtype when all are numbers)."""
    tensors = [v for v in values if isinstance(v, Tensor)]
    dtype = tensors[0]._data.dtype if tensors else get_default_dtype().np
    as_t = [v if isinstance(v, Tensor) else Tensor._make(np.asarray(v, dtype=dtype)) for v in values]
    shape = np.broadcast_shapes(*[t._data.shape for t in as_t])
    return tuple(t if t._data.shape == shape else t.expand(shape) for t in as_t)


def clamp_probs(probs: Tensor) -> Tensor:
    eps = float(np.finfo(probs._data.dtype).eps)
    return probs.clamp(eps, 1.0 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """``log(p) - log(1 - p)`` for a binary probability, else ``log(p)`` (probabilities clamped
    away from 0 and 1 so that the logits stay finite)."""
    p = clamp_probs(probs)
    return p.log() - (-p).log1p() if is_binary else p.log()


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    from ..ops.activation import softmax

    return logits.sigmoid() if is_binary else softmax(logits, -1)


class lazy_property:  # noqa: N801 - PyTorch's name
    """A property computed once on first use and then stored on the instance."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        functools.update_wrapper(self, wrapped)

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value
