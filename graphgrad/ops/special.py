"""Special functions as differentiable ops: erf, erfc, erfinv, lgamma, digamma, polygamma, mvlgamma,
the modified Bessel functions i0/i0e/i1/i1e, xlogy/xlog1py, entr, logit, sinc, and the normal CDF
family (ndtr, ndtri, log_ndtr). ``graphgrad.special`` re-exports them under ``torch.special``'s names.

Values are computed in float64 by ``_special_arrays`` and cast back to the input's dtype; integer
input becomes the default float dtype, as in PyTorch. Derivatives follow PyTorch's formulas:
``erf' = 2/sqrt(pi) exp(-x^2)``, ``lgamma' = digamma``, ``digamma' = polygamma(1, .)``,
``i0' = i1``, ``erfinv' = sqrt(pi)/2 exp(erfinv(x)^2)``.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor
from . import _special_arrays as S
from ._util import coerce_pair, register_methods, sum_to
from .elementwise import _floating, _inplace

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _cast(values: np.ndarray, like: np.ndarray) -> np.ndarray:
    return values.astype(like.dtype, copy=False)


class Erf(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _cast(S.erf(x), x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ((x * x).neg().exp() * _TWO_OVER_SQRT_PI)


class Erfc(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _cast(S.erfc(x), x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ((x * x).neg().exp() * -_TWO_OVER_SQRT_PI)


class Erfinv(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = _cast(S.erfinv(x), x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * ((out * out).exp() * (math.sqrt(math.pi) / 2.0))


class Lgamma(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _cast(S.lgamma(x), x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * digamma(x)


class Polygamma(ArrayFunction):
    """``polygamma(n, x)``; n = 0 is digamma."""

    @staticmethod
    def forward(ctx, x, n):
        ctx.n = n
        ctx.save_for_backward(x)
        return _cast(S.polygamma(n, x), x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * Polygamma.apply(x, ctx.n + 1), None


class BesselI(ArrayFunction):
    """``I_order(x)`` (order 0 or 1), optionally exponentially scaled: ``exp(-|x|) I_order(x)``."""

    @staticmethod
    def forward(ctx, x, order, scaled):
        ctx.order, ctx.scaled = order, scaled
        ctx.save_for_backward(x)
        return _cast(S.bessel_i(order, x, scaled), x)

    @staticmethod
    def backward(ctx, g):
        from .selection import where

        (x,) = ctx.saved_tensors
        order, scaled = ctx.order, ctx.scaled
        i1 = BesselI.apply(x, 1, scaled)
        if order == 0:
            d = i1 - x.sign() * BesselI.apply(x, 0, True) if scaled else i1
        else:
            # I1' = I0 - I1 / x, whose limit at x = 0 is 1/2
            safe = where(x == 0, 1.0, x)
            d = where(x == 0, 0.5, BesselI.apply(x, 0, scaled) - i1 / safe)
            if scaled:
                d = d - x.sign() * i1
        return g * d, None, None


class Sinc(ArrayFunction):
    """``sin(pi x) / (pi x)``, 1 at 0."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sinc(x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        from .selection import where

        (x,) = ctx.saved_tensors
        zero = x == 0
        px = where(zero, 1.0, x) * math.pi
        d = (px.cos() * px - px.sin()) / (px * where(zero, 1.0, x))
        return g * where(zero, 0.0, d)


