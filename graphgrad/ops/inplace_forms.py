"""The in-place and method forms of existing functions that PyTorch's Tensor also has:
comparisons (``eq_``, ``lt_``, ...), logical and bitwise ops (``logical_and_``, ``bitwise_or_``,
shifts), arithmetic aliases (``divide_``, ``multiply_``, ``subtract_``, ``remainder_``, ...),
``tril_``/``triu_``/``renorm_``, ``float_power_``, plus ``mode``, ``ger``, the ``*_scatter`` methods,
``hardshrink``, ``output_nr`` and the legacy ``Tensor.new``.

An in-place comparison writes its 0/1 result in the tensor's own dtype, as PyTorch does.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..autograd.tensor import Tensor
from . import index_extra
from .activation import hardshrink
from ._util import coerce_pair, register_methods, wrap_dim
from .elementwise import _check_tensor, _inplace

mode_result = namedtuple("mode", ["values", "indices"])


def _shift(op: str, ufunc):
    def fn(input, other) -> Tensor:
        a, b = coerce_pair(input, other, op)
        arrays = [t._data if isinstance(t, Tensor) else t for t in (a, b)]
        if np.asarray(arrays[0]).dtype.kind not in "iub":
            raise RuntimeError(f"{op}: expected integer tensors, got {np.asarray(arrays[0]).dtype}")
        return Tensor._make(np.asarray(ufunc(*arrays)))

    fn.__name__ = op
    fn.__doc__ = f"``{op}`` elementwise on integer tensors (either operand may be a number)."
    return fn


bitwise_left_shift = _shift("bitwise_left_shift", np.left_shift)
bitwise_right_shift = _shift("bitwise_right_shift", np.right_shift)


def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """The most frequent value along ``dim`` (the smallest among equally frequent ones) and the
    index of its last occurrence, as PyTorch. Not differentiable."""
    _check_tensor(input, "mode")
    x = input._data
    if x.ndim == 0:
        return mode_result(input.clone(), Tensor._make(np.zeros((), dtype=np.int64)))
    axis = wrap_dim(dim, x.ndim, "mode")
    rows = np.moveaxis(x, axis, -1).reshape(-1, x.shape[axis])
    n = rows.shape[1]
    s = np.sort(rows, axis=1)
    positions = np.broadcast_to(np.arange(n), s.shape)
    new_run = np.ones(s.shape, dtype=bool)
    new_run[:, 1:] = s[:, 1:] != s[:, :-1]
    run_start = np.maximum.accumulate(np.where(new_run, positions, 0), axis=1)
    run_end = np.ones(s.shape, dtype=bool)
    run_end[:, :-1] = new_run[:, 1:]
    last = n - 1 - np.maximum.accumulate(np.where(run_end, n - 1 - positions, 0)[:, ::-1],
                                         axis=1)[:, ::-1]
    length = last - run_start + 1
    best = np.argmax(length, axis=1)  # first longest run: the smallest of the most frequent
    values = s[np.arange(s.shape[0]), best]
    hits = rows == values[:, None]
    index = n - 1 - np.argmax(hits[:, ::-1], axis=1)
    shape = tuple(np.delete(np.array(x.shape), axis))
    values, index = values.reshape(shape), index.reshape(shape).astype(np.int64)
    if keepdim:
        values, index = np.expand_dims(values, axis), np.expand_dims(index, axis)
    return mode_result(Tensor._make(values), Tensor._make(index))


def ger(input: Tensor, vec2: Tensor) -> Tensor:
    """The outer product (the old name of ``outer``)."""
    return input.outer(vec2)


def _float_power_inplace(self, exponent):
    if self._data.dtype != np.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {self.dtype} but the "
                           "operation's result requires dtype Double")
    return _inplace(lambda t, e: t.float_power(e), "float_power_")(self, exponent)


def _new(self, *args, **kwargs) -> Tensor:
    """Legacy ``Tensor.new``: sizes give an uninitialised tensor, data a copy; this dtype."""
    return Tensor(*args, dtype=self.dtype, **kwargs)


_FORMS = {
    "eq_": "eq", "ne_": "ne", "lt_": "lt", "le_": "le", "gt_": "gt", "ge_": "ge",
    "greater_": "greater", "greater_equal_": "greater_equal", "less_": "less",
    "less_equal_": "less_equal", "not_equal_": "not_equal", "logical_and_": "logical_and",
    "logical_or_": "logical_or", "logical_xor_": "logical_xor", "logical_not_": "logical_not",
    "bitwise_and_": "bitwise_and", "bitwise_or_": "bitwise_or", "bitwise_xor_": "bitwise_xor",
    "bitwise_not_": "bitwise_not", "divide_": "div", "true_divide_": "div", "multiply_": "mul",
    "subtract_": "sub", "floor_divide_": "floor_divide", "remainder_": "remainder",
    "negative_": "neg", "tril_": "tril", "triu_": "triu", "renorm_": "renorm",
}


def _method_of(name: str):
    def call(self, *args, **kwargs):
        return getattr(Tensor, name)(self, *args, **kwargs)

    return call


register_methods(
    **{inplace: _inplace(_method_of(name), inplace) for inplace, name in _FORMS.items()},
    bitwise_left_shift=bitwise_left_shift, bitwise_right_shift=bitwise_right_shift,
    bitwise_left_shift_=_inplace(bitwise_left_shift, "bitwise_left_shift_"),
    bitwise_right_shift_=_inplace(bitwise_right_shift, "bitwise_right_shift_"),
    float_power_=_float_power_inplace, mode=mode, ger=ger, new=_new, hardshrink=hardshrink,
    output_nr=property(lambda self: self._out_nr),
    select_scatter=index_extra.select_scatter, slice_scatter=index_extra.slice_scatter,
    diagonal_scatter=index_extra.diagonal_scatter,
)

__all__ = ["bitwise_left_shift", "bitwise_right_shift", "mode", "ger"]
