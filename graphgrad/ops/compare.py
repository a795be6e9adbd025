"""Comparisons and logic: ``eq ne lt le gt ge`` (and ``== != < <= > >=``), ``logical_*``,
``bitwise_*`` (``& | ^ ~`` on bool and integer tensors), ``isnan``/``isinf``/``isfinite``,
``isclose``, ``allclose`` and ``equal``.

Every result is a bool tensor (or a Python bool) and carries no gradient. Operands broadcast and may
be Python numbers; they are compared after PyTorch's dtype promotion.
"""
from __future__ import annotations

import numpy as np

from ..autograd.tensor import Tensor
from ._util import coerce_pair, register_methods

_NUMBER = (bool, int, float, np.number, np.bool_)


def _arrays(input, other, op: str):
    """Both operands as arrays of one dtype; raises TypeError when neither is a tensor."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"{op}(): expected at least one Tensor argument, got "
                        f"{type(input).__name__} and {type(other).__name__}")
    for v in (input, other):
        if not isinstance(v, (Tensor, np.ndarray) + _NUMBER):
            raise TypeError(f"{op}(): expected a Tensor or a number, got {type(v).__name__}")
    a, b = coerce_pair(input, other, op)
    return (a._data if isinstance(a, Tensor) else a), (b._data if isinstance(b, Tensor) else b)


def _apply(ufunc, a, b, op: str) -> Tensor:
    try:
        with np.errstate(invalid="ignore"):
            return Tensor._make(np.asarray(ufunc(a, b)))
    except ValueError:
        raise RuntimeError(
            f"{op}: the size of tensor a {tuple(np.shape(a))} must match the size of tensor b "
            f"{tuple(np.shape(b))} at each non-singleton dimension (shapes are not broadcastable)"
        ) from None


def _comparison(ufunc, name: str):
    def fn(input, other) -> Tensor:
        a, b = _arrays(input, other, name)
        return _apply(ufunc, a, b, name)

    fn.__name__ = name
    fn.__doc__ = (f"Elementwise ``{name}`` of two broadcastable tensors (or a tensor and a number); "
                  "a bool tensor without gradient.")
    return fn


eq = _comparison(np.equal, "eq")
ne = _comparison(np.not_equal, "ne")
lt = _comparison(np.less, "lt")
le = _comparison(np.less_equal, "le")
gt = _comparison(np.greater, "gt")
ge = _comparison(np.greater_equal, "ge")
not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge


def _operator(fn):
    """The dunder form: returns NotImplemented for operands that are not numbers or tensors, so
    ``t == None`` is False as in PyTorch."""

    def method(self, other):
        if not isinstance(other, (Tensor, np.ndarray) + _NUMBER):
            return NotImplemented
        return fn(self, other)

    return method


# ------------------------------------------------------------------------------- logic
def _truth(x, op: str) -> np.ndarray:
    if isinstance(x, Tensor):
        return x._data.astype(bool, copy=False)
    if isinstance(x, _NUMBER) or isinstance(x, np.ndarray):
        return np.asarray(x).astype(bool, copy=False)
    raise TypeError(f"{op}(): expected a Tensor, got {type(x).__name__}")


def logical_and(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise AND of the truth values (nonzero is True); a bool tensor."""
    return _apply(np.logical_and, _truth(input, "logical_and"), _truth(other, "logical_and"),
                  "logical_and")


def logical_or(input: Tensor, other: Tensor) -> Tensor:
    return _apply(np.logical_or, _truth(input, "logical_or"), _truth(other, "logical_or"),
                  "logical_or")


def logical_xor(input: Tensor, other: Tensor) -> Tensor:
    return _apply(np.logical_xor, _truth(input, "logical_xor"), _truth(other, "logical_xor"),
                  "logical_xor")


def logical_not(input: Tensor) -> Tensor:
    return Tensor._make(np.logical_not(_truth(input, "logical_not")))


