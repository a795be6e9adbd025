"""Binary elementwise math with broadcasting: atan2, hypot, fmod, logaddexp, logaddexp2, copysign,
fmax, fmin, float_power, ldexp, and the non-differentiable heaviside, nextafter, gcd, lcm; plus
nan_to_num, signbit, sgn, positive and frexp. In-place forms where PyTorch has them.

Either operand may be a Python number where PyTorch allows it; dtypes promote as in ``add``, and
the functions that are only defined on reals (atan2, hypot, logaddexp, ...) turn integers into the
default float dtype. Gradients follow PyTorch's formulas, undoing broadcasting with ``sum_to``.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor
from ..backend import get_default_dtype
from ._util import coerce_pair, register_methods, sum_to
from .arithmetic import _broadcast_op
from .elementwise import _check_tensor, _inplace


def _broadcast(ufunc, name, a, b):
    """``ufunc(a, b)`` with NumPy's warnings off (nan/inf are results here, as in PyTorch) and
    arithmetic's error for shapes that do not broadcast."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _broadcast_op(name, ufunc, a, b)


def _as_tensor(value, like: np.dtype) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor._make(np.asarray(value, dtype=like))


def _pair(input, other, op: str, floating: bool):
    """Both operands as tensors of one dtype (a float dtype when ``floating``)."""
    a, b = coerce_pair(input, other, op)
    dt = (a if isinstance(a, Tensor) else b)._data.dtype
    if floating and dt.kind != "f":
        dt = get_default_dtype().np
    a, b = _as_tensor(a, dt), _as_tensor(b, dt)
    if a._data.dtype != dt:
        a = a.to(dt)
    if b._data.dtype != dt:
        b = b.to(dt)
    return a, b


class _Binary(ArrayFunction):
    """A binary op whose forward is one ufunc; subclasses set ``ufunc`` and ``grads(a, b, out, g)``
    returning the two gradients before broadcasting is undone."""

    ufunc = None
    name = ""

    @classmethod
    def forward(cls, ctx, a, b):
        ctx.shapes = (np.shape(a), np.shape(b))
        out = _broadcast(cls.ufunc, cls.name, a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @classmethod
    def backward(cls, ctx, g):
        a, b, out = ctx.saved_tensors
        ga, gb = cls.grads(a, b, out, g)
        sa, sb = ctx.shapes
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(ga, sa) if need_a else None), (sum_to(gb, sb) if need_b else None)


class Atan2(_Binary):
    ufunc, name = np.arctan2, "atan2"

    @staticmethod
    def grads(a, b, out, g):
        denom = a * a + b * b
        return g * b / denom, g * -a / denom


class Hypot(_Binary):
    ufunc, name = np.hypot, "hypot"

    @staticmethod
    def grads(a, b, out, g):
        return g * a / out, g * b / out


class Fmod(_Binary):
    """C's fmod: the remainder has the sign of the dividend."""

    ufunc, name = np.fmod, "fmod"

    @staticmethod
    def grads(a, b, out, g):
        return g, -g * (a / b).trunc()


class Logaddexp(_Binary):
    ufunc, name = np.logaddexp, "logaddexp"

    @staticmethod
    def grads(a, b, out, g):
        return g * (a - out).exp(), g * (b - out).exp()


class Logaddexp2(_Binary):
    ufunc, name = np.logaddexp2, "logaddexp2"

    @staticmethod
    def grads(a, b, out, g):
        ln2 = math.log(2.0)
        return g * ((a - out) * ln2).exp(), g * ((b - out) * ln2).exp()


class Copysign(_Binary):
    ufunc, name = np.copysign, "copysign"

    @staticmethod
    def grads(a, b, out, g):
        from .selection import where

        # PyTorch: d/da = out / a (the sign flip), 0 where a == 0; no gradient for b
        ratio = where(a == 0, 0.0, out / where(a == 0, 1.0, a))
        return g * ratio, g * 0.0


