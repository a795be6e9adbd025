"""Special functions on arrays (NumPy has none of them): erf, erfc, erfinv, lgamma, digamma,
polygamma and the modified Bessel functions I0, I1, all computed in float64 and vectorised (loops
run over series terms, never over elements). The differentiable ops in ``ops/special.py`` wrap them.

Accuracy, checked against PyTorch in tests/ops/test_special.py: a few ulp in float64 except where the
function itself is near zero (``lgamma`` near 1 and 2, ``digamma`` near its root 1.4616...), where
the error is a few 1e-16 absolute.
"""
from __future__ import annotations

import math

import numpy as np

_SQRT_PI = math.sqrt(math.pi)
# erf(x) / x as a polynomial in x**2 (Taylor series), accurate to ~1e-16 for |x| <= 2
_ERF_TAYLOR = [(-1.0) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(32)]
_ERF_SPLIT = 2.0
_ERFC_TERMS = 40


def _f64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _erf_small(z: np.ndarray) -> np.ndarray:
    t = z * z
    acc = np.full_like(t, _ERF_TAYLOR[-1])
    for c in reversed(_ERF_TAYLOR[:-1]):
        acc *= t
        acc += c
    return z * acc * (2.0 / _SQRT_PI)


def _erfc_large(a: np.ndarray) -> np.ndarray:
    """erfc(a) for a >= 2 by its continued fraction, evaluated bottom-up:
    erfc(a) = exp(-a^2) / sqrt(pi) / (a + (1/2)/(a + 1/(a + (3/2)/(a + ...))))."""
    a = np.minimum(a, 40.0)  # erfc(40) underflows to 0 anyway
    f = a.copy()
    for k in range(_ERFC_TERMS, 0, -1):
        f = a + (0.5 * k) / f
    return np.exp(-a * a) / (_SQRT_PI * f)


def erf(x) -> np.ndarray:
    """The error function ``2/sqrt(pi) * integral_0^x exp(-t^2) dt``, float64."""
    z = _f64(x)
    out = np.empty_like(z)
    a = np.abs(z)
    small = a <= _ERF_SPLIT
    out[small] = _erf_small(z[small])
    big = ~small & ~np.isnan(z)
    out[big] = np.copysign(1.0 - _erfc_large(a[big]), z[big])
    out[np.isnan(z)] = np.nan
    return out


def erfc(x) -> np.ndarray:
    """``1 - erf(x)`` without cancellation in the right tail, float64."""
    z = _f64(x)
    out = np.empty_like(z)
    a = np.abs(z)
    small = a <= _ERF_SPLIT
    out[small] = 1.0 - _erf_small(z[small])
    big = ~small & ~np.isnan(z)
    tail = _erfc_large(a[big])
    out[big] = np.where(z[big] > 0, tail, 2.0 - tail)
    out[np.isnan(z)] = np.nan
    return out


def ndtr(x) -> np.ndarray:
    """The standard normal CDF ``(1 + erf(x / sqrt(2))) / 2``, accurate in both tails."""
    return 0.5 * erfc(-_f64(x) / math.sqrt(2.0))


# Giles (2010), "Approximating the erfinv function": single-precision starting values.
_ERFINV_CENTRAL = [2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                   -0.00125372503, -0.00417768164, 0.246640727, 1.50140941]
_ERFINV_TAIL = [-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                -0.0076224613, 0.00943887047, 1.00167406, 2.83297682]


def _horner(coeffs, t: np.ndarray) -> np.ndarray:
    acc = np.full_like(t, coeffs[0])
    for c in coeffs[1:]:
        acc = acc * t + c
    return acc


