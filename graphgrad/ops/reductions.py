"""Reductions beyond sum and mean (those live in ``reduce.py``): var/std (and ``*_mean``), max/min
(value, or ``(values, indices)`` along a dim), amax/amin, argmax/argmin, prod, logsumexp, norm,
cumsum/cumprod, all/any and count_nonzero.

Gradients follow PyTorch: ``max()``/``min()`` without a dim and ``amax``/``amin`` share the gradient
evenly among tied extremes; ``max(dim)``/``min(dim)`` send it to the returned index; ``prod`` and
``cumprod`` are exact where the input holds zeros; ``norm`` has a zero gradient at the zero vector.
"""
from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor
from ..backend import get_default_dtype
from ._util import register_methods, wrap_dim, wrap_dims
from .reduce import expand_reduced, expand_reduced_array
from .selection import masked_array


def _check_tensor(x, op: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(x).__name__}")


def _const(array) -> Tensor:
    return Tensor._make(np.asarray(array))


def _keep(array: np.ndarray, in_shape: tuple, axes, keepdim: bool) -> np.ndarray:
    """A reduced array reshaped to broadcast against the input (size 1 on the reduced axes)."""
    if keepdim:
        return array
    shape = [1] * len(in_shape) if axes is None else list(in_shape)
    if axes is not None:
        for a in axes:
            shape[a] = 1
    return array.reshape(shape)


def _reduced_count(shape: tuple, axes) -> int:
    if axes is None:
        return int(np.prod(shape, dtype=np.int64))
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


# ------------------------------------------------------------------------------ var / std
class Var(ArrayFunction):
    """Variance over ``axes`` with ``correction`` (Bessel's correction is 1)."""

    @staticmethod
    def forward(ctx, x, axes, correction, keepdim):
        n = _reduced_count(x.shape, axes)
        ctx.in_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        ctx.denom = builtins.max(n - correction, 0)
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore", divide="ignore"):
            centered = x - x.mean(axis=axes, keepdims=True)
            sq = np.square(centered)
            total = sq.sum(axis=axes, keepdims=keepdim)
            return total / np.asarray(ctx.denom, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        centered = x - x.mean(dim=ctx.axes, keepdim=True)
        scale = expand_reduced(g, ctx.in_shape, ctx.axes, ctx.keepdim)
        return scale * centered * (2.0 / ctx.denom if ctx.denom else float("inf")), None, None, None


def _var_args(op, input, dim, unbiased, keepdim, correction):
    _check_tensor(input, op)
    if isinstance(dim, bool):  # the old overload var(input, unbiased)
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise RuntimeError(f"{op}: cannot specify both unbiased and correction")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"{op}: std and var only support floating point and complex dtypes, got {input.dtype}")
    axes = wrap_dims(dim, input._data.ndim, op)
    if axes is None and dim is not None:  # dim=() or [] means every dimension, as in PyTorch
        axes = None
    return axes, correction, keepdim


