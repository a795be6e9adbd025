"""Inverse trigonometric and hyperbolic functions, base-2/base-10 logarithms and exponentials, and
angle conversion: asin, acos, atan, sinh, cosh, asinh, acosh, atanh, log2, log10, exp2, deg2rad,
rad2deg, with NumPy-style ``arc*`` aliases and in-place forms, as PyTorch has them.

Integer input becomes the default float dtype (PyTorch's rule for these functions). Outside the
domain the value is nan (``asin(2)``), as in PyTorch; no warning is printed.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor
from ._util import register_methods
from .elementwise import _floating, _inplace


class _SavesInput(ArrayFunction):
    """A unary op whose derivative is a function of its input: subclasses set ``fn`` (on arrays)
    and ``derivative`` (on tensors)."""

    fn = None

    @classmethod
    def forward(cls, ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            return cls.fn(x)

    @classmethod
    def backward(cls, ctx, g):
        (x,) = ctx.saved_tensors
        return g * cls.derivative(x)


class Asin(_SavesInput):
    fn = np.arcsin

    @staticmethod
    def derivative(x):
        return (1.0 - x * x).rsqrt()


class Acos(_SavesInput):
    fn = np.arccos

    @staticmethod
    def derivative(x):
        return -(1.0 - x * x).rsqrt()


class Atan(_SavesInput):
    fn = np.arctan

    @staticmethod
    def derivative(x):
        return (x * x + 1.0).reciprocal()


class Sinh(_SavesInput):
    fn = np.sinh

    @staticmethod
    def derivative(x):
        return x.cosh()


class Cosh(_SavesInput):
    fn = np.cosh

    @staticmethod
    def derivative(x):
        return x.sinh()


class Asinh(_SavesInput):
    fn = np.arcsinh

    @staticmethod
    def derivative(x):
        return (x * x + 1.0).rsqrt()


class Acosh(_SavesInput):
    fn = np.arccosh

    @staticmethod
    def derivative(x):
        return (x * x - 1.0).rsqrt()


class Atanh(_SavesInput):
    fn = np.arctanh

    @staticmethod
    def derivative(x):
        return (1.0 - x * x).reciprocal()


class Log2(_SavesInput):
    fn = np.log2

    @staticmethod
    def derivative(x):
        return (x * math.log(2.0)).reciprocal()


class Log10(_SavesInput):
    fn = np.log10

    @staticmethod
    def derivative(x):
        return (x * math.log(10.0)).reciprocal()


class Exp2(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):
            out = np.exp2(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out * math.log(2.0))


def _unary(cls, name: str, doc: str):
    def fn(input: Tensor) -> Tensor:
        return cls.apply(_floating(input, name))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


asin = _unary(Asin, "asin", "Arcsine elementwise (nan outside [-1, 1]).")
acos = _unary(Acos, "acos", "Arccosine elementwise (nan outside [-1, 1]).")
atan = _unary(Atan, "atan", "Arctangent elementwise.")
sinh = _unary(Sinh, "sinh", "Hyperbolic sine elementwise.")
cosh = _unary(Cosh, "cosh", "Hyperbolic cosine elementwise.")
asinh = _unary(Asinh, "asinh", "Inverse hyperbolic sine elementwise.")
acosh = _unary(Acosh, "acosh", "Inverse hyperbolic cosine elementwise (nan below 1).")
atanh = _unary(Atanh, "atanh", "Inverse hyperbolic tangent elementwise (+-inf at +-1).")
log2 = _unary(Log2, "log2", "Base-2 logarithm elementwise.")
log10 = _unary(Log10, "log10", "Base-10 logarithm elementwise.")
exp2 = _unary(Exp2, "exp2", "``2 ** input`` elementwise.")
arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh


def deg2rad(input: Tensor) -> Tensor:
    """Degrees to radians (``input * pi / 180``)."""
    return _floating(input, "deg2rad") * (math.pi / 180.0)


def rad2deg(input: Tensor) -> Tensor:
    """Radians to degrees (``input * 180 / pi``)."""
    return _floating(input, "rad2deg") * (180.0 / math.pi)


_FUNCTIONS = {"asin": asin, "acos": acos, "atan": atan, "sinh": sinh, "cosh": cosh,
              "asinh": asinh, "acosh": acosh, "atanh": atanh, "arcsin": asin, "arccos": acos,
              "arctan": atan, "arcsinh": asinh, "arccosh": acosh, "arctanh": atanh, "log2": log2,
              "log10": log10, "exp2": exp2, "deg2rad": deg2rad, "rad2deg": rad2deg}
_INPLACE = {name + "_": _inplace(fn, name + "_") for name, fn in _FUNCTIONS.items()}
register_methods(**_FUNCTIONS, **_INPLACE)
# the torch.* in-place functions (torch.asin_(x), ...) PyTorch has
asin_, acos_, atan_, sinh_, cosh_, asinh_, acosh_, atanh_ = (
    _INPLACE[n + "_"] for n in ("asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh"))
arcsin_, arccos_, arctan_, arcsinh_, arccosh_, arctanh_ = (asin_, acos_, atan_, asinh_, acosh_,
                                                          atanh_)
log2_, log10_, exp2_, deg2rad_, rad2deg_ = (
    _INPLACE[n + "_"] for n in ("log2", "log10", "exp2", "deg2rad", "rad2deg"))

__all__ = sorted(_FUNCTIONS) + sorted(_INPLACE)
