"""``MultivariateNormal(loc, covariance_matrix=None, precision_matrix=None, scale_tril=None)``: the
Gaussian over vectors, given by exactly one of its covariance, precision or the lower Cholesky
factor of its covariance. Reparameterisable; everything is computed from ``scale_tril`` L
(covariance = L L^T)."""
from __future__ import annotations

import math

import numpy as np

from ..autograd.tensor import Size, Tensor
from ..ops.creation import randn
from ..ops.decompositions import cholesky, inv, solve
from . import constraints
from .distribution import Distribution
from .utils import lazy_property


def _batch_mahalanobis(L: Tensor, x: Tensor) -> Tensor:
    """``x^T (L L^T)^{-1} x`` for each vector of ``x`` (..., n), with L broadcast: ``|L^{-1} x|^2``."""
    shape = np.broadcast_shapes(L.shape[:-2], x.shape[:-1])
    n = L.shape[-1]
    z = solve(L.expand(shape + (n, n)), x.expand(shape + (n,)).unsqueeze(-1)).squeeze(-1)
    return (z * z).sum(-1)


class MultivariateNormal(Distribution):
    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [m for m in (covariance_matrix, precision_matrix, scale_tril) if m is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril "
                             "may be specified.")
        matrix = given[0]
        if matrix.ndim < 2:
            raise ValueError("scale_tril, covariance_matrix or precision_matrix must be at least "
                             "two-dimensional, with optional leading batch dimensions")
        batch_shape = np.broadcast_shapes(matrix.shape[:-2], loc.shape[:-1])
        event = loc.shape[-1:]
        full = tuple(batch_shape) + tuple(event) * 2
        if scale_tril is not None:
            self.scale_tril = scale_tril.expand(full)
            # only the lower triangle is read (as a triangular solve does): no gradient above it
            self._unbroadcasted_scale_tril = scale_tril.tril()
        elif covariance_matrix is not None:
            self.covariance_matrix = covariance_matrix.expand(full)
            self._unbroadcasted_scale_tril = cholesky(covariance_matrix)
        else:
            self.precision_matrix = precision_matrix.expand(full)
            self._unbroadcasted_scale_tril = cholesky(inv(precision_matrix))
        self.loc = loc.expand(tuple(batch_shape) + tuple(event))
        super().__init__(batch_shape, event, validate_args)

    @lazy_property
    def scale_tril(self) -> Tensor:
        return self._unbroadcasted_scale_tril.expand(self._extended_shape() + self._event_shape[-1:])

    @lazy_property
    def covariance_matrix(self) -> Tensor:
        L = self._unbroadcasted_scale_tril
        return (L @ L.transpose(-2, -1)).expand(self._extended_shape() + self._event_shape[-1:])

    @lazy_property
    def precision_matrix(self) -> Tensor:
        return inv(self.covariance_matrix)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(self._extended_shape())

    def rsample(self, sample_shape=Size()) -> Tensor:
        eps = randn(self._extended_shape(sample_shape), dtype=self.loc.dtype)
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def _half_log_det(self) -> Tensor:
        return self._unbroadcasted_scale_tril.diagonal(0, -2, -1).log().sum(-1)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        M = _batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        n = self._event_shape[0]
        return -0.5 * (n * math.log(2 * math.pi) + M) - self._half_log_det()

    def entropy(self) -> Tensor:
        n = self._event_shape[0]
        H = 0.5 * n * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return H.expand(tuple(self._batch_shape)) if self._batch_shape else H