class Fmax(_Binary):
    """Elementwise maximum that ignores nan (nan only where both are nan)."""

    ufunc, name = np.fmax, "fmax"

    @staticmethod
    def grads(a, b, out, g):
        pick_a = ((a >= b) | b.isnan()).to(g.dtype)
        return g * pick_a, g * (1.0 - pick_a)


class Fmin(_Binary):
    ufunc, name = np.fmin, "fmin"

    @staticmethod
    def grads(a, b, out, g):
        pick_a = ((a <= b) | b.isnan()).to(g.dtype)
        return g * pick_a, g * (1.0 - pick_a)


class NanToNum(ArrayFunction):
    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        ctx.save_for_backward(x)
        return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.isfinite().to(g.dtype), None, None, None


# ------------------------------------------------------------------------ public functions
def atan2(input, other) -> Tensor:
    """The angle of the point ``(other, input)`` in radians, in (-pi, pi], with broadcasting."""
    return Atan2.apply(*_pair(input, other, "atan2", True))


def hypot(input, other) -> Tensor:
    """``sqrt(input**2 + other**2)`` without overflow."""
    return Hypot.apply(*_pair(input, other, "hypot", True))


def fmod(input, other) -> Tensor:
    """The remainder of ``input / other`` with the sign of ``input`` (C's fmod); integers stay
    integers (the gradient flows for floats only)."""
    _check_tensor(input, "fmod")
    a, b = _pair(input, other, "fmod", False)
    if a._data.dtype.kind != "f":
        if (b._data == 0).any():
            raise RuntimeError("fmod: ZeroDivisionError (integer division by zero)")
        return Tensor._make(np.fmod(a._data, b._data))
    return Fmod.apply(a, b)


def logaddexp(input, other) -> Tensor:
    """``log(exp(input) + exp(other))`` without overflow."""
    return Logaddexp.apply(*_pair(input, other, "logaddexp", True))


def logaddexp2(input, other) -> Tensor:
    """``log2(2**input + 2**other)`` without overflow."""
    return Logaddexp2.apply(*_pair(input, other, "logaddexp2", True))


def copysign(input, other) -> Tensor:
    """``|input|`` with the sign of ``other`` (including the sign of -0.0)."""
    return Copysign.apply(*_pair(input, other, "copysign", True))


def fmax(input, other) -> Tensor:
    """Elementwise maximum, ignoring nan where the other value is a number."""
    _check_tensor(input, "fmax")
    a, b = _pair(input, other, "fmax", False)
    return Fmax.apply(a, b) if a._data.dtype.kind == "f" else Tensor._make(np.fmax(a._data, b._data))


def fmin(input, other) -> Tensor:
    """Elementwise minimum, ignoring nan where the other value is a number."""
    _check_tensor(input, "fmin")
    a, b = _pair(input, other, "fmin", False)
    return Fmin.apply(a, b) if a._data.dtype.kind == "f" else Tensor._make(np.fmin(a._data, b._data))


def float_power(input, exponent) -> Tensor:
    """``input ** exponent`` computed in float64 (the result is float64, as in PyTorch)."""
    base = input.double() if isinstance(input, Tensor) else float(input)
    exp = exponent.double() if isinstance(exponent, Tensor) else float(exponent)
    if not isinstance(base, Tensor):
        base = Tensor._make(np.asarray(base))
    return base.pow(exp)


def ldexp(input, other) -> Tensor:
    """``input * 2 ** other``."""
    _check_tensor(input, "ldexp")
    a = input if input._data.dtype.kind == "f" else input.to(get_default_dtype())
    two = Tensor._make(np.asarray(2.0, dtype=a._data.dtype))
    return a * two.pow(other if isinstance(other, Tensor) else float(other))


def heaviside(input: Tensor, values) -> Tensor:
    """The Heaviside step: 0 for negative input, 1 for positive, ``values`` where ``input == 0``.
    Not differentiable (PyTorch has no derivative for it either)."""
    a, b = _pair(input, values, "heaviside", False)
    out = np.where(a._data == 0, b._data, (a._data > 0).astype(a._data.dtype))
    return Tensor._make(np.asarray(out, dtype=a._data.dtype))


