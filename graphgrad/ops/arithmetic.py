"""Binary arithmetic with broadcasting: add, sub, mul, div, pow, floor_divide, remainder, neg,
and their in-place and reflected forms (``+ - * / ** // %``)."""
from __future__ import annotations

import numpy as np

from ..autograd import grad_mode
from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor
from ._util import coerce_pair, register_methods, sum_to, sum_to_array


def _shapes(a, b) -> tuple:
    """The operands' shapes (``np.shape`` only for the rare non-array operand: it costs ~0.5 us)."""
    return (a.shape if type(a) is np.ndarray else np.shape(a),
            b.shape if type(b) is np.ndarray else np.shape(b))


def _broadcast_op(name, ufunc, a, b):
    try:
        return ufunc(a, b)
    except ValueError:
        raise RuntimeError(
            f"{name}: the size of tensor a {tuple(np.shape(a))} must match the size of tensor b "
            f"{tuple(np.shape(b))} at each non-singleton dimension (shapes are not broadcastable)"
        ) from None


class Add(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = _shapes(a, b)
        return _broadcast_op("add", np.add, a, b)

    @staticmethod
    def backward(ctx, g):
        sa, sb = ctx.shapes
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(g, sa) if need_a else None), (sum_to(g, sb) if need_b else None)

    @staticmethod
    def backward_arrays(ctx, g):
        sa, sb = ctx.shapes
        need_a, need_b = ctx.needs_input_grad
        return (sum_to_array(g, sa) if need_a else None), (sum_to_array(g, sb) if need_b else None)


class Sub(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = _shapes(a, b)
        return _broadcast_op("sub", np.subtract, a, b)

    @staticmethod
    def backward(ctx, g):
        sa, sb = ctx.shapes
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(g, sa) if need_a else None), (sum_to(-g, sb) if need_b else None)

    @staticmethod
    def backward_arrays(ctx, g):
        sa, sb = ctx.shapes
        need_a, need_b = ctx.needs_input_grad
        return ((sum_to_array(g, sa) if need_a else None),
                (sum_to_array(np.negative(g), sb) if need_b else None))


