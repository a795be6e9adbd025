"""NAdam (Dozat 2016): Adam with Nesterov momentum and a momentum schedule."""
from __future__ import annotations

import numpy as np

from .adam import _pair
from .optimizer import (Optimizer, bump, check_betas, check_implementation_flags, check_nonneg,
                        effective_grad, grad_array, lerp_, scalar_state, zeros_state)


class NAdam(Optimizer):
    r"""NAdam, as ``torch.optim.NAdam``.

    ``NAdam(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
    decoupled_weight_decay=False, *, maximize=False)``. At step ``t`` (from 1), with ``d`` the
    gradient (plus ``weight_decay * w``, or with decoupled decay ``w = w * (1 - lr * wd)`` first)::

        mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        P = P * mu_t                                       (state 'mu_product', float32)
        m = beta1 * m + (1 - beta1) * d                    (state 'exp_avg')
        v = beta2 * v + (1 - beta2) * d * d                (state 'exp_avg_sq')
        r = sqrt(v / (1 - beta2**t)) + eps
        w = w - lr * (1 - mu_t) / (1 - P) * d / r - lr * mu_{t+1} / (1 - P * mu_{t+1}) * m / r
    """

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False, **flags):
        check_implementation_flags("NAdam", flags)
        defaults = dict(lr=lr, betas=_pair(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        check_nonneg("NAdam", group, "eps", "weight_decay", "momentum_decay")
        if "betas" in group:
            group["betas"] = _pair(group["betas"])
            check_betas("NAdam", group["betas"])

    def _update_group(self, group: dict) -> None:
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        momentum_decay = group["momentum_decay"]
        for p in group["params"]:
            g = grad_array(p, "NAdam")
            if g is None:
                continue
            w = p._data
            state = self.state[p]
            if not state:
                state["step"] = scalar_state(0.0)
                state["mu_product"] = scalar_state(1.0)
                state["exp_avg"] = zeros_state(p)
                state["exp_avg_sq"] = zeros_state(p)
            step_t = state["step"]._data
            step_t += 1
            step = float(step_t)
            bias_correction2 = 1 - beta2 ** step
            d_out, denom, step_g = self._scratch(w, 3)
            if weight_decay != 0 and group["decoupled_weight_decay"]:
                w *= 1 - lr * weight_decay
                d, _ = effective_grad(g, w, 0, group["maximize"], d_out)
            else:
                d, _ = effective_grad(g, w, weight_decay, group["maximize"], d_out)
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
            mu_product_t = state["mu_product"]._data
            mu_product_t *= mu
            mu_product = float(mu_product_t)
            m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
            lerp_(m, d, 1 - beta1, denom)
            v *= beta2
            np.multiply(d, d, out=denom)
            denom *= 1 - beta2
            v += denom
            np.divide(v, bias_correction2, out=denom)
            np.sqrt(denom, out=denom)
            denom += eps
            np.divide(d, denom, out=step_g)
            step_g *= -lr * (1.0 - mu) / (1.0 - mu_product)
            w += step_g
            np.divide(m, denom, out=step_g)
            step_g *= (-lr * mu_next) / (1.0 - mu_product * mu_next)
            w += step_g
            bump(p)