def _bitwise(ufunc, name: str):
    def fn(input, other) -> Tensor:
        a, b = _arrays(input, other, name)
        dt = np.result_type(a, b)
        if dt.kind not in "biu":
            raise RuntimeError(f"{name}: \"{name}_cpu\" not implemented for '{dt}' (bitwise ops "
                               "need bool or integer tensors)")
        return _apply(ufunc, a, b, name)

    fn.__name__ = name
    fn.__doc__ = f"Elementwise ``{name}`` of bool or integer tensors (broadcasting)."
    return fn


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def bitwise_not(input: Tensor) -> Tensor:
    """Elementwise NOT of a bool (logical) or integer (two's complement) tensor."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bitwise_not(): expected a Tensor, got {type(input).__name__}")
    if input._data.dtype.kind not in "biu":
        raise RuntimeError(f"bitwise_not: \"bitwise_not_cpu\" not implemented for '{input.dtype}'")
    return Tensor._make(np.invert(input._data))


def _reflected(fn):
    return lambda self, other: fn(other, self)


# -------------------------------------------------------------------------- predicates
def _predicate(ufunc, name: str, int_value: bool):
    def fn(input: Tensor) -> Tensor:
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
        if input._data.dtype.kind != "f":
            return Tensor._make(np.full(input._data.shape, int_value))
        return Tensor._make(np.asarray(ufunc(input._data)))

    fn.__name__ = name
    fn.__doc__ = f"Elementwise ``{name}``: a bool tensor of ``input``'s shape."
    return fn


isnan = _predicate(np.isnan, "isnan", False)
isinf = _predicate(np.isinf, "isinf", False)
isfinite = _predicate(np.isfinite, "isfinite", True)
isposinf = _predicate(np.isposinf, "isposinf", False)
isneginf = _predicate(np.isneginf, "isneginf", False)


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """``|input - other| <= atol + rtol * |other|`` elementwise (bool tensor, broadcasting)."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError("isclose(): expected two Tensors")
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"isclose: {input.dtype} did not match {other.dtype}")
    a, b = input._data, other._data
    try:
        return Tensor._make(np.asarray(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)))
    except ValueError:
        raise RuntimeError(f"isclose: shapes {tuple(a.shape)} and {tuple(b.shape)} are not "
                           "broadcastable") from None


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """True when ``isclose`` holds everywhere."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input: Tensor, other: Tensor) -> bool:
    """True when both tensors have the same shape and the same values."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError("equal(): expected two Tensors")
    return input._data.shape == other._data.shape and bool(np.array_equal(input._data, other._data))


register_methods(
    eq=eq, ne=ne, lt=lt, le=le, gt=gt, ge=ge, not_equal=ne, less=lt, less_equal=le, greater=gt,
    greater_equal=ge,
    __eq__=_operator(eq), __ne__=_operator(ne), __lt__=_operator(lt), __le__=_operator(le),
    __gt__=_operator(gt), __ge__=_operator(ge),
    logical_and=logical_and, logical_or=logical_or, logical_xor=logical_xor, logical_not=logical_not,
    bitwise_and=bitwise_and, bitwise_or=bitwise_or, bitwise_xor=bitwise_xor, bitwise_not=bitwise_not,
    __and__=bitwise_and, __or__=bitwise_or, __xor__=bitwise_xor, __invert__=bitwise_not,
    __rand__=_reflected(bitwise_and), __ror__=_reflected(bitwise_or),
    __rxor__=_reflected(bitwise_xor),
    isnan=isnan, isinf=isinf, isfinite=isfinite, isposinf=isposinf, isneginf=isneginf,
    isclose=isclose, allclose=allclose, equal=equal,
)

__all__ = [
    "eq", "ne", "lt", "le", "gt", "ge", "not_equal", "less", "less_equal", "greater",
    "greater_equal", "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and",
    "bitwise_or", "bitwise_xor", "bitwise_not", "isnan", "isinf", "isfinite", "isposinf",
    "isneginf", "isclose", "allclose", "equal",
]