def erfinv(y) -> np.ndarray:
    """The inverse of ``erf`` on (-1, 1); +-inf at +-1 and nan outside [-1, 1], as PyTorch.

    Giles' approximation gives ~1e-7; Newton steps on ``erf`` (``erfc`` in the tails, where
    ``erf`` has no precision left) bring it to float64 accuracy."""
    y = _f64(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = -np.log((1.0 - y) * (1.0 + y))
        central = w < 5.0
        x = y * np.where(central, _horner(_ERFINV_CENTRAL, w - 2.5),
                         _horner(_ERFINV_TAIL, np.sqrt(w) - 3.0))
        inside = np.abs(y) < 1.0
        x = np.where(inside, x, 0.0)
        tail = np.abs(y) > 0.5
        c = 1.0 - np.abs(y)  # exact in float64 for |y| >= 0.5
        for _ in range(4):
            ax = np.abs(x)
            gauss = (2.0 / _SQRT_PI) * np.exp(-ax * ax)
            # centre: Newton on erf(x) - y; tails: on log(erfc(|x|)) - log(1 - |y|), which is
            # nearly linear there and keeps full relative precision
            central_step = (erf(x) - y) / np.where(gauss > 0, gauss, 1.0)
            e = erfc(ax)
            tail_step = -np.sign(y) * (np.log(e) - np.log(c)) * e / np.where(gauss > 0, gauss, 1.0)
            x = x - np.where(inside & (gauss > 0), np.where(tail, tail_step, central_step), 0.0)
    out = np.where(inside, x, np.nan)
    out = np.where(y == 1.0, np.inf, out)
    return np.where(y == -1.0, -np.inf, out)


# ----------------------------------------------------------------------------------- gamma
# Bernoulli numbers B_2k / (2k (2k - 1)) of Stirling's series for lgamma, and B_2k / (2k) for digamma.
_BERNOULLI = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798]
_STIRLING = [b / ((2 * k + 2) * (2 * k + 1)) for k, b in enumerate(_BERNOULLI)]
_SHIFT = 12.0  # the asymptotic series are used for x >= _SHIFT (error < 1e-17 with these terms)


def _shift_up(x: np.ndarray, step) -> np.ndarray:
    """Move every x below ``_SHIFT`` up by whole steps, calling ``step(mask, x)`` for each x that
    moves (so the caller accumulates the recurrence); returns the shifted x."""
    x = x.copy()
    while True:
        low = x < _SHIFT
        if not low.any():
            return x
        step(low, x)
        x[low] += 1.0


def lgamma(x) -> np.ndarray:
    """``log|Gamma(x)|``: +inf at 0 and the negative integers, as PyTorch."""
    x = _f64(x)
    out = np.empty_like(x)
    neg = x < 0.5
    pos = ~neg
    out[pos] = _lgamma_pos(x[pos])
    xn = x[neg]
    with np.errstate(divide="ignore", invalid="ignore"):
        # reflection: Gamma(x) Gamma(1 - x) = pi / sin(pi x)
        s = np.abs(_sinpi(xn))
        out[neg] = np.where(s == 0, np.inf, math.log(math.pi) - np.log(s) - _lgamma_pos(1.0 - xn))
    out[(x == 1.0) | (x == 2.0)] = 0.0  # exact, as log(0!) and log(1!) are
    out[np.isnan(x)] = np.nan
    out[np.isinf(x)] = np.inf
    return out


def _sinpi(x: np.ndarray) -> np.ndarray:
    """sin(pi x), exactly 0 at the integers."""
    r = x - 2.0 * np.floor(x / 2.0)  # in [0, 2)
    out = np.sin(math.pi * r)
    return np.where(r == np.floor(r), 0.0, out)


def _lgamma_pos(x: np.ndarray) -> np.ndarray:
    """lgamma for x >= 0.5 (finite)."""
    log_prod = np.zeros_like(x)

    def step(mask, cur):
        log_prod[mask] += np.log(cur[mask])

    with np.errstate(invalid="ignore", over="ignore"):
        z = _shift_up(np.where(np.isfinite(x), x, _SHIFT), step)
        inv = 1.0 / z
        inv2 = inv * inv
        series = _horner(_STIRLING[::-1], inv2) * inv
        return (z - 0.5) * np.log(z) - z + 0.5 * math.log(2 * math.pi) + series - log_prod


