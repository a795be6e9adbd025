"""Unary elementwise math: exp, log, sqrt, rsqrt, tanh, sigmoid, relu, abs, sin, cos, tan, log1p,
expm1, sign, floor, ceil, round, trunc, frac, reciprocal, square, and ``lerp``; with the in-place
forms PyTorch has (``exp_``, ``relu_``, ...).

dtype rules follow PyTorch: the transcendental functions turn integer and bool input into the default
float dtype; ``abs``, ``relu``, ``sign``, ``square`` and the rounding functions keep an integer dtype.
Gradient conventions follow PyTorch too: ``abs'(0) = 0``, ``relu'(0) = 0``, and the rounding
functions and ``sign`` have a zero gradient everywhere.
"""
from __future__ import annotations

import numpy as np

from ..autograd import grad_mode
from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor
from ..backend import get_default_dtype
from ._parallel import parallel_parts
from ._scalar_bounds import maximum_scalar
from ._util import register_methods, sum_to
from .arithmetic import apply_inplace


def _check_tensor(x, op: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(x).__name__}")


def _floating(x, op: str) -> Tensor:
    """``x`` itself when it has a floating dtype, else converted to the default float dtype."""
    if type(x) is not Tensor and not isinstance(x, Tensor):
        _check_tensor(x, op)
    if x._data.dtype.kind == "f":
        return x
    return Tensor._make(x._data.astype(get_default_dtype().np))


def _zeros_grad(g: Tensor) -> Tensor:
    return Tensor._make(np.zeros_like(g._data))


