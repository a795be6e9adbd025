"""``graphgrad.special``: PyTorch's ``torch.special`` (layer 3: public names of the ops in
``ops/special.py`` and friends), with gradients."""
from .ops.activation import log_softmax, softmax  # noqa: F401
from .ops.elementwise import expm1, round, sigmoid  # noqa: F401
from .ops.reductions import logsumexp  # noqa: F401
from .ops.special import (digamma, entr, erf, erfc, erfinv, i0, i0e, i1, i1e,  # noqa: F401
                          log_ndtr, logit, mvlgamma, ndtr, ndtri, polygamma, sinc, xlog1py, xlogy)
from .ops.special import lgamma as gammaln  # noqa: F401
from .ops.elementwise import log1p  # noqa: F401
from .ops.trig import exp2  # noqa: F401

expit = sigmoid
psi = digamma
multigammaln = mvlgamma

__all__ = ["digamma", "entr", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln", "i0",
           "i0e", "i1", "i1e", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp",
           "multigammaln", "mvlgamma", "ndtr", "ndtri", "polygamma", "psi", "round", "sinc",
           "softmax", "xlog1py", "xlogy"]
