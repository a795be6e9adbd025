"""Activation functions: relu6, leaky_relu, elu/selu/celu, gelu (exact and tanh), silu, softplus,
softsign, hardtanh, logsigmoid, and the fused, numerically stable softmax and log_softmax.

``relu``, ``sigmoid`` and ``tanh`` live with the other elementwise functions
(``ops/elementwise.py``); ``graphgrad.nn.functional`` re-exports them next to these.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.grad_mode import is_grad_enabled
from ..autograd.tensor import Tensor
from .arithmetic import apply_inplace
from .elementwise import relu as _relu
from .elementwise import relu_ as _relu_
from . import _special_arrays
from ._parallel import parallel_parts
from ._util import register_methods, wrap_dim

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_TANH_K = math.sqrt(2.0 / math.pi)
_GELU_TANH_C = 0.044715


def _check_float(x: np.ndarray, op: str) -> None:
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point tensor, got {x.dtype} of shape "
                        f"{tuple(x.shape)}")


# ------------------------------------------------------------------ piecewise-linear
class Hardtanh(ArrayFunction):
    """``clamp(x, min_val, max_val)``; the gradient is 1 strictly inside the interval, 0 outside."""

    @staticmethod
    def forward(ctx, x, min_val, max_val):
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(((x > min_val) & (x < max_val)).astype(x.dtype))
        return np.clip(x, min_val, max_val)

    @staticmethod
    def backward(ctx, g):
        (inside,) = ctx.saved_tensors
        return g * inside, None, None

    @staticmethod
    def backward_arrays(ctx, g):
        (inside,) = ctx.saved_arrays
        return g * inside, None, None


def _leaky_relu_by_table(x, s):
    """``(out, slope)``: ``slope`` is 1 where ``x > 0``, else ``s``, looked up in a 2-entry table
    by the sign mask (~5x faster than ``np.where``, whose per-element branch the CPU keeps
    mispredicting on mixed signs); ``out = x * slope``. For slopes outside (0, 1] or inexact."""
    table = np.array([s, 1], dtype=x.dtype)
    if x.ndim == 0:
        slope = table.take((x > 0).view(np.uint8))
        return x * slope, slope
    slope, out = np.empty_like(x), np.empty_like(x)

    def part(sp, op, xpart):
        table.take((xpart > 0).view(np.uint8), out=sp)
        np.multiply(xpart, sp, out=op)
    parallel_parts(part, slope, out, x)
    return out, slope


class LeakyRelu(ArrayFunction):
    """``x`` where ``x > 0``, else ``negative_slope * x``."""

    @staticmethod
    def forward(ctx, x, negative_slope):
        s = x.dtype.type(negative_slope)
        need = ctx.needs_input_grad[0]
        if x.ndim == 0 or not 0 < s or (1 - s) + s != 1:
            out, slope = _leaky_relu_by_table(x, s)
        else:
            out = np.empty_like(x)
            slope = np.empty_like(x) if need else None
            nearer_zero = np.maximum if s <= 1 else np.minimum  # picks x if x > 0, else s x

            def part(op, xpart, sp=None):
                np.multiply(xpart, s, out=op)
                nearer_zero(xpart, op, out=op)
                if sp is not None:  # 1 where x > 0, else s (exactly: (1 - s) + s == 1 was checked)
                    np.copyto(sp, np.greater(xpart, 0))
                    sp *= 1 - s
                    sp += s
            parallel_parts(part, *((out, x, slope) if need else (out, x)))
        if need:
            ctx.save_for_backward(slope)
        return out

    @staticmethod
    def backward(ctx, g):
        (slope,) = ctx.saved_tensors
        return g * slope, None

    @staticmethod
    def backward_arrays(ctx, g):
        (slope,) = ctx.saved_arrays
        gx = np.empty_like(g)
        parallel_parts(lambda gxp, gp, sp: np.multiply(gp, sp, out=gxp), gx, g, slope)
        return gx, None


# ------------------------------------------------------------------ exponential family
class Elu(ArrayFunction):
    """``scale * x`` for ``x > 0``, else ``scale * alpha * (exp(x * input_scale) - 1)``.

    One op behind elu (scale 1, input_scale 1), selu and celu (input_scale 1/alpha), as in PyTorch.
    """

    @staticmethod
    def forward(ctx, x, alpha, scale, input_scale):
        ctx.consts = (alpha, scale, input_scale)
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(x)
        dt = x.dtype.type
        negative = np.expm1(np.minimum(x, 0) * dt(input_scale)) * dt(alpha * scale)
        return np.where(x > 0, x * dt(scale), negative)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        alpha, scale, input_scale = ctx.consts
        positive = Tensor._make((x._data > 0).astype(x._data.dtype))
        # exp of min(x, 0) stays <= 1, so multiplying it by the 0/1 mask never makes inf * 0
        negative = (x.clamp(max=0) * input_scale).exp() * (alpha * scale * input_scale)
        return g * (positive * scale + (1 - positive) * negative), None, None, None

    @staticmethod
    def backward_arrays(ctx, g):
        (x,) = ctx.saved_arrays
        alpha, scale, input_scale = ctx.consts
        dt = x.dtype.type
        negative = np.exp(np.minimum(x, 0) * dt(input_scale)) * dt(alpha * scale * input_scale)
        slope = np.where(x > 0, dt(scale), negative)
        return g * slope, None, None, None


class Softplus(ArrayFunction):
    """``log(1 + exp(beta * x)) / beta``, linear where ``beta * x > threshold``."""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        ctx.consts = (beta, threshold)
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(x)
        dt = x.dtype.type
        z = x * dt(beta)
        return np.where(z > threshold, x, np.logaddexp(dt(0), z) / dt(beta))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        beta, threshold = ctx.consts
        xa = x._data
        linear = Tensor._make(((xa * xa.dtype.type(beta)) > threshold).astype(xa.dtype))
        return g * (linear + (1 - linear) * (x * beta).sigmoid()), None, None

    @staticmethod
    def backward_arrays(ctx, g):
        (x,) = ctx.saved_arrays
        beta, threshold = ctx.consts
        z = x * x.dtype.type(beta)
        return g * np.where(z > threshold, x.dtype.type(1), _sigmoid_array(z)), None, None


def _sigmoid_array(z: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-z))`` without overflow warnings for large ``|z|``."""
    return np.exp(-np.logaddexp(z.dtype.type(0), -z))