# ------------------------------------------------------------------------- exponentials
class Exp(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out

    @staticmethod
    def backward_arrays(ctx, g):
        (out,) = ctx.saved_arrays
        return g * out


class Expm1(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = np.expm1(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out + 1.0)


class Log(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / x


class Log1p(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log1p(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x + 1.0)


class Sqrt(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore"):
            out = np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g / (out * 2.0)


class Rsqrt(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.sqrt(x, out=np.empty_like(x))
            np.reciprocal(out, out=out)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out * out * out) * -0.5


class Reciprocal(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore"):
            out = np.reciprocal(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return -g * (out * out)


# ---------------------------------------------------------------------- activations
class Tanh(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (1.0 - out * out)

    @staticmethod
    def backward_arrays(ctx, g):
        (out,) = ctx.saved_arrays
        d = np.multiply(out, out, out=np.empty_like(out))
        np.subtract(1.0, d, out=d)
        d *= g
        return d


def sigmoid_array(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))`` on an array; saturates to 0 or 1 without warnings."""
    out = np.negative(x, out=np.empty_like(x))  # out= keeps 0-d input an array
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1.0
    np.reciprocal(out, out=out)
    return out


class Sigmoid(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = sigmoid_array(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out * (1.0 - out))

    @staticmethod
    def backward_arrays(ctx, g):
        (out,) = ctx.saved_arrays
        d = np.subtract(1.0, out, out=np.empty_like(out))
        d *= out
        d *= g
        return d


class Relu(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = np.empty_like(x)
        parallel_parts(lambda o, a: maximum_scalar(a, 0, o), out, x)
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        from .selection import where

        (out,) = ctx.saved_tensors
        # the mask is a constant: relu is piecewise linear, so its second derivative is zero
        return where(Tensor._make(_relu_mask(out._data)), g, 0.0)

    @staticmethod
    def backward_arrays(ctx, g):
        from .selection import masked_array

        (out,) = ctx.saved_arrays
        gx = np.empty_like(g)
        parallel_parts(lambda gxp, gp, op: masked_array(_relu_mask(op), gp, out=gxp), gx, g, out)
        return gx


def _relu_mask(out: np.ndarray) -> np.ndarray:
    """Where relu passes the gradient: not where PyTorch's ``out <= 0`` test holds. On relu's
    output (>= 0 or NaN) that is ``out != 0``, one pass where ``~(out <= 0)`` takes two; NaN passes."""
    return np.not_equal(out, 0)


class Abs(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * Tensor._make(np.sign(x._data))  # sign(0) = 0, so abs'(0) = 0 as in PyTorch


# ------------------------------------------------------------------------ trigonometry
class Sin(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * cos(x)


class Cos(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * sin(x)


class Tan(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = np.tan(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out * out + 1.0)


# --------------------------------------------------------- piecewise constant and friends
class _ZeroGrad(ArrayFunction):
    """Base of the piecewise-constant ops: PyTorch gives them a zero gradient."""

    @staticmethod
    def backward(ctx, g):
        return _zeros_grad(g)

    @staticmethod
    def backward_arrays(ctx, g):
        return np.zeros_like(g)


class Sign(_ZeroGrad):
    @staticmethod
    def forward(ctx, x):
        return np.sign(x)


class Floor(_ZeroGrad):
    @staticmethod
    def forward(ctx, x):
        return np.floor(x)


class Ceil(_ZeroGrad):
    @staticmethod
    def forward(ctx, x):
        return np.ceil(x)


class Round(_ZeroGrad):
    """Round half to even (as PyTorch and NumPy do), optionally to ``decimals`` places."""

    @staticmethod
    def forward(ctx, x, decimals):
        return np.round(x, decimals)

    @staticmethod
    def backward(ctx, g):
        return _zeros_grad(g), None

    @staticmethod
    def backward_arrays(ctx, g):
        return np.zeros_like(g), None


class Trunc(_ZeroGrad):
    @staticmethod
    def forward(ctx, x):
        return np.trunc(x)


class Frac(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        return x - np.trunc(x)

    @staticmethod
    def backward(ctx, g):
        return g

    @staticmethod
    def backward_arrays(ctx, g):
        return g


class Lerp(ArrayFunction):
    """``start + weight * (end - start)``, computed as PyTorch does (from the nearer end)."""

    @staticmethod
    def forward(ctx, start, end, weight):
        ctx.shapes = (np.shape(start), np.shape(end), np.shape(weight))
        ctx.save_for_backward(start, end, weight)
        w = np.asarray(weight)
        try:
            diff = end - start
            return np.where(np.abs(w) < 0.5, start + w * diff, end - diff * (1 - w))
        except ValueError:
            raise RuntimeError(
                f"lerp: the shapes of start {tuple(np.shape(start))}, end {tuple(np.shape(end))} "
                f"and weight {tuple(np.shape(weight))} are not broadcastable") from None

    @staticmethod
    def backward(ctx, g):
        start, end, weight = ctx.saved_tensors
        s_start, s_end, s_weight = ctx.shapes
        need_s, need_e, need_w = ctx.needs_input_grad
        grad_s = sum_to(g * (1.0 - weight), s_start) if need_s else None
        grad_e = sum_to(g * weight, s_end) if need_e else None
        grad_w = sum_to(g * (end - start), s_weight) if need_w else None
        return grad_s, grad_e, grad_w


# ------------------------------------------------------------------------ public functions
def exp(input: Tensor) -> Tensor:
    """``e ** input`` elementwise (any shape; integers become the default float dtype)."""
    return Exp.apply(_floating(input, "exp"))


def expm1(input: Tensor) -> Tensor:
    """``exp(input) - 1``, accurate near 0."""
    return Expm1.apply(_floating(input, "expm1"))


def log(input: Tensor) -> Tensor:
    """Natural logarithm elementwise (-inf at 0, nan below)."""
    return Log.apply(_floating(input, "log"))


def log1p(input: Tensor) -> Tensor:
    """``log(1 + input)``, accurate near 0."""
    return Log1p.apply(_floating(input, "log1p"))


def sqrt(input: Tensor) -> Tensor:
    """Square root elementwise (nan below 0)."""
    return Sqrt.apply(_floating(input, "sqrt"))


def rsqrt(input: Tensor) -> Tensor:
    """``1 / sqrt(input)`` elementwise."""
    return Rsqrt.apply(_floating(input, "rsqrt"))


def reciprocal(input: Tensor) -> Tensor:
    """``1 / input`` elementwise (integers become the default float dtype)."""
    return Reciprocal.apply(_floating(input, "reciprocal"))


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent elementwise."""
    return Tanh.apply(_floating(input, "tanh"))


def sigmoid(input: Tensor) -> Tensor:
    """Logistic function ``1 / (1 + exp(-input))`` elementwise; saturates without overflow."""
    return Sigmoid.apply(_floating(input, "sigmoid"))


def relu(input: Tensor) -> Tensor:
    """``max(input, 0)`` elementwise; the gradient at 0 is 0. Integer dtypes are kept."""
    _check_tensor(input, "relu")
    if input._data.dtype.kind == "b":
        raise RuntimeError("relu: \"clamp_min\" not implemented for 'Bool'")
    return Relu.apply(input)


def abs(input: Tensor) -> Tensor:  # noqa: A001 - PyTorch's name
    """Absolute value elementwise; the gradient at 0 is 0. Integer dtypes are kept."""
    _check_tensor(input, "abs")
    if input._data.dtype.kind == "b":
        raise RuntimeError("abs: \"abs_cpu\" not implemented for 'Bool'")
    return Abs.apply(input)


absolute = abs


def sin(input: Tensor) -> Tensor:
    return Sin.apply(_floating(input, "sin"))


def cos(input: Tensor) -> Tensor:
    return Cos.apply(_floating(input, "cos"))


def tan(input: Tensor) -> Tensor:
    return Tan.apply(_floating(input, "tan"))


def sign(input: Tensor) -> Tensor:
    """-1, 0 or 1 elementwise (bool stays bool); zero gradient."""
    _check_tensor(input, "sign")
    if input._data.dtype.kind == "b":
        return Tensor._make(input._data.copy())
    return Sign.apply(input)


def _rounding(cls, name):
    def fn(input: Tensor) -> Tensor:
        _check_tensor(input, name)
        if input._data.dtype.kind in "iub":
            if input._data.dtype.kind == "b":
                raise RuntimeError(f"{name}: \"{name}_cpu\" not implemented for 'Bool'")
            return Tensor._make(input._data.copy())  # integers are already whole
        return cls.apply(input)

    fn.__name__ = name
    fn.__doc__ = f"``{name}`` elementwise (integer tensors are returned as a copy); zero gradient."
    return fn


floor = _rounding(Floor, "floor")
ceil = _rounding(Ceil, "ceil")
trunc = _rounding(Trunc, "trunc")
fix = trunc


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001 - PyTorch's name
    """Round half to even, to ``decimals`` decimal places; zero gradient."""
    _check_tensor(input, "round")
    if input._data.dtype.kind in "iu" and decimals == 0:
        return Tensor._make(input._data.copy())
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"round: not implemented for dtype {input.dtype} with decimals={decimals}")
    return Round.apply(input, int(decimals))


def frac(input: Tensor) -> Tensor:
    """``input - trunc(input)``: the fractional part, with the sign of ``input``."""
    _check_tensor(input, "frac")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"frac: \"frac_cpu\" not implemented for {input.dtype}")
    return Frac.apply(input)


def square(input: Tensor) -> Tensor:
    """``input * input`` elementwise (integer dtypes kept; bool becomes int64)."""
    _check_tensor(input, "square")
    if input._data.dtype.kind == "b":
        input = Tensor._make(input._data.astype(np.int64))
    return input.pow(2)


def lerp(input: Tensor, end: Tensor, weight) -> Tensor:
    """``input + weight * (end - input)`` with broadcasting; ``weight`` a number or a tensor.

    As in PyTorch, ``input``, ``end`` (and a tensor ``weight``) must share one floating dtype."""
    _check_tensor(input, "lerp")
    _check_tensor(end, "lerp")
    dt = input._data.dtype
    if dt.kind != "f":
        raise RuntimeError(f"lerp: expected a floating point input, got {input.dtype}")
    if end._data.dtype != dt:
        raise RuntimeError(f"lerp: expected dtype {input.dtype} for `end` but got dtype {end.dtype}")
    if isinstance(weight, Tensor):
        if weight._data.dtype != dt:
            raise RuntimeError(
                f"lerp: expected dtype {input.dtype} for `weight` but got dtype {weight.dtype}")
    elif isinstance(weight, (int, float, np.number)) and not isinstance(weight, bool):
        weight = np.asarray(weight, dtype=dt)
    else:
        raise TypeError(f"lerp: weight must be a number or a Tensor, got {type(weight).__name__}")
    return Lerp.apply(input, end, weight)


# --------------------------------------------------------------------------- in place
def write_inplace(self: Tensor, fn, op: str, *args, **kwargs) -> Tensor:
    """Compute ``fn(self, ...)`` and store it in ``self``: through the graph (``apply_inplace``) when
    one is being recorded, else straight into the storage."""
    if grad_mode._enabled[0] and self._requires_grad:
        return apply_inplace(self, fn(self, *args, **kwargs), op)
    with grad_mode.no_grad():
        result = fn(self, *args, **kwargs)._data
    data = self._data
    if result.dtype != data.dtype and not np.can_cast(result.dtype, data.dtype, casting="same_kind"):
        raise RuntimeError(
            f"{op}: result type {result.dtype} can't be cast to the desired output type {data.dtype}")
    np.copyto(data, result, casting="unsafe")
    self._bump_version()
    return self


def _inplace(fn, name):
    def method(self, *args, **kwargs):
        return write_inplace(self, fn, name, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"In-place ``{fn.__name__}``: overwrites this tensor and returns it."
    return method


exp_ = _inplace(exp, "exp_")
expm1_ = _inplace(expm1, "expm1_")
log_ = _inplace(log, "log_")
log1p_ = _inplace(log1p, "log1p_")
sqrt_ = _inplace(sqrt, "sqrt_")
rsqrt_ = _inplace(rsqrt, "rsqrt_")
reciprocal_ = _inplace(reciprocal, "reciprocal_")
tanh_ = _inplace(tanh, "tanh_")
sigmoid_ = _inplace(sigmoid, "sigmoid_")
relu_ = _inplace(relu, "relu_")
abs_ = _inplace(abs, "abs_")
sin_ = _inplace(sin, "sin_")
cos_ = _inplace(cos, "cos_")
tan_ = _inplace(tan, "tan_")
sign_ = _inplace(sign, "sign_")
floor_ = _inplace(floor, "floor_")
ceil_ = _inplace(ceil, "ceil_")
round_ = _inplace(round, "round_")
trunc_ = _inplace(trunc, "trunc_")
frac_ = _inplace(frac, "frac_")
square_ = _inplace(square, "square_")
lerp_ = _inplace(lerp, "lerp_")

register_methods(
    exp=exp, expm1=expm1, log=log, log1p=log1p, sqrt=sqrt, rsqrt=rsqrt, reciprocal=reciprocal,
    tanh=tanh, sigmoid=sigmoid, relu=relu, abs=abs, absolute=abs, __abs__=abs, sin=sin, cos=cos,
    tan=tan, sign=sign, floor=floor, ceil=ceil, round=round, trunc=trunc, fix=trunc, frac=frac,
    square=square, lerp=lerp,
    exp_=exp_, expm1_=expm1_, log_=log_, log1p_=log1p_, sqrt_=sqrt_, rsqrt_=rsqrt_,
    reciprocal_=reciprocal_, tanh_=tanh_, sigmoid_=sigmoid_, relu_=relu_, abs_=abs_,
    absolute_=abs_, sin_=sin_, cos_=cos_, tan_=tan_, sign_=sign_, floor_=floor_, ceil_=ceil_,
    round_=round_, trunc_=trunc_, fix_=trunc_, frac_=frac_, square_=square_, lerp_=lerp_,
)

__all__ = [
    "exp", "expm1", "log", "log1p", "sqrt", "rsqrt", "reciprocal", "tanh", "sigmoid", "relu",
    "abs", "absolute", "sin", "cos", "tan", "sign", "floor", "ceil", "round", "trunc", "fix",
    "frac", "square", "lerp", "exp_", "relu_", "sigmoid_", "tanh_", "sqrt_", "abs_",
]
