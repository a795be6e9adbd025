"""The in-place random fills of ``Tensor`` (``normal_``, ``uniform_``, ``bernoulli_``,
``exponential_``, ``random_``, ``geometric_``, ``cauchy_``, ``log_normal_``), the out-of-place
``Tensor.bernoulli``/``multinomial`` methods, and ``torch.poisson``.

Draws come from graphgrad's seeded generator (or the ``generator`` given), so
``graphgrad.manual_seed(n)`` makes them reproducible; the streams differ from PyTorch's. As in
PyTorch, filling a leaf that requires grad is an error unless under ``no_grad``; a filled non-leaf
becomes a constant of the graph (no gradient flows to what it held before).
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import grad_mode
from ..autograd.tensor import Tensor
from ._util import register_methods
from .elementwise import _check_tensor


def _store(self: Tensor, values: np.ndarray, op: str) -> Tensor:
    if grad_mode._enabled[0] and self._requires_grad:
        from .arithmetic import apply_inplace

        return apply_inplace(self, Tensor._make(values.astype(self._data.dtype)), op)
    np.copyto(self._data, values, casting="unsafe")
    self._bump_version()
    return self


def _floating_target(self: Tensor, op: str) -> np.dtype:
    _check_tensor(self, op)
    if self._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point tensor, got {self.dtype}")
    return self._data.dtype


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    """Fill with samples of N(mean, std**2)."""
    _floating_target(self, "normal_")
    if std < 0:
        raise RuntimeError(f"normal_ expects std >= 0.0, but found std {std}")
    return _store(self, backend.rng(generator).normal(mean, std, self._data.shape), "normal_")


def uniform_(self: Tensor, from_: float = 0.0, to: float = 1.0, *, generator=None, **kwargs) -> Tensor:
    """Fill with samples of U[from, to) (PyTorch's keyword ``from`` is accepted too)."""
    from_ = kwargs.pop("from", from_)
    if kwargs:
        raise TypeError(f"uniform_: unexpected arguments {sorted(kwargs)}")
    _floating_target(self, "uniform_")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={from_} "
                           f"> to={to}")
    return _store(self, backend.rng(generator).uniform(from_, to, self._data.shape), "uniform_")


def bernoulli_(self: Tensor, p=0.5, *, generator=None) -> Tensor:
    """Fill with 1 with probability ``p`` (a number or a tensor broadcast to this shape), else 0."""
    _check_tensor(self, "bernoulli_")
    probs = p._data if isinstance(p, Tensor) else np.asarray(p, dtype=np.float64)
    if ((probs < 0) | (probs > 1)).any():
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    draws = backend.rng(generator).random(self._data.shape) < probs
    return _store(self, draws, "bernoulli_")


def exponential_(self: Tensor, lambd: float = 1.0, *, generator=None) -> Tensor:
    """Fill with samples of the exponential distribution of rate ``lambd``."""
    _floating_target(self, "exponential_")
    if lambd <= 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return _store(self, backend.rng(generator).exponential(1.0 / lambd, self._data.shape),
                  "exponential_")


def geometric_(self: Tensor, p: float, *, generator=None) -> Tensor:
    """Fill with the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
    _check_tensor(self, "geometric_")
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    return _store(self, backend.rng(generator).geometric(p, self._data.shape), "geometric_")


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator=None) -> Tensor:
    """Fill with samples of the Cauchy distribution."""
    _floating_target(self, "cauchy_")
    draws = median + sigma * backend.rng(generator).standard_cauchy(self._data.shape)
    return _store(self, draws, "cauchy_")


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator=None) -> Tensor:
    """Fill with ``exp(N(mean, std**2))`` samples."""
    _floating_target(self, "log_normal_")
    if std <= 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    return _store(self, backend.rng(generator).lognormal(mean, std, self._data.shape),
                  "log_normal_")


_RANDOM_TOP = {"f": {2: 2 ** 11, 4: 2 ** 24, 8: 2 ** 53}}


def random_(self: Tensor, from_=None, to=None, *, generator=None, **kwargs) -> Tensor:
    """Fill with integers uniform on ``[from, to)``; ``random_(to)`` is ``[0, to)``; ``random_()``
    draws from ``[0, 2**mantissa]`` for floats and ``[0, max]`` for integers, as PyTorch."""
    from_ = kwargs.pop("from", from_)
    if kwargs:
        raise TypeError(f"random_: unexpected arguments {sorted(kwargs)}")
    _check_tensor(self, "random_")
    dt = self._data.dtype
    if from_ is not None and to is None:
        low, high = 0, from_
    elif from_ is None:
        low = 0
        high = (_RANDOM_TOP["f"][dt.itemsize] + 1 if dt.kind == "f" else
                2 if dt.kind == "b" else int(np.iinfo(dt).max) + 1)
    else:
        low, high = from_, to
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    # endpoint=True with high - 1, so that [0, int64 max] itself stays in int64's range
    draws = backend.rng(generator).integers(low, high - 1, self._data.shape, endpoint=True)
    return _store(self, draws, "random_")


def bernoulli(input: Tensor, p=None, *, generator=None) -> Tensor:
    """``Tensor.bernoulli``: 1 with the probability in each element of ``input`` (or ``p``)."""
    from .creation import bernoulli as _bernoulli

    return _bernoulli(input, p, generator=generator)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *, generator=None):
    """``Tensor.multinomial``: category indices drawn from each row of weights."""
    from .creation import multinomial as _multinomial

    return _multinomial(input, num_samples, replacement, generator=generator)


def poisson(input: Tensor, generator=None) -> Tensor:
    """Poisson samples with the rates in ``input`` (same shape and dtype)."""
    _check_tensor(input, "poisson")
    rates = input._data
    if (rates < 0).any():
        raise RuntimeError("poisson: invalid Poisson rate, expected rate to be non-negative")
    return Tensor._make(backend.rng(generator).poisson(rates).astype(rates.dtype))


register_methods(normal_=normal_, uniform_=uniform_, bernoulli_=bernoulli_,
                 exponential_=exponential_, geometric_=geometric_, cauchy_=cauchy_,
                 log_normal_=log_normal_, random_=random_, bernoulli=bernoulli,
                 multinomial=multinomial)

__all__ = ["poisson"]
