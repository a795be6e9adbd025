"""Copies and dtype conversions: clone, to(dtype), float/double/long/int/bool/half, copy_, fill_,
zero_, detach-free conversions, and ``type``."""
from __future__ import annotations

import numpy as np

from ..autograd import grad_mode
from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor, as_array
from ..backend import dtype as DType
from ..backend import check_device, to_np_dtype
from ._util import register_methods


class Clone(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        return np.array(x, copy=True, order="C")

    @staticmethod
    def backward(ctx, g):
        return g

    @staticmethod
    def backward_arrays(ctx, g):
        return g


class ToDtype(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dtype):
        ctx.in_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.to(ctx.in_dtype), None

    @staticmethod
    def backward_arrays(ctx, g):
        return g.astype(ctx.in_dtype), None


def clone(input: Tensor, *, memory_format=None) -> Tensor:
    """A copy of ``input`` with its own storage; gradients flow back to ``input``."""
    return Clone.apply(input)


def to(self: Tensor, *args, **kwargs) -> Tensor:
    """``to(dtype)``, ``to('cpu')``, ``to(other)``, ``to('cpu', dtype)``: a converted tensor, or self.

    Gradients flow through a change of floating dtype. Only the CPU device exists."""
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to: unexpected arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            dtype = a._data.dtype
        elif isinstance(a, str) or a is None or type(a).__name__ == "device":
            device = a
        else:
            dtype = a
    check_device(device, "to")
    if dtype is None:
        return clone(self) if copy else self
    nd = to_np_dtype(dtype)
    if nd == self._data.dtype:
        return clone(self) if copy else self
    if nd.kind != "f" and self._requires_grad and grad_mode.is_grad_enabled():
        return Tensor._make(self._data.astype(nd))  # non-float results carry no gradient
    return ToDtype.apply(self, nd)


def type_(self: Tensor, dtype=None, non_blocking: bool = False):
    """The type name (``'graphgrad.FloatTensor'``), or a copy converted to ``dtype``: a dtype, a
    legacy class (``graphgrad.LongTensor``) or its name (``'torch.LongTensor'`` works too)."""
    if dtype is None:
        return f"graphgrad.{_TYPE_NAMES.get(self._data.dtype.name, 'Tensor')}"
    if isinstance(dtype, str) and dtype.split(".")[-1] in _TYPE_NAMES.values():
        dtype = next(k for k, v in _TYPE_NAMES.items() if v == dtype.split(".")[-1])
    elif isinstance(getattr(dtype, "dtype", None), DType):
        dtype = dtype.dtype  # a legacy typed constructor such as graphgrad.LongTensor
    return to(self, dtype=dtype)


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "int64": "LongTensor",
               "int32": "IntTensor", "bool": "BoolTensor", "float16": "HalfTensor",
               "uint8": "ByteTensor", "int8": "CharTensor", "int16": "ShortTensor"}


def type_as(self: Tensor, other: Tensor) -> Tensor:
    return to(self, other._data.dtype)


def copy_(self: Tensor, src, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` (broadcast, converted to this dtype) into this tensor's storage."""
    from .arithmetic import apply_inplace

    src_t = src if isinstance(src, Tensor) else Tensor._make(as_array(src))
    if grad_mode._enabled[0] and (self._requires_grad or src_t._requires_grad):
        expanded = src_t.to(self._data.dtype)
        if src_t._data.shape != self._data.shape:
            expanded = expanded.expand(self._data.shape)
        return apply_inplace(self, clone(expanded), "copy_")
    try:
        np.copyto(self._data, src_t._data, casting="unsafe")
    except ValueError:
        raise RuntimeError(
            f"copy_: the size of src {list(src_t._data.shape)} can't be broadcast to "
            f"{list(self._data.shape)}") from None
    self._bump_version()
    return self


def fill_(self: Tensor, value) -> Tensor:
    """Set every element to ``value`` (a number or a one-element tensor)."""
    if isinstance(value, Tensor):
        if value._data.size != 1:
            raise RuntimeError(
                f"fill_: only supports 0-dimension value tensor but got tensor with "
                f"{value._data.ndim} dimensions")
        if grad_mode._enabled[0] and (self._requires_grad or value._requires_grad):
            return copy_(self, value.reshape(()).expand(self._data.shape))
        value = value._data.reshape(()).item()
    if grad_mode._enabled[0] and self._requires_grad:
        from .arithmetic import apply_inplace

        return apply_inplace(self, Tensor._make(np.full_like(self._data, value)), "fill_")
    self._data.fill(value)
    self._bump_version()
    return self


def zero_(self: Tensor) -> Tensor:
    return fill_(self, 0)


def _converter(dtype):
    def convert(self, memory_format=None):
        return to(self, dtype)

    return convert


register_methods(
    clone=clone, to=to, type=type_, type_as=type_as, copy_=copy_, fill_=fill_, zero_=zero_,
    float=_converter(np.float32), double=_converter(np.float64), half=_converter(np.float16),
    long=_converter(np.int64), int=_converter(np.int32), short=_converter(np.int16),
    bool=_converter(np.bool_), byte=_converter(np.uint8), char=_converter(np.int8),
)


__all__ = ["clone"]