class LogSigmoid(ArrayFunction):
    """``log(sigmoid(x)) = -softplus(-x)``, computed without overflow."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(x)
        return -np.logaddexp(x.dtype.type(0), -x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (-x).sigmoid()

    @staticmethod
    def backward_arrays(ctx, g):
        (x,) = ctx.saved_arrays
        return g * _sigmoid_array(-x)


# ------------------------------------------------------------------ smooth gates
class Silu(ArrayFunction):
    """``x * sigmoid(x)`` (swish)."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(x)
        return x * _sigmoid_array(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        s = x.sigmoid()
        return g * (s * (1 + x * (1 - s)))

    @staticmethod
    def backward_arrays(ctx, g):
        (x,) = ctx.saved_arrays
        s = _sigmoid_array(x)
        return g * (s * (1 + x * (1 - s)))


# The standard normal CDF on arrays (float64), shared with the special functions.
_ndtr_array = _special_arrays.ndtr


class NormalCdf(ArrayFunction):
    """``Phi(x)``, the standard normal CDF (used by the exact GELU and its derivatives)."""

    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(x)
        return _ndtr_array(x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ((x * x * -0.5).exp() * _INV_SQRT_2PI)


class Gelu(ArrayFunction):
    """``x * Phi(x)`` (``approximate='none'``) or its tanh approximation (``'tanh'``)."""

    @staticmethod
    def forward(ctx, x, approximate):
        ctx.approximate = approximate
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(x)
        if approximate == "tanh":
            dt = x.dtype.type
            inner = (x + x * x * x * dt(_GELU_TANH_C)) * dt(_GELU_TANH_K)
            return x * (np.tanh(inner) + 1) * dt(0.5)
        return x * _ndtr_array(x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            x2 = x * x
            th = ((x + x2 * x * _GELU_TANH_C) * _GELU_TANH_K).tanh()
            d_inner = (x2 * (3 * _GELU_TANH_C) + 1) * _GELU_TANH_K
            return g * ((th + 1) * 0.5 + x * 0.5 * (1 - th * th) * d_inner), None
        pdf = (x * x * -0.5).exp() * _INV_SQRT_2PI
        return g * (NormalCdf.apply(x) + x * pdf), None

    @staticmethod
    def backward_arrays(ctx, g):
        (x,) = ctx.saved_arrays
        dt = x.dtype.type
        if ctx.approximate == "tanh":
            x2 = x * x
            th = np.tanh((x + x2 * x * dt(_GELU_TANH_C)) * dt(_GELU_TANH_K))
            d_inner = (x2 * dt(3 * _GELU_TANH_C) + 1) * dt(_GELU_TANH_K)
            return g * ((th + 1) * dt(0.5) + x * dt(0.5) * (1 - th * th) * d_inner), None
        pdf = np.exp(x * x * dt(-0.5)) * dt(_INV_SQRT_2PI)
        return g * (_ndtr_array(x).astype(x.dtype, copy=False) + x * pdf), None


# ------------------------------------------------------------------ softmax family
class Softmax(ArrayFunction):
    """``exp(x - max) / sum(exp(x - max))`` along ``dim``; the shift keeps large logits finite."""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        e = np.exp(x - x.max(axis=dim, keepdims=True))
        e /= e.sum(axis=dim, keepdims=True)
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(e)
        return e

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return y * (g - (g * y).sum(ctx.dim, keepdim=True)), None

    @staticmethod
    def backward_arrays(ctx, g):
        (y,) = ctx.saved_arrays
        gy = g * y
        gy -= y * gy.sum(axis=ctx.dim, keepdims=True)
        return gy, None


class LogSoftmax(ArrayFunction):
    """``x - max - log(sum(exp(x - max)))`` along ``dim``."""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        shifted = x - x.max(axis=dim, keepdims=True)
        shifted -= np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(shifted)
        return shifted

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g - out.exp() * g.sum(ctx.dim, keepdim=True), None

    @staticmethod
    def backward_arrays(ctx, g):
        (out,) = ctx.saved_arrays
        return g - np.exp(out) * g.sum(axis=ctx.dim, keepdims=True), None


# ------------------------------------------------------------------ public functions
def _float_input(input, op: str) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a Tensor as input, got {type(input).__name__}")
    _check_float(input._data, op)
    return input


def _maybe_inplace(input: Tensor, result: Tensor, inplace: bool, op: str) -> Tensor:
    return apply_inplace(input, result, op + "_") if inplace else result


def _composite_source(input: Tensor, inplace: bool) -> Tensor:
    """What an in-place composite computes from: a copy when a graph records, since inner nodes
    save the input, which the in-place write then overwrites."""
    return input.clone() if inplace and input.requires_grad and is_grad_enabled() else input


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)`` (``nn.functional.relu``, with PyTorch's ``inplace`` flag)."""
    return _relu_(input) if inplace else _relu(input)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """Clamp every element to ``[min_val, max_val]``. Shape: any, unchanged."""
    _float_input(input, "hardtanh")
    if min_val > max_val:
        raise ValueError(
            f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
    return _maybe_inplace(input, Hardtanh.apply(input, min_val, max_val), inplace, "hardtanh")


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(0, x), 6)``. Shape: any, unchanged."""
    _float_input(input, "relu6")
    return _maybe_inplace(input, Hardtanh.apply(input, 0.0, 6.0), inplace, "relu6")


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` for ``x > 0``, else ``negative_slope * x``. Shape: any, unchanged."""
    _float_input(input, "leaky_relu")
    return _maybe_inplace(input, LeakyRelu.apply(input, float(negative_slope)), inplace,
                          "leaky_relu")


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``. Shape: any, unchanged."""
    _float_input(input, "elu")
    return _maybe_inplace(input, Elu.apply(input, float(alpha), 1.0, 1.0), inplace, "elu")


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with the self-normalising constants (alpha ~1.6733,
    scale ~1.0507). Shape: any, unchanged."""
    _float_input(input, "selu")
    return _maybe_inplace(input, Elu.apply(input, _SELU_ALPHA, _SELU_SCALE, 1.0), inplace, "selu")


def selu_(input: Tensor) -> Tensor:
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``. Shape: any, unchanged."""
    _float_input(input, "celu")
    if alpha == 0:
        raise ValueError("celu: ZeroDivisionError, alpha must not be 0")
    return _maybe_inplace(input, Elu.apply(input, float(alpha), 1.0, 1.0 / alpha), inplace,
                          "celu")


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, inplace=True)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)`` with ``Phi`` the standard normal CDF (``approximate='none'``), or
    ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`` (``approximate='tanh'``)."""
    _float_input(input, "gelu")
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return Gelu.apply(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)``. Shape: any, unchanged."""
    _float_input(input, "silu")
    return _maybe_inplace(input, Silu.apply(input), inplace, "silu")


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``; ``x`` itself where ``beta * x > threshold``."""
    _float_input(input, "softplus")
    return Softplus.apply(input, float(beta), float(threshold))


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``. Shape: any, unchanged."""
    _float_input(input, "softsign")
    return input / (input.abs() + 1)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(1 / (1 + exp(-x)))``, stable for large ``|x|``. Shape: any, unchanged."""
    _float_input(input, "logsigmoid")
    return LogSigmoid.apply(input)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, else ``value``."""
    from .selection import where

    _float_input(input, "threshold")
    x = _composite_source(input, inplace)
    return _maybe_inplace(input, where(x > threshold, x, float(value)), inplace, "threshold")


_threshold = threshold  # threshold_'s argument of the same name hides the function there


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place ``threshold``."""
    return _threshold(input, threshold, value, inplace=True)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``: 0 below -3, 1 above 3, linear between."""
    _float_input(input, "hardsigmoid")
    x = _composite_source(input, inplace)
    return _maybe_inplace(input, Hardtanh.apply(x + 3.0, 0.0, 6.0) / 6.0, inplace, "hardsigmoid")


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``."""
    _float_input(input, "hardswish")
    x = _composite_source(input, inplace)
    return _maybe_inplace(input, x * (Hardtanh.apply(x + 3.0, 0.0, 6.0) / 6.0), inplace,
                          "hardswish")


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``."""
    _float_input(input, "mish")
    x = _composite_source(input, inplace)
    return _maybe_inplace(input, x * Softplus.apply(x, 1.0, 20.0).tanh(), inplace, "mish")


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``."""
    return _float_input(input, "tanhshrink") - input.tanh()


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, 0 between."""
    from .selection import where

    _float_input(input, "softshrink")
    zero = input * 0
    return where(input > lambd, input - lambd, where(input < -lambd, input + lambd, zero))


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, else 0."""
    from .selection import where

    _float_input(input, "hardshrink")
    return where((input > lambd) | (input < -lambd), input, input * 0)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x`` where ``x > 0``, else ``weight * x``; ``weight`` has 1 or ``C`` (= ``input.shape[1]``)
    elements and is learnt."""
    from .selection import where

    _float_input(input, "prelu")
    n = weight.numel()
    if n != 1 and (input.ndim < 2 or input.shape[1] != n) and not (input.ndim == 1 and
                                                                    input.shape[0] == n):
        raise RuntimeError(f"prelu: mismatch of parameter numbers and input channel size: weight "
                           f"has {n} elements, input shape {tuple(input.shape)}")
    if n != 1 and input.ndim >= 2:
        weight = weight.reshape((n,) + (1,) * (input.ndim - 2))
    elif n == 1:
        weight = weight.reshape(())
    return where(input > 0, input, weight * input)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: split ``input`` in halves ``a, b`` along ``dim``; ``a * sigmoid(b)``."""
    _float_input(input, "glu")
    d = wrap_dim(dim, input.ndim, "glu")
    if input.shape[d] % 2:
        raise RuntimeError(f"glu: halving dimension must be even, but dimension {d} of input "
                           f"{tuple(input.shape)} is size {input.shape[d]}")
    a, b = input.chunk(2, d)
    return a * b.sigmoid()


def _softmax_dim(input: Tensor, dim, op: str) -> int:
    ndim = input._data.ndim
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {op} has been deprecated. Change the call "
                      "to include dim=X as an argument.", UserWarning, stacklevel=3)
        dim = 0 if ndim in (0, 1, 3) else 1
    return wrap_dim(dim, ndim, op)


def _softmax_apply(cls, input, dim, dtype, op):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a Tensor as input, got {type(input).__name__}")
    if dtype is not None:
        input = input.to(dtype)
    _check_float(input._data, op)
    axis = _softmax_dim(input, dim, op)
    if input._data.ndim == 0:  # a scalar is a 1-element distribution
        return cls.apply(input.reshape(1), 0).reshape(())
    return cls.apply(input, axis)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``exp(x_i) / sum_j exp(x_j)`` along ``dim``; stable for large logits. Shape unchanged."""
    return _softmax_apply(Softmax, input, dim, dtype, "softmax")


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``x_i - log(sum_j exp(x_j))`` along ``dim``; stable for large logits. Shape unchanged."""
    return _softmax_apply(LogSoftmax, input, dim, dtype, "log_softmax")


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``softmax(-x)`` along ``dim``."""
    if dtype is not None:
        input = input.to(dtype)
    return softmax(-input, dim if dim is not None else _softmax_dim(input, None, "softmin"))


def _softmax_method(self, dim, dtype=None):
    return softmax(self, dim, dtype=dtype)


def _log_softmax_method(self, dim, dtype=None):
    return log_softmax(self, dim, dtype=dtype)


register_methods(softmax=_softmax_method, log_softmax=_log_softmax_method)

# the names that also exist at the top level of torch (torch.softmax, torch.selu, ...)
__all__ = ["softmax", "log_softmax", "selu", "selu_", "celu", "celu_"]