class Mul(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = _shapes(a, b)
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        return _broadcast_op("mul", np.multiply, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        sa, sb = ctx.shapes
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(g * b, sa) if need_a else None), (sum_to(g * a, sb) if need_b else None)

    @staticmethod
    def backward_arrays(ctx, g):
        a, b = ctx.saved_arrays
        sa, sb = ctx.shapes
        need_a, need_b = ctx.needs_input_grad
        return ((sum_to_array(g * b, sa) if need_a else None),
                (sum_to_array(g * a, sb) if need_b else None))


class Div(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = _shapes(a, b)
        ctx.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _broadcast_op("div", np.true_divide, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        sa, sb = ctx.shapes
        need_a, need_b = ctx.needs_input_grad
        grad_a = sum_to(g / b, sa) if need_a else None
        grad_b = sum_to(-g * a / (b * b), sb) if need_b else None
        return grad_a, grad_b

    @staticmethod
    def backward_arrays(ctx, g):
        a, b = ctx.saved_arrays
        sa, sb = ctx.shapes
        need_a, need_b = ctx.needs_input_grad
        with np.errstate(divide="ignore", invalid="ignore"):
            grad_a = sum_to_array(g / b, sa) if need_a else None
            grad_b = sum_to_array(-g * a / (b * b), sb) if need_b else None
        return grad_a, grad_b


class Neg(ArrayFunction):
    @staticmethod
    def forward(ctx, a):
        return np.negative(a)

    @staticmethod
    def backward(ctx, g):
        return -g

    @staticmethod
    def backward_arrays(ctx, g):
        return np.negative(g)


class PowScalar(ArrayFunction):
    """``x ** p`` for a Python number ``p``."""

    @staticmethod
    def forward(ctx, a, p):
        ctx.p = p
        ctx.save_for_backward(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.power(a, np.asarray(p, dtype=a.dtype) if a.dtype.kind == "f" else p)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        p = ctx.p
        if p == 0:
            return g * 0.0, None
        if p == 1:
            return g, None
        if p == 2:
            return g * (a * 2.0), None
        return g * (a ** (p - 1) * p), None


class Pow(ArrayFunction):
    """``a ** b`` where the exponent is a tensor (or the base is a constant)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = _shapes(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = _broadcast_op("pow", np.power, a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        sa, sb = ctx.shapes
        need_a, need_b = ctx.needs_input_grad
        grad_a = sum_to(g * b * a ** (b - 1), sa) if need_a else None
        grad_b = None
        if need_b:
            # d/db a**b = a**b * log(a); defined as 0 where a == 0 and b >= 0, as PyTorch does
            # (log(1) = 0 inside the masked branch keeps its second derivative finite too)
            zero_base = (a == 0) & (b >= 0)
            safe_log = where(zero_base, 1.0, a).log()
            grad_b = sum_to(where(zero_base, 0.0, g * out * safe_log), sb)
        return grad_a, grad_b


class FloorDivide(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            return _broadcast_op("floor_divide", np.floor_divide, a, b)

    @staticmethod
    def backward(ctx, g):
        return None, None  # piecewise constant: PyTorch gives no gradient either


class Remainder(ArrayFunction):
    """Python-style remainder: the result has the sign of the divisor (``torch.remainder``)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = _shapes(a, b)
        ctx.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _broadcast_op("remainder", np.mod, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        sa, sb = ctx.shapes
        need_a, need_b = ctx.needs_input_grad
        grad_a = sum_to(g, sa) if need_a else None
        grad_b = sum_to(-g * (a / b).floor(), sb) if need_b else None
        return grad_a, grad_b


# ---------------------------------------------------------------- public functions
def add(input, other, *, alpha=1, out=None):
    """``input + alpha * other`` with broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    a, b = coerce_pair(input, other, "add")
    return _maybe_out(Add.apply(a, b), out)


def sub(input, other, *, alpha=1, out=None):
    """``input - alpha * other`` with broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    a, b = coerce_pair(input, other, "sub")
    return _maybe_out(Sub.apply(a, b), out)


subtract = sub


def mul(input, other, *, out=None):
    a, b = coerce_pair(input, other, "mul")
    return _maybe_out(Mul.apply(a, b), out)


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    """True division (integers give floats); ``rounding_mode`` 'floor' or 'trunc' as in PyTorch."""
    if rounding_mode == "floor":
        return _maybe_out(floor_divide(input, other), out)
    if rounding_mode == "trunc":
        q = div(input, other)
        result = q.trunc()
        if isinstance(input, Tensor) and input._data.dtype.kind in "iu" and (
                not isinstance(other, Tensor) or other._data.dtype.kind in "iu"):
            result = result.to(input.dtype)
        return _maybe_out(result, out)
    if rounding_mode is not None:
        raise ValueError(f"div: expected rounding_mode None, 'trunc' or 'floor', got {rounding_mode!r}")
    a, b = coerce_pair(input, other, "div")
    if _is_integral(a) and _is_integral(b):
        a, b = _to_float(a), _to_float(b)
    return _maybe_out(Div.apply(a, b), out)


divide = true_divide = div


def _is_integral(x):
    dt = x._data.dtype if isinstance(x, Tensor) else np.asarray(x).dtype
    return dt.kind in "iub"


def _to_float(x):
    from ..backend import get_default_dtype

    if isinstance(x, Tensor):
        return x.to(get_default_dtype())
    return np.asarray(x, dtype=get_default_dtype().np)


def neg(input):
    return Neg.apply(input)


negative = neg


def pow(input, exponent):
    """``input ** exponent``; either may be a tensor or a number."""
    if isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        if isinstance(exponent, (bool, int, float, np.number)):
            if input._data.dtype.kind in "iub" and isinstance(exponent, float):
                input = _to_float(input)
            return PowScalar.apply(input, exponent)
    a, b = coerce_pair(input, exponent, "pow")
    return Pow.apply(a, b)


def floor_divide(input, other):
    a, b = coerce_pair(input, other, "floor_divide")
    return FloorDivide.apply(a, b)


def remainder(input, other):
    a, b = coerce_pair(input, other, "remainder")
    return Remainder.apply(a, b)


def where(condition, input, other):
    from .selection import where as _where

    return _where(condition, input, other)


def _maybe_out(result, out):
    if out is None:
        return result
    out.copy_(result)
    return out


# ------------------------------------------------------------------- in-place
def apply_inplace(self: Tensor, result: Tensor, op: str) -> Tensor:
    """Write ``result`` (computed out of place) into ``self``'s storage and make ``self`` stand for it
    in the graph; bump the version so backward can detect values it saved that are now stale."""
    if grad_mode._enabled[0]:
        if self.grad_fn is None and self._requires_grad:
            raise RuntimeError(
                f"{op}: a leaf Variable that requires grad is being used in an in-place operation.")
        if result._requires_grad and self._base is not None and self._base._requires_grad:
            rebase = getattr(self.grad_fn, "inplace_on_view", None)  # an indexing view of its base
            if rebase is not None:
                _snapshot_saved_self(result, self)
                done = rebase(self, result, op)
                if done is not None:
                    return done
            raise RuntimeError(
                f"{op}: in-place operation on a view of a tensor that requires grad is not supported; "
                "use an out-of-place operation, or index assignment on the base tensor")
    data = self._data
    check_writable(data, op)
    _snapshot_saved_self(result, self)
    if result._data.dtype != data.dtype and not np.can_cast(result._data.dtype, data.dtype,
                                                            casting="same_kind"):
        raise RuntimeError(
            f"{op}: result type {result.dtype} can't be cast to the desired output type {self.dtype}")
    try:
        np.copyto(data, result._data, casting="unsafe")
    except ValueError:
        raise RuntimeError(
            f"{op}: output with shape {list(data.shape)} doesn't match the broadcast shape "
            f"{list(result._data.shape)}") from None
    self._bump_version()
    if result.grad_fn is None:
        if self.grad_fn is not None:  # overwritten by a constant: no gradient flows back any more
            self.grad_fn = None
            self._requires_grad = False
    else:
        self.grad_fn = result.grad_fn
        self._out_nr = result._out_nr
        self._requires_grad = True
        # the node's saved output (if any) must be checked against this tensor's version now
        _retarget_saved_output(result, self)
    return self


def check_writable(data: np.ndarray, op: str) -> None:
    """An expanded tensor (read-only broadcast view) cannot be written in place, as in PyTorch."""
    if not data.flags.writeable:
        raise RuntimeError(
            f"{op}: unsupported operation: more than one element of the written-to tensor refers to "
            "a single memory location (it is an expanded view). Please clone() the tensor before "
            "performing the operation.")


def _snapshot_saved_self(result: Tensor, self: Tensor) -> None:
    """If the op saved ``self`` as an input, keep a copy of its old value (and old place in the
    graph) for backward, since ``self`` is about to be overwritten (PyTorch does the same)."""
    node = result.grad_fn
    if node is None or not node._saved:
        return
    snapshot = None
    for s in node._saved:
        if s is not None and s.kind == "input" and s.value is self:
            if snapshot is None:
                snapshot = Tensor._make(self._data.copy(), self._requires_grad, self.grad_fn,
                                        self._out_nr)
            s.value, s.vc, s.version = snapshot, snapshot._vc, 0


def _retarget_saved_output(result: Tensor, target: Tensor) -> None:
    saved = result.grad_fn._saved
    if not saved:
        return
    for s in saved:
        if s is not None and s.kind == "output" and s.value[0] is result._data:
            s.value = (target._data, s.value[1])
            s.vc = target._vc
            s.version = target._vc[0]


def _needs_graph(self: Tensor, other) -> bool:
    return grad_mode._enabled[0] and (
        self._requires_grad or (isinstance(other, Tensor) and other._requires_grad))


def _fast_inplace(self: Tensor, ufunc, other, op: str) -> Tensor:
    """In-place update with no graph to record (optimizer steps, init): one ufunc call."""
    operand = other._data if isinstance(other, Tensor) else other
    check_writable(self._data, op)
    try:
        ufunc(self._data, operand, out=self._data, casting="same_kind")
    except TypeError as exc:  # NumPy's casting error is a TypeError
        raise RuntimeError(
            f"{op}: result type of {np.result_type(self._data, operand)} can't be cast to the "
            f"desired output type {self.dtype}") from exc
    except ValueError:
        raise RuntimeError(
            f"{op}: output with shape {list(self._data.shape)} doesn't match the broadcast shape "
            f"{list(np.broadcast_shapes(self._data.shape, np.shape(operand)))}") from None
    self._bump_version()
    return self


def add_(self, other, *, alpha=1):
    if not _needs_graph(self, other):
        if alpha != 1:
            other = (other._data if isinstance(other, Tensor) else other) * alpha
        return _fast_inplace(self, np.add, other, "add_")
    return apply_inplace(self, add(self, other, alpha=alpha), "add_")


def sub_(self, other, *, alpha=1):
    if not _needs_graph(self, other):
        if alpha != 1:
            other = (other._data if isinstance(other, Tensor) else other) * alpha
        return _fast_inplace(self, np.subtract, other, "sub_")
    return apply_inplace(self, sub(self, other, alpha=alpha), "sub_")


def mul_(self, other):
    if not _needs_graph(self, other):
        return _fast_inplace(self, np.multiply, other, "mul_")
    return apply_inplace(self, mul(self, other), "mul_")


def div_(self, other, *, rounding_mode=None):
    if not _needs_graph(self, other) and rounding_mode is None:
        return _fast_inplace(self, np.true_divide, other, "div_")
    return apply_inplace(self, div(self, other, rounding_mode=rounding_mode), "div_")


def pow_(self, exponent):
    return apply_inplace(self, pow(self, exponent), "pow_")


def neg_(self):
    return apply_inplace(self, neg(self), "neg_")


def _rsub(self, other):
    return sub(other, self)


def _rdiv(self, other):
    return div(other, self)


def _rpow(self, other):
    return pow(other, self)


def _rfloordiv(self, other):
    return floor_divide(other, self)


def _rmod(self, other):
    return remainder(other, self)


def _iadd(self, other):
    return add_(self, other)


def _isub(self, other):
    return sub_(self, other)


def _imul(self, other):
    return mul_(self, other)


def _itruediv(self, other):
    return div_(self, other)


register_methods(
    add=add, sub=sub, subtract=sub, mul=mul, multiply=mul, div=div, divide=div, true_divide=div,
    neg=neg, negative=neg, pow=pow, floor_divide=floor_divide, remainder=remainder,
    add_=add_, sub_=sub_, mul_=mul_, div_=div_, pow_=pow_, neg_=neg_,
    __add__=add, __radd__=add, __sub__=sub, __rsub__=_rsub, __mul__=mul, __rmul__=mul,
    __truediv__=div, __rtruediv__=_rdiv, __pow__=pow, __rpow__=_rpow, __neg__=neg,
    __floordiv__=floor_divide, __rfloordiv__=_rfloordiv, __mod__=remainder, __rmod__=_rmod,
    __iadd__=_iadd, __isub__=_isub, __imul__=_imul, __itruediv__=_itruediv,
    __pos__=lambda self: self,
)

__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "neg",
           "negative", "pow", "floor_divide", "remainder"]