def nextafter(input: Tensor, other) -> Tensor:
    """The next floating-point value after ``input`` towards ``other``."""
    a, b = _pair(input, other, "nextafter", True)
    return Tensor._make(_broadcast(np.nextafter, "nextafter", a._data, b._data))


def _integer_pair(input, other, op):
    a, b = _pair(input, other, op, False)
    if a._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected integer tensors, got {a.dtype}")
    return a._data, b._data


def gcd(input: Tensor, other: Tensor) -> Tensor:
    """Greatest common divisor elementwise (integer tensors)."""
    return Tensor._make(_broadcast(np.gcd, "gcd", *_integer_pair(input, other, "gcd")))


def lcm(input: Tensor, other: Tensor) -> Tensor:
    """Least common multiple elementwise (integer tensors)."""
    return Tensor._make(_broadcast(np.lcm, "lcm", *_integer_pair(input, other, "lcm")))


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """Replace nan by ``nan``, +inf by ``posinf`` and -inf by ``neginf`` (default: the dtype's
    largest and smallest finite values). The gradient is 0 where the input was not finite."""
    _check_tensor(input, "nan_to_num")
    if input._data.dtype.kind != "f":
        return Tensor._make(input._data.copy())
    return NanToNum.apply(input, nan, posinf, neginf)


def signbit(input: Tensor) -> Tensor:
    """True where the sign bit is set (negative numbers and -0.0)."""
    _check_tensor(input, "signbit")
    return Tensor._make(np.signbit(input._data))


def sgn(input: Tensor) -> Tensor:
    """``sign`` (for real tensors ``sgn`` and ``sign`` agree)."""
    _check_tensor(input, "sgn")
    return input.sign()


def positive(input: Tensor) -> Tensor:
    """``input`` itself (PyTorch's unary plus); bool input is an error, as in PyTorch."""
    _check_tensor(input, "positive")
    if input._data.dtype.kind == "b":
        raise RuntimeError("positive: the positive operator, with a bool tensor is not supported.")
    return input


def frexp(input: Tensor):
    """``(mantissa, exponent)`` with ``input = mantissa * 2 ** exponent`` and |mantissa| in
    [0.5, 1); the exponent is int32. Not differentiable."""
    _check_tensor(input, "frexp")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"frexp: expected a floating point tensor, got {input.dtype}")
    mantissa, exponent = np.frexp(input._data)
    return _FrexpResult(Tensor._make(mantissa), Tensor._make(exponent.astype(np.int32)))


class _FrexpResult(tuple):
    """``torch.return_types.frexp``: a tuple with ``mantissa`` and ``exponent``."""

    def __new__(cls, mantissa, exponent):
        return super().__new__(cls, (mantissa, exponent))

    mantissa = property(lambda self: self[0])
    exponent = property(lambda self: self[1])


arctan2 = atan2

_FUNCTIONS = {"atan2": atan2, "arctan2": atan2, "hypot": hypot, "fmod": fmod,
              "logaddexp": logaddexp, "logaddexp2": logaddexp2, "copysign": copysign,
              "fmax": fmax, "fmin": fmin, "float_power": float_power, "ldexp": ldexp,
              "heaviside": heaviside, "nextafter": nextafter, "gcd": gcd, "lcm": lcm,
              "nan_to_num": nan_to_num, "signbit": signbit, "sgn": sgn, "positive": positive,
              "frexp": frexp}
_INPLACE_OF = ("atan2", "arctan2", "hypot", "fmod", "copysign", "ldexp", "heaviside", "nextafter",
               "gcd", "lcm", "nan_to_num", "sgn")
_INPLACE = {name + "_": _inplace(_FUNCTIONS[name], name + "_") for name in _INPLACE_OF}
nan_to_num_, ldexp_, gcd_, lcm_ = (_INPLACE[n] for n in ("nan_to_num_", "ldexp_", "gcd_", "lcm_"))
register_methods(**_FUNCTIONS, **_INPLACE)

__all__ = sorted(_FUNCTIONS) + ["nan_to_num_", "ldexp_", "gcd_", "lcm_"]
