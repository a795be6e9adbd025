"""Constraints on a distribution's parameters and support, with PyTorch's names and reprs:
``constraints.positive.check(x)`` is a bool tensor saying where ``x`` satisfies it."""
from __future__ import annotations

import numpy as np

from ..autograd.tensor import Tensor


class Constraint:
    """A region of values; ``event_dim`` says how many rightmost dims form one value."""

    is_discrete = False
    event_dim = 0

    def check(self, value: Tensor) -> Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        return type(self).__name__[1:] + "()"


def _t(array) -> Tensor:
    return Tensor._make(np.asarray(array))


class _Dependent(Constraint):
    """A placeholder whose region depends on other parameters (never checked)."""

    def check(self, value):
        raise ValueError("Cannot determine validity of dependent constraint")


class _Real(Constraint):
    def check(self, value):
        return _t(value._data == value._data)  # False only for NaN


class _Boolean(Constraint):
    is_discrete = True

    def check(self, value):
        return _t((value._data == 0) | (value._data == 1))


class _GreaterThan(Constraint):
    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, value):
        return _t(value._data > np.asarray(self.lower_bound))

    def __repr__(self):
        return f"GreaterThan(lower_bound={self.lower_bound})"


class _GreaterThanEq(_GreaterThan):
    def check(self, value):
        return _t(value._data >= np.asarray(self.lower_bound))

    def __repr__(self):
        return f"GreaterThanEq(lower_bound={self.lower_bound})"


class _Interval(Constraint):
    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value):
        lo, hi = (b._data if isinstance(b, Tensor) else b for b in (self.lower_bound,
                                                                    self.upper_bound))
        return _t((lo <= value._data) & (value._data <= hi))

    def __repr__(self):
        return f"Interval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _HalfOpenInterval(_Interval):
    def check(self, value):
        lo, hi = (b._data if isinstance(b, Tensor) else b for b in (self.lower_bound,
                                                                    self.upper_bound))
        return _t((lo <= value._data) & (value._data < hi))

    def __repr__(self):
        return f"HalfOpenInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _IntegerInterval(Constraint):
    is_discrete = True

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value):
        v = value._data
        return _t((v % 1 == 0) & (self.lower_bound <= v) & (v <= self.upper_bound))

    def __repr__(self):
        return f"IntegerInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _IntegerGreaterThan(Constraint):
    is_discrete = True

    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, value):
        v = value._data
        return _t((v % 1 == 0) & (v >= self.lower_bound))

    def __repr__(self):
        return f"IntegerGreaterThan(lower_bound={self.lower_bound})"


class _Simplex(Constraint):
    event_dim = 1

    def check(self, value):
        v = value._data
        return _t(np.all(v >= 0, axis=-1) & (np.abs(v.sum(-1) - 1) < 1e-6))


class _IndependentConstraint(Constraint):
    """``base`` applied to each element, with the last ``reinterpreted_batch_ndims`` dims forming
    one event (all must hold)."""

    def __init__(self, base: Constraint, reinterpreted_batch_ndims: int):
        self.base, self.reinterpreted_batch_ndims = base, reinterpreted_batch_ndims
        self.event_dim = base.event_dim + reinterpreted_batch_ndims

    def check(self, value):
        ok = self.base.check(value)._data
        for _ in range(self.reinterpreted_batch_ndims):
            ok = ok.all(-1)
        return _t(ok)

    def __repr__(self):
        return f"IndependentConstraint({self.base!r}, {self.reinterpreted_batch_ndims})"


class _LowerCholesky(Constraint):
    event_dim = 2

    def check(self, value):
        v = value._data
        lower = np.all(np.triu(v, 1) == 0, axis=(-2, -1))
        positive = np.all(np.diagonal(v, axis1=-2, axis2=-1) > 0, axis=-1)
        return _t(lower & positive)


class _PositiveDefinite(Constraint):
    event_dim = 2

    def check(self, value):
        v = value._data
        symmetric = np.all(np.isclose(v, np.swapaxes(v, -1, -2), atol=1e-6), axis=(-2, -1))
        with np.errstate(invalid="ignore"):
            eig = np.linalg.eigvalsh(v) if v.size else np.ones(v.shape[:-1])
        return _t(symmetric & np.all(eig > 0, axis=-1))


dependent = _Dependent()
real = _Real()
real_vector = _IndependentConstraint(real, 1)
boolean = _Boolean()
positive = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
unit_interval = _Interval(0.0, 1.0)
nonnegative_integer = _IntegerGreaterThan(0)
positive_integer = _IntegerGreaterThan(1)
simplex = _Simplex()
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
interval = _Interval
half_open_interval = _HalfOpenInterval
integer_interval = _IntegerInterval
independent = _IndependentConstraint

__all__ = ["Constraint", "dependent", "real", "real_vector", "boolean", "positive", "nonnegative",
           "unit_interval", "nonnegative_integer", "positive_integer", "simplex", "lower_cholesky",
           "positive_definite", "greater_than", "greater_than_eq", "interval",
           "half_open_interval", "integer_interval", "independent"]