class Xlogy(ArrayFunction):
    """``x * log(y)``, 0 where ``x == 0`` (unless ``y`` is nan); ``log1p=True`` gives ``xlog1py``."""

    @staticmethod
    def forward(ctx, x, y, log1p):
        ctx.shapes, ctx.log1p = (np.shape(x), np.shape(y)), log1p
        ctx.save_for_backward(x, y)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = x * (np.log1p(y) if log1p else np.log(y))
        return np.where((x == 0) & ~np.isnan(y), 0.0, out).astype(out.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        sx, sy = ctx.shapes
        need_x, need_y = ctx.needs_input_grad[:2]
        grad_x = grad_y = None
        if need_x:  # PyTorch: xlogy(g, y), 0 where x == 0 and y is outside log's domain
            edge = -1.0 if ctx.log1p else 0.0
            grad_x = Xlogy.apply(g, y, ctx.log1p).masked_fill((x == 0) & (y <= edge), 0.0)
            grad_x = sum_to(grad_x, sx)
        if need_y:
            grad_y = sum_to(g * x / ((y + 1.0) if ctx.log1p else y), sy)
        return grad_x, grad_y, None


class Entr(ArrayFunction):
    """``-x log x`` for x > 0, 0 at 0, -inf below."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = -x * np.log(x)
        out = np.where(x == 0, 0.0, out)
        return np.where(x < 0, -np.inf, out).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * -(x.log() + 1.0)


class Ndtri(ArrayFunction):
    """The inverse standard normal CDF: ``sqrt(2) erfinv(2p - 1)``."""

    @staticmethod
    def forward(ctx, p):
        p64 = np.asarray(p, dtype=np.float64)
        # for p < 1/2 use -erfinv(1 - 2p) via erfc's precision: ndtri(p) = -sqrt2 erfinv(1 - 2p)
        out = np.where(p64 < 0.5, -math.sqrt(2.0) * S.erfinv(1.0 - 2.0 * p64),
                       math.sqrt(2.0) * S.erfinv(2.0 * p64 - 1.0))
        out = _cast(out, p)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * ((out * out * 0.5).exp() * math.sqrt(2.0 * math.pi))


class LogNdtr(ArrayFunction):
    """``log(ndtr(x))``; the left tail uses the continued fraction of erfc, so it stays finite."""

    @staticmethod
    def forward(ctx, x):
        x64 = np.asarray(x, dtype=np.float64)
        with np.errstate(divide="ignore"):
            out = np.log(S.ndtr(x64))
            deep = x64 < -20.0  # ndtr underflows: log of the asymptotic erfc expansion
            if deep.any():
                a = -x64[deep] / math.sqrt(2.0)
                f = a.copy()
                for k in range(40, 0, -1):
                    f = a + (0.5 * k) / f
                out[deep] = -a * a - np.log(2.0 * math.sqrt(math.pi) * f)
        out = _cast(out, x)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        # d/dx log Phi(x) = phi(x) / Phi(x) = exp(-x^2/2 - log Phi(x)) / sqrt(2 pi)
        return g * ((x * x * -0.5 - out).exp() / math.sqrt(2.0 * math.pi))


# ------------------------------------------------------------------------ public functions
def erf(input: Tensor) -> Tensor:
    """The error function elementwise (any shape)."""
    return Erf.apply(_floating(input, "erf"))


def erfc(input: Tensor) -> Tensor:
    """``1 - erf(input)``, accurate in the right tail."""
    return Erfc.apply(_floating(input, "erfc"))


def erfinv(input: Tensor) -> Tensor:
    """The inverse error function on [-1, 1] (+-inf at +-1, nan outside)."""
    return Erfinv.apply(_floating(input, "erfinv"))


def lgamma(input: Tensor) -> Tensor:
    """``log|Gamma(input)|`` elementwise."""
    return Lgamma.apply(_floating(input, "lgamma"))


def digamma(input: Tensor) -> Tensor:
    """The logarithmic derivative of Gamma, ``psi(input)``; -inf at 0, nan at negative integers."""
    return Polygamma.apply(_floating(input, "digamma"), 0)


def polygamma(n: int, input: Tensor) -> Tensor:
    """The n-th derivative of digamma (``n >= 0``)."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        raise RuntimeError(f"polygamma: n must be a non-negative integer, got {n!r}")
    return Polygamma.apply(_floating(input, "polygamma"), int(n))


def mvlgamma(input: Tensor, p: int) -> Tensor:
    """The multivariate log-gamma of dimension ``p``:
    ``p(p-1)/4 log(pi) + sum_{i<p} lgamma(input - i/2)``; every element must exceed (p-1)/2."""
    x = _floating(input, "mvlgamma")
    if p < 1:
        raise RuntimeError(f"mvlgamma: p has to be greater than or equal to 1, got {p}")
    if x._data.size and not (x._data > (p - 1) / 2).all():
        raise RuntimeError(f"mvlgamma: All elements must be greater than (p-1)/2 = {(p - 1) / 2}")
    offsets = Tensor._make(-np.arange(p, dtype=x._data.dtype) / 2)
    return lgamma(x.unsqueeze(-1) + offsets).sum(-1) + p * (p - 1) / 4 * math.log(math.pi)


def i0(input: Tensor) -> Tensor:
    """The modified Bessel function of the first kind, order 0."""
    return BesselI.apply(_floating(input, "i0"), 0, False)


def i0e(input: Tensor) -> Tensor:
    """``exp(-|x|) * i0(x)``."""
    return BesselI.apply(_floating(input, "i0e"), 0, True)


def i1(input: Tensor) -> Tensor:
    """The modified Bessel function of the first kind, order 1."""
    return BesselI.apply(_floating(input, "i1"), 1, False)


def i1e(input: Tensor) -> Tensor:
    """``exp(-|x|) * i1(x)``."""
    return BesselI.apply(_floating(input, "i1e"), 1, True)


def sinc(input: Tensor) -> Tensor:
    """The normalised sinc ``sin(pi x) / (pi x)`` (1 at 0)."""
    return Sinc.apply(_floating(input, "sinc"))


def _xlogy(input, other, log1p: bool, op: str) -> Tensor:
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"{op}: expected at least one Tensor argument")
    a, b = coerce_pair(input, other, op)
    if isinstance(a, Tensor) and a._data.dtype.kind != "f":
        a = _floating(a, op)
    if isinstance(b, Tensor) and b._data.dtype.kind != "f":
        b = _floating(b, op)
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a._data.dtype != b._data.dtype:
        a, b = coerce_pair(a, b, op)
    if not isinstance(a, Tensor):
        a = Tensor._make(np.asarray(a, dtype=b._data.dtype))
    if not isinstance(b, Tensor):
        b = Tensor._make(np.asarray(b, dtype=a._data.dtype))
    try:
        np.broadcast_shapes(a._data.shape, b._data.shape)
    except ValueError:
        raise RuntimeError(f"{op}: shapes {tuple(a.shape)} and {tuple(b.shape)} are not "
                           "broadcastable") from None
    return Xlogy.apply(a, b, log1p)