def digamma(x) -> np.ndarray:
    """``d/dx lgamma(x)``: -inf at 0 and nan at the negative integers, as PyTorch."""
    x = _f64(x)
    out = np.empty_like(x)
    neg = x < 0.5
    out[~neg] = _digamma_pos(x[~neg])
    xn = x[neg]
    with np.errstate(divide="ignore", invalid="ignore"):
        # reflection: psi(1 - x) - psi(x) = pi cot(pi x)
        r = xn - np.floor(xn)
        cot = np.cos(math.pi * r) / np.sin(math.pi * r)
        out[neg] = np.where(r == 0, np.nan, _digamma_pos(1.0 - xn) - math.pi * cot)
    out[x == 0] = -np.inf
    out[x == np.inf] = np.inf
    out[np.isnan(x)] = np.nan
    return out


def _digamma_pos(x: np.ndarray) -> np.ndarray:
    acc = np.zeros_like(x)

    def step(mask, cur):
        acc[mask] -= 1.0 / cur[mask]

    z = _shift_up(np.where(np.isfinite(x), x, _SHIFT), step)
    inv2 = 1.0 / (z * z)
    coeffs = [b / (2 * (k + 1)) for k, b in enumerate(_BERNOULLI)]
    series = _horner(coeffs[::-1], inv2) * inv2
    return np.log(z) - 0.5 / z - series + acc


def polygamma(n: int, x) -> np.ndarray:
    """The n-th derivative of digamma (n >= 1): ``(-1)^(n+1) n! zeta(n + 1, x)`` (Hurwitz zeta),
    by the recurrence up to x >= 12 and the Euler-Maclaurin tail there; inf at the poles."""
    if n == 0:
        return digamma(x)
    x = _f64(x)
    s = n + 1
    acc = np.zeros_like(x)

    def step(mask, cur):
        acc[mask] += cur[mask] ** -s

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pole = (x <= 0) & (x == np.floor(x))
        z = _shift_up(np.where(np.isfinite(x) & ~pole, x, _SHIFT), step)
        tail = z ** (1 - s) / (s - 1) + 0.5 * z ** -s
        rising = float(s)  # s (s+1) ... (s + 2k - 2), the k-th Euler-Maclaurin factor
        fact = 2.0  # (2k)!
        for k, b in enumerate(_BERNOULLI, start=1):
            tail = tail + b / fact * rising * z ** (-s - 2 * k + 1)
            rising *= (s + 2 * k - 1) * (s + 2 * k)
            fact *= (2 * k + 1) * (2 * k + 2)
        zeta = acc + tail
        out = (-1.0) ** (n + 1) * math.factorial(n) * zeta
    out = np.where(pole, np.inf if n % 2 else -np.inf, out)
    out = np.where(x == np.inf, 0.0, out)
    return np.where(np.isnan(x), np.nan, out)


# ---------------------------------------------------------------------------------- Bessel
_BESSEL_SPLIT = 30.0


def bessel_i(order: int, x, scaled: bool = False) -> np.ndarray:
    """The modified Bessel function ``I_order(x)`` for order 0 or 1; ``scaled`` gives
    ``exp(-|x|) I_order(x)`` (PyTorch's ``i0e``/``i1e``). The power series below |x| = 30, the
    asymptotic expansion above (both to float64 accuracy)."""
    x = _f64(x)
    a = np.abs(x)
    out = np.empty_like(a)
    small = a <= _BESSEL_SPLIT
    h = a[small] / 2.0
    term = np.ones_like(h) if order == 0 else h.copy()
    total = term.copy()
    h2 = h * h
    for k in range(1, 90):
        term = term * h2 / (k * (k + order))
        total += term
    out[small] = total * np.exp(-a[small]) if scaled else total
    big = ~small
    ab = a[big]
    mu = 4.0 * order * order
    term = np.ones_like(ab)
    total = term.copy()
    for k in range(1, 30):
        term = term * -(mu - (2 * k - 1) ** 2) / (k * 8.0 * ab)
        total += term
    with np.errstate(over="ignore"):
        out[big] = total / np.sqrt(2 * math.pi * ab) * (1.0 if scaled else np.exp(ab))
    if order == 1:
        out = np.copysign(out, x)
    return np.where(np.isnan(x), np.nan, out)
