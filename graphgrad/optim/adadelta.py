"""Adadelta (Zeiler 2012): step sizes from running averages of squared gradients and updates."""
from __future__ import annotations

import numpy as np

from .optimizer import (Optimizer, bump, check_implementation_flags, check_nonneg, effective_grad,
                        grad_array, scalar_state, zeros_state)


class Adadelta(Optimizer):
    r"""Adadelta, as ``torch.optim.Adadelta``.

    ``Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False)``. With ``d``
    the gradient (plus ``weight_decay * w``)::

        s = rho * s + (1 - rho) * d * d                        (state 'square_avg')
        u = sqrt(q + eps) / sqrt(s + eps) * d
        q = rho * q + (1 - rho) * u * u                        (state 'acc_delta')
        w = w - lr * u
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, *, maximize: bool = False, **flags):
        check_implementation_flags("Adadelta", flags)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        check_nonneg("Adadelta", group, "eps", "weight_decay")
        rho = group.get("rho", 0.9)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Adadelta: Invalid rho value: {rho} (expected 0 <= rho <= 1)")

    def _update_group(self, group: dict) -> None:
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        for p in group["params"]:
            g = grad_array(p, "Adadelta")
            if g is None:
                continue
            w = p._data
            state = self.state[p]
            if not state:
                state["step"] = scalar_state(0.0)
                state["square_avg"] = zeros_state(p)
                state["acc_delta"] = zeros_state(p)
            state["step"]._data += 1
            d_out, std, delta = self._scratch(w, 3)
            d, _ = effective_grad(g, w, group["weight_decay"], group["maximize"], d_out)
            s, q = state["square_avg"]._data, state["acc_delta"]._data
            np.multiply(d, d, out=std)
            s *= rho
            std *= 1 - rho
            s += std
            np.add(s, eps, out=std)
            np.sqrt(std, out=std)
            np.add(q, eps, out=delta)
            np.sqrt(delta, out=delta)
            delta /= std
            delta *= d
            q *= rho
            np.multiply(delta, delta, out=std)
            std *= 1 - rho
            q += std
            delta *= lr
            w -= delta
            bump(p)