def xlogy(input, other) -> Tensor:
    """``input * log(other)``, 0 where ``input == 0``; either argument may be a number."""
    return _xlogy(input, other, False, "xlogy")


def xlog1py(input, other) -> Tensor:
    """``input * log1p(other)``, 0 where ``input == 0``."""
    return _xlogy(input, other, True, "xlog1py")


def entr(input: Tensor) -> Tensor:
    """The elementwise entropy term ``-x log x`` (0 at 0, -inf for x < 0)."""
    return Entr.apply(_floating(input, "entr"))


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """``log(z / (1 - z))`` with ``z`` clamped to ``[eps, 1 - eps]`` when ``eps`` is given (the
    gradient is then 0 outside that interval)."""
    z = _floating(input, "logit")
    if eps is not None:
        z = z.clamp(eps, 1.0 - eps)
    return z.log() - (-z).log1p()


def ndtr(input: Tensor) -> Tensor:
    """The standard normal CDF."""
    from .activation import NormalCdf

    return NormalCdf.apply(_floating(input, "ndtr"))


def ndtri(input: Tensor) -> Tensor:
    """The inverse of the standard normal CDF (the quantile function) on [0, 1]."""
    return Ndtri.apply(_floating(input, "ndtri"))


def log_ndtr(input: Tensor) -> Tensor:
    """``log(ndtr(input))``, finite far into the left tail."""
    return LogNdtr.apply(_floating(input, "log_ndtr"))


erf_ = _inplace(erf, "erf_")
erfc_ = _inplace(erfc, "erfc_")
erfinv_ = _inplace(erfinv, "erfinv_")
lgamma_ = _inplace(lgamma, "lgamma_")
digamma_ = _inplace(digamma, "digamma_")
i0_ = _inplace(i0, "i0_")
sinc_ = _inplace(sinc, "sinc_")
xlogy_ = _inplace(xlogy, "xlogy_")
logit_ = _inplace(logit, "logit_")


def _polygamma_method(self, n):
    return polygamma(n, self)


def _polygamma_inplace(self, n):
    return _inplace(lambda t, k: polygamma(k, t), "polygamma_")(self, n)


register_methods(
    erf=erf, erfc=erfc, erfinv=erfinv, lgamma=lgamma, digamma=digamma, polygamma=_polygamma_method,
    mvlgamma=mvlgamma, i0=i0, sinc=sinc, xlogy=xlogy, logit=logit,
    erf_=erf_, erfc_=erfc_, erfinv_=erfinv_, lgamma_=lgamma_, digamma_=digamma_,
    polygamma_=_polygamma_inplace, i0_=i0_, sinc_=sinc_, xlogy_=xlogy_, logit_=logit_,
    mvlgamma_=_inplace(mvlgamma, "mvlgamma_"),
)

__all__ = ["erf", "erfc", "erfinv", "lgamma", "digamma", "polygamma", "mvlgamma", "i0", "sinc",
           "xlogy", "logit", "erf_", "erfc_", "erfinv_", "i0_", "sinc_", "xlogy_", "logit_"]