def var(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Variance over ``dim`` (all when None), dividing by ``N - correction`` (default 1; or
    ``unbiased=False`` for 0). Shape: the input's without ``dim`` (kept as 1 with ``keepdim``)."""
    axes, correction, keepdim = _var_args("var", input, dim, unbiased, keepdim, correction)
    return Var.apply(input, axes, correction, keepdim)


def std(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Standard deviation: ``sqrt(var(...))`` with the same arguments."""
    axes, correction, keepdim = _var_args("std", input, dim, unbiased, keepdim, correction)
    return Var.apply(input, axes, correction, keepdim).sqrt()


def var_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """``(var, mean)`` over the same dims."""
    axes, correction, keepdim = _var_args("var_mean", input, dim, unbiased, keepdim, correction)
    return Var.apply(input, axes, correction, keepdim), input.mean(axes, keepdim=keepdim)


def std_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """``(std, mean)`` over the same dims."""
    axes, correction, keepdim = _var_args("std_mean", input, dim, unbiased, keepdim, correction)
    return Var.apply(input, axes, correction, keepdim).sqrt(), input.mean(axes, keepdim=keepdim)


# ------------------------------------------------------------------------ max / min family
return_types_max = namedtuple("max", ["values", "indices"])
return_types_min = namedtuple("min", ["values", "indices"])


class Extreme(ArrayFunction):
    """``amax``/``amin`` over ``axes`` (all when None); ties share the gradient evenly."""

    @staticmethod
    def forward(ctx, x, axes, keepdim, largest):
        ctx.in_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        out = (np.max if largest else np.min)(x, axis=axes, keepdims=keepdim)
        if ctx.needs_input_grad[0] and x.dtype.kind == "f":
            peak = _keep(out, x.shape, axes, keepdim)
            mask = (x == peak) | (np.isnan(x) & np.isnan(peak))
            ctx.mask = mask
            ctx.count = mask.sum(axis=axes, keepdims=True).astype(x.dtype)
        return out

    @staticmethod
    def backward(ctx, g):
        share = expand_reduced(g, ctx.in_shape, ctx.axes, ctx.keepdim) / _const(ctx.count)
        return _select(ctx.mask, share), None, None, None

    @staticmethod
    def backward_arrays(ctx, g):
        share = expand_reduced_array(g, ctx.in_shape, ctx.axes, ctx.keepdim) / ctx.count
        return masked_array(ctx.mask, share), None, None, None


def _select(mask: np.ndarray, values: Tensor) -> Tensor:
    from .selection import where

    return where(_const(mask), values, 0.0)


class ExtremeDim(ArrayFunction):
    """``max(dim)``/``min(dim)``: values and the int64 index of the (first) extreme along ``axis``."""

    @staticmethod
    def forward(ctx, x, axis, keepdim, largest):
        idx = (np.argmax if largest else np.argmin)(x, axis=axis, keepdims=True)
        values = np.take_along_axis(x, idx, axis=axis)
        ctx.in_shape, ctx.axis, ctx.keepdim = x.shape, axis, keepdim
        if ctx.needs_input_grad[0]:
            ctx.mask = np.arange(x.shape[axis]).reshape(
                [-1 if a == axis else 1 for a in range(x.ndim)]) == idx
        if not keepdim:
            values, idx = values.squeeze(axis), idx.squeeze(axis)
        return values, idx.astype(np.int64, copy=False)

    @staticmethod
    def backward(ctx, g, _g_idx=None):
        spread = expand_reduced(g, ctx.in_shape, (ctx.axis,), ctx.keepdim)
        return _select(ctx.mask, spread), None, None, None

    @staticmethod
    def backward_arrays(ctx, g, _g_idx=None):
        spread = expand_reduced_array(g, ctx.in_shape, (ctx.axis,), ctx.keepdim)
        return masked_array(ctx.mask, spread), None, None, None


def _check_nonempty(input: Tensor, axes, op: str) -> None:
    shape = input._data.shape
    if input._data.size == 0:
        if axes is None:
            raise RuntimeError(
                f"{op}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument.")
        for a in axes:
            if shape[a] == 0:
                raise RuntimeError(f"{op}(): Expected reduction dim {a} to have non-zero size.")


def _extreme_dim(input, dim, keepdim, largest, op):
    _check_tensor(input, op)
    if input._data.dtype == np.bool_ and input._data.ndim == 0:
        pass
    axis = wrap_dim(dim, input._data.ndim, op)
    _check_nonempty(input, (axis,) if input._data.ndim else None, op)
    if input._data.ndim == 0:
        values = Extreme.apply(input, None, False, largest)
        return values, Tensor._make(np.zeros((), dtype=np.int64))
    return ExtremeDim.apply(input, axis, keepdim, largest)


def max(input: Tensor, dim=None, keepdim: bool = False):  # noqa: A001 - PyTorch's name
    """``max(input)``: the largest value (0-d). ``max(input, dim, keepdim=False)``: a named tuple
    ``(values, indices)`` along ``dim``. ``max(input, other)``: elementwise ``maximum``."""
    if isinstance(dim, Tensor):
        from .selection import maximum

        return maximum(input, dim)
    if dim is None:
        _check_tensor(input, "max")
        _check_nonempty(input, None, "max")
        return Extreme.apply(input, None, False, True)
    return return_types_max(*_extreme_dim(input, dim, keepdim, True, "max"))


def min(input: Tensor, dim=None, keepdim: bool = False):  # noqa: A001 - PyTorch's name
    """``min(input)``: the smallest value (0-d). ``min(input, dim, keepdim=False)``: a named tuple
    ``(values, indices)`` along ``dim``. ``min(input, other)``: elementwise ``minimum``."""
    if isinstance(dim, Tensor):
        from .selection import minimum

        return minimum(input, dim)
    if dim is None:
        _check_tensor(input, "min")
        _check_nonempty(input, None, "min")
        return Extreme.apply(input, None, False, False)
    return return_types_min(*_extreme_dim(input, dim, keepdim, False, "min"))


def _amax_axes(input, dim, op):
    _check_tensor(input, op)
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        dim = None
    axes = wrap_dims(dim, input._data.ndim, op)
    if input._data.ndim == 0:
        axes = None
    _check_nonempty(input, axes, op)
    return axes


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Largest value over ``dim`` (an int, a tuple, or () for all); ties share the gradient."""
    return Extreme.apply(input, _amax_axes(input, dim, "amax"), keepdim, True)


def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Smallest value over ``dim`` (an int, a tuple, or () for all); ties share the gradient."""
    return Extreme.apply(input, _amax_axes(input, dim, "amin"), keepdim, False)


def _arg_extreme(input, dim, keepdim, largest, op):
    _check_tensor(input, op)
    x = input._data
    fn = np.argmax if largest else np.argmin
    if dim is None:
        _check_nonempty(input, None, op)
        idx = np.asarray(fn(x.reshape(-1)), dtype=np.int64)
        return Tensor._make(idx.reshape((1,) * x.ndim) if keepdim else idx)
    axis = wrap_dim(dim, x.ndim, op)
    if x.ndim == 0:
        return Tensor._make(np.zeros((), dtype=np.int64))
    _check_nonempty(input, (axis,), op)
    return Tensor._make(fn(x, axis=axis, keepdims=keepdim).astype(np.int64, copy=False))


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index (int64) of the first largest value, over the flattened input when ``dim`` is None."""
    return _arg_extreme(input, dim, keepdim, True, "argmax")


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index (int64) of the first smallest value, over the flattened input when ``dim`` is None."""
    return _arg_extreme(input, dim, keepdim, False, "argmin")


# ---------------------------------------------------------------------------------- prod
class Prod(ArrayFunction):
    """Product over one axis (or all, when ``axis`` is None); exact gradient with zeros."""

    @staticmethod
    def forward(ctx, x, axis, keepdim, dtype):
        ctx.in_shape, ctx.axis, ctx.keepdim = x.shape, axis, keepdim
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(x)
        return np.prod(x, axis=axis, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        axes = None if ctx.axis is None else (ctx.axis,)
        g = expand_reduced(g, ctx.in_shape, axes, ctx.keepdim)
        return g * _prod_of_others(x, ctx.axis), None, None, None


def _prod_of_others(x: Tensor, axis) -> Tensor:
    """For every element, the product of the other elements of its slice (differentiable)."""
    from .selection import where

    data = x._data
    is_zero = data == 0
    if not is_zero.any():
        return Prod.apply(x, axis, True, None) / x
    zeros = is_zero.sum(axis=axis, keepdims=True)
    x_safe = where(_const(is_zero), 1.0, x)
    nonzero_prod = Prod.apply(x_safe, axis, True, None)
    # with exactly one zero in a slice, that zero (value 0, derivative 1) multiplies every other
    # element's share, so the second derivative stays right; the_zero is the sum of the zeros
    the_zero = where(_const(is_zero), x, 0.0)
    the_zero = the_zero.sum() if axis is None else the_zero.sum(dim=axis, keepdim=True)
    one_zero = where(_const(is_zero), nonzero_prod, the_zero * nonzero_prod / x_safe)
    # with two zeros only each zero's share is nonzero to first order: the other zero's value
    two_zeros = where(_const(is_zero), (the_zero - x) * nonzero_prod, 0.0)
    return where(_const(zeros == 0), nonzero_prod / x_safe,
                 where(_const(zeros == 1), one_zero, where(_const(zeros == 2), two_zeros, 0.0)))


def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product of the elements over ``dim`` (one int; all when None). Integers give int64."""
    _check_tensor(input, "prod")
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind in "biu":
        input = Tensor._make(input._data.astype(np.int64))
    if dim is None:
        return Prod.apply(input, None, False, None)
    axis = wrap_dim(dim, input._data.ndim, "prod")
    if input._data.ndim == 0:
        return Prod.apply(input, None, False, None)
    return Prod.apply(input, axis, keepdim, None)


# ----------------------------------------------------------------------------- logsumexp
class LogSumExp(ArrayFunction):
    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.in_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        peak = np.max(x, axis=axes, keepdims=True) if x.size else np.zeros((1,) * x.ndim, x.dtype)
        peak = np.where(np.isfinite(peak), peak, np.zeros((), dtype=x.dtype))
        with np.errstate(divide="ignore", invalid="ignore"):
            total = np.exp(x - peak).sum(axis=axes, keepdims=True)
            out = np.log(total) + peak
        if not keepdim:
            out = out.reshape(()) if axes is None else out.squeeze(axis=axes)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        shape = ctx.in_shape
        g = expand_reduced(g, shape, ctx.axes, ctx.keepdim)
        out = expand_reduced(out, shape, ctx.axes, ctx.keepdim)
        return g * (x - out).exp(), None, None


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(input), dim))`` computed stably (shifted by the maximum)."""
    _check_tensor(input, "logsumexp")
    if input._data.dtype.kind != "f":
        input = Tensor._make(input._data.astype(get_default_dtype().np))
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        dim = None
    axes = wrap_dims(dim, input._data.ndim, "logsumexp")
    if input._data.ndim == 0:
        axes = None
    return LogSumExp.apply(input, axes, keepdim)


# ---------------------------------------------------------------------------------- norm
class Norm(ArrayFunction):
    """Vector p-norm over ``axes``: ``sum(|x| ** p) ** (1 / p)``; max/min of ``|x|`` for +-inf."""

    @staticmethod
    def forward(ctx, x, p, axes, keepdim):
        ctx.in_shape, ctx.axes, ctx.keepdim, ctx.p = x.shape, axes, keepdim, p
        a = np.abs(x)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if p == 2:
                out = np.sqrt(np.square(x).sum(axis=axes, keepdims=keepdim))
            elif p == 1:
                out = a.sum(axis=axes, keepdims=keepdim)
            elif p == np.inf:
                out = a.max(axis=axes, keepdims=keepdim) if a.size else np.zeros_like(
                    a.sum(axis=axes, keepdims=keepdim))
            elif p == -np.inf:
                out = a.min(axis=axes, keepdims=keepdim)
            elif p == 0:
                out = (x != 0).sum(axis=axes, keepdims=keepdim).astype(x.dtype)
            else:
                out = np.power(np.power(a, p).sum(axis=axes, keepdims=keepdim), 1.0 / p)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        from .selection import where

        x, out = ctx.saved_tensors
        p, shape = ctx.p, ctx.in_shape
        g = expand_reduced(g, shape, ctx.axes, ctx.keepdim)
        if p == 0:
            return g * 0.0, None, None, None
        if p == 1:
            return g * x.sign(), None, None, None
        out = expand_reduced(out, shape, ctx.axes, ctx.keepdim)
        if p in (np.inf, -np.inf):
            a = x._data.__abs__()
            mask = (a == out._data) | (np.isnan(a) & np.isnan(out._data))
            count = mask.sum(axis=ctx.axes, keepdims=True).astype(a.dtype)
            return _select(mask, g * x.sign() / _const(count)), None, None, None
        at_zero = _const(out._data == 0)
        safe_out = where(at_zero, 1.0, out)
        if p == 2:
            grad = g * x / safe_out
        else:
            grad = g * x * x.abs() ** (p - 2) / safe_out ** (p - 1)
        return where(at_zero, 0.0, grad), None, None, None


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """The vector p-norm of ``input`` over ``dim`` (all elements when None): ``p`` a number
    (including ``inf``, ``-inf`` and 0) or ``'fro'`` (the 2-norm). The gradient at 0 is 0."""
    _check_tensor(input, "norm")
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"norm: Expected a floating point or complex tensor as input. Got {input.dtype}")
    if p is None or p == "fro":
        p = 2
    elif isinstance(p, str):
        raise ValueError(f"norm: unsupported p {p!r}; expected a number or 'fro'")
    p = float(p)
    axes = wrap_dims(dim, input._data.ndim, "norm")
    if input._data.ndim == 0:
        axes = None
    return Norm.apply(input, p, axes, keepdim)


# --------------------------------------------------------------------- cumulative ops
class Cumsum(ArrayFunction):
    @staticmethod
    def forward(ctx, x, axis, dtype):
        ctx.axis = axis
        return np.cumsum(x, axis=axis, dtype=dtype)

    @staticmethod
    def backward(ctx, g):
        return _reverse_cumsum(g, ctx.axis), None, None


def _reverse_cumsum(g: Tensor, axis: int) -> Tensor:
    """``sum_{i >= j} g_i`` along ``axis``, written with cumsum so that it differentiates too."""
    return g.sum(dim=axis, keepdim=True) - Cumsum.apply(g, axis, None) + g


class Cumprod(ArrayFunction):
    @staticmethod
    def forward(ctx, x, axis, dtype):
        ctx.axis = axis
        out = np.cumprod(x, axis=axis, dtype=dtype)
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return _cumprod_grad(x, out, g, ctx.axis), None, None

    @staticmethod
    def backward_arrays(ctx, g):
        x, out = ctx.saved_arrays
        axis = ctx.axis
        is_zero = x == 0
        if not is_zero.any():
            with np.errstate(invalid="ignore", divide="ignore"):
                return _reverse_cumsum_array(g * out, axis) / x, None, None
        # Before the first zero of a slice the usual formula holds; at the first zero the gradient
        # is the running product with that zero replaced by 1; after it, every term is zero.
        before, at, _ = _first_zero_masks(is_zero, axis)
        x_safe = np.where(before, x, 1)
        early = _reverse_cumsum_array(g * out, axis) / x_safe
        late = _reverse_cumsum_array(g * np.cumprod(np.where(at, 1, x), axis=axis), axis)
        zero = np.zeros((), dtype=g.dtype)
        return np.where(before, early, np.where(at, late, zero)), None, None


def _reverse_cumsum_array(a: np.ndarray, axis: int) -> np.ndarray:
    return np.flip(np.cumsum(np.flip(a, axis), axis=axis), axis)


def _first_zero_masks(is_zero: np.ndarray, axis: int):
    """Masks of the positions before, at, and from the first zero of each slice along ``axis``."""
    n = is_zero.shape[axis]
    pos = np.arange(n).reshape([-1 if a == axis else 1 for a in range(is_zero.ndim)])
    first = np.where(is_zero.any(axis=axis, keepdims=True),
                     is_zero.argmax(axis=axis, keepdims=True), n)
    return pos < first, pos == first, pos >= first


def _cumprod_grad(x: Tensor, out: Tensor, g: Tensor, axis: int) -> Tensor:
    """Gradient of ``sum(g * cumprod(x))`` written with differentiable ops, exact with zeros.

    With zeros, ``cumprod(x) = cumprod(x') * F`` where ``x'`` has each slice's first zero ``x_z``
    replaced by 1 and ``F`` is ``x_z`` from that position on: the chain rule through both factors
    recurses on ``x'``, which has one zero fewer per slice (first-order backward does not recurse:
    ``backward_arrays`` handles it in one step)."""
    from .selection import where

    is_zero = x._data == 0
    if not is_zero.any():
        return _reverse_cumsum(g * out, axis) / x
    _, at, after = _first_zero_masks(is_zero, axis)
    at_t, after_t = _const(at), _const(after)
    x_skip = where(at_t, 1.0, x)
    x_z = where(at_t, x, 0.0).sum(dim=axis, keepdim=True)
    factor = where(after_t, x_z, 1.0)
    partial = Cumprod.apply(x_skip, axis, None)
    inner = _cumprod_grad(x_skip, partial, g * factor, axis)
    at_zero = where(after_t, g * partial, 0.0).sum(dim=axis, keepdim=True)
    return where(at_t, at_zero, inner)


def _cumulative(cls, op):
    def fn(input: Tensor, dim: int, *, dtype=None) -> Tensor:
        _check_tensor(input, op)
        if dtype is not None:
            input = input.to(dtype)
        elif input._data.dtype.kind in "biu":
            input = Tensor._make(input._data.astype(np.int64))
        if input._data.ndim == 0:
            wrap_dim(dim, 0, op)
            return cls.apply(input.reshape((1,)), 0, None).reshape(())
        return cls.apply(input, wrap_dim(dim, input._data.ndim, op), None)

    fn.__name__ = op
    return fn


cumsum = _cumulative(Cumsum, "cumsum")
cumsum.__doc__ = "Running sum along ``dim`` (same shape as ``input``; integers give int64)."
cumprod = _cumulative(Cumprod, "cumprod")
cumprod.__doc__ = "Running product along ``dim`` (same shape; exact gradient with zeros)."


# ----------------------------------------------------------------------------- logic
def _logical_reduce(np_fn, op):
    def fn(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
        _check_tensor(input, op)
        x = input._data
        axes = wrap_dims(dim, x.ndim, op) if x.ndim else None
        out = np.asarray(np_fn(x, axis=axes, keepdims=keepdim))
        return Tensor._make(out.astype(np.uint8) if x.dtype == np.uint8 else out)

    fn.__name__ = op
    fn.__doc__ = (f"Whether {'every' if op == 'all' else 'any'} element over ``dim`` (all when "
                  "None) is nonzero: a bool tensor.")
    return fn


all = _logical_reduce(np.all, "all")  # noqa: A001 - PyTorch's name
any = _logical_reduce(np.any, "any")  # noqa: A001 - PyTorch's name


def count_nonzero(input: Tensor, dim=None) -> Tensor:
    """Number of nonzero elements over ``dim`` (an int or a tuple; all when None): int64."""
    _check_tensor(input, "count_nonzero")
    x = input._data
    axes = wrap_dims(dim, x.ndim, "count_nonzero") if x.ndim else None
    return Tensor._make(np.asarray(np.count_nonzero(x, axis=axes), dtype=np.int64))


register_methods(
    var=var, std=std, max=max, min=min, amax=amax, amin=amin, argmax=argmax, argmin=argmin,
    prod=prod, logsumexp=logsumexp, norm=norm, cumsum=cumsum, cumprod=cumprod, all=all, any=any,
    count_nonzero=count_nonzero,
)

__all__ = [
    "var", "std", "var_mean", "std_mean", "max", "min", "amax", "amin", "argmax", "argmin",
    "prod", "logsumexp", "norm", "cumsum", "cumprod", "all", "any", "count_nonzero",
]
