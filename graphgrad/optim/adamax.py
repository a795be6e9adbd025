"""Adamax (Kingma & Ba 2015, section 7): Adam with the infinity norm in the denominator."""
from __future__ import annotations

import numpy as np

from .adam import _pair
from .optimizer import (Optimizer, bump, check_betas, check_implementation_flags, check_nonneg,
                        effective_grad, grad_array, lerp_, scalar_state, zeros_state)


class Adamax(Optimizer):
    r"""Adamax, as ``torch.optim.Adamax``.

    ``Adamax(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *, maximize=False)``.
    At step ``t`` (from 1), with ``d`` the gradient (plus ``weight_decay * w``)::

        m = beta1 * m + (1 - beta1) * d                   (state 'exp_avg')
        u = max(beta2 * u, |d| + eps)                     (state 'exp_inf')
        w = w - lr / (1 - beta1**t) * m / u
    """

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, *, maximize: bool = False, **flags):
        check_implementation_flags("Adamax", flags)
        defaults = dict(lr=lr, betas=_pair(betas), eps=eps, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        check_nonneg("Adamax", group, "eps", "weight_decay")
        if "betas" in group:
            group["betas"] = _pair(group["betas"])
            check_betas("Adamax", group["betas"])

    def _update_group(self, group: dict) -> None:
        lr, eps = group["lr"], group["eps"]
        beta1, beta2 = group["betas"]
        for p in group["params"]:
            g = grad_array(p, "Adamax")
            if g is None:
                continue
            w = p._data
            state = self.state[p]
            if not state:
                state["step"] = scalar_state(0.0)
                state["exp_avg"] = zeros_state(p)
                state["exp_inf"] = zeros_state(p)
            step_t = state["step"]._data
            step_t += 1
            step = float(step_t)
            d_out, tmp = self._scratch(w, 2)
            d, _ = effective_grad(g, w, group["weight_decay"], group["maximize"], d_out)
            m, u = state["exp_avg"]._data, state["exp_inf"]._data
            lerp_(m, d, 1 - beta1, tmp)
            u *= beta2
            np.abs(d, out=tmp)
            tmp += eps
            np.maximum(u, tmp, out=u)
            clr = lr / (1 - beta1 ** step)
            np.divide(m, u, out=tmp)
            tmp *= clr
            w -= tmp
            bump(p)
