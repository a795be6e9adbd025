"""``graphgrad.distributions``: probability distributions with PyTorch's API - ``Normal``,
``Bernoulli``, ``Categorical``, ``Uniform``, ``MultivariateNormal`` and ``Independent`` with
``sample``, ``rsample`` (reparameterised), ``log_prob``, ``entropy``, ``cdf``/``icdf`` where defined,
``mean``/``mode``/``variance``/``stddev``, and ``kl_divergence`` for the same-family pairs.

Layer 4: built on the ops (gradients flow through ``rsample``, ``log_prob``, ``entropy`` and the
KL divergences to the parameters)."""
from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .independent import Independent
from .kl import kl_divergence, register_kl
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .uniform import Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "Independent", "MultivariateNormal",
           "Normal", "Uniform", "constraints", "kl_divergence", "register_kl"]
