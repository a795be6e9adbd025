"""Adam and AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019), with the AMSGrad variant."""
from __future__ import annotations

import numpy as np

from .optimizer import (Optimizer, bump, check_betas, check_implementation_flags, check_nonneg,
                        effective_grad, grad_array, lerp_, scalar_state, zeros_state)


class Adam(Optimizer):
    r"""Adam, as ``torch.optim.Adam``.

    ``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
    maximize=False, decoupled_weight_decay=False)``. At step ``t`` (from 1), with ``d`` the
    gradient (negated if ``maximize``, plus ``weight_decay * w`` unless the decay is decoupled)::

        m = beta1 * m + (1 - beta1) * d                  (state 'exp_avg')
        v = beta2 * v + (1 - beta2) * d * d              (state 'exp_avg_sq')
        v_hat = max(v_hat, v) if amsgrad else v          (state 'max_exp_avg_sq')
        w = w - lr / (1 - beta1**t) * m / (sqrt(v_hat) / sqrt(1 - beta2**t) + eps)

    With ``decoupled_weight_decay=True`` (AdamW) the decay is ``w = w * (1 - lr * weight_decay)``
    before the update instead of being added to the gradient.
    """

    _decoupled = False

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool | None = None, **flags):
        check_implementation_flags(type(self).__name__, flags)
        if decoupled_weight_decay is None:
            decoupled_weight_decay = self._decoupled
        betas = _pair(betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        name = type(self).__name__
        check_nonneg(name, group, "eps", "weight_decay")
        if "betas" in group:
            group["betas"] = _pair(group["betas"])
            check_betas(name, group["betas"])

    def _update_group(self, group: dict) -> None:
        name = type(self).__name__
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        amsgrad, maximize = group["amsgrad"], group["maximize"]
        decoupled = group.get("decoupled_weight_decay", self._decoupled)
        for p in group["params"]:
            g = grad_array(p, name)
            if g is None:
                continue
            w = p._data
            state = self.state[p]
            if not state:
                state["step"] = scalar_state(0.0)
                state["exp_avg"] = zeros_state(p)
                state["exp_avg_sq"] = zeros_state(p)
                if amsgrad:
                    state["max_exp_avg_sq"] = zeros_state(p)
            step_t = state["step"]._data
            step_t += 1
            step = float(step_t)
            d_out, tmp = self._scratch(w, 2)
            if weight_decay != 0 and decoupled:
                w *= 1 - lr * weight_decay
                d, _ = effective_grad(g, w, 0, maximize, d_out)
            else:
                d, _ = effective_grad(g, w, weight_decay, maximize, d_out)
            m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
            lerp_(m, d, 1 - beta1, tmp)
            v *= beta2
            np.multiply(d, d, out=tmp)
            tmp *= 1 - beta2
            v += tmp
            step_size = lr / (1 - beta1 ** step)
            bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
            if amsgrad:
                if "max_exp_avg_sq" not in state:  # amsgrad switched on mid-training
                    state["max_exp_avg_sq"] = zeros_state(p)
                v_hat = state["max_exp_avg_sq"]._data
                np.maximum(v_hat, v, out=v_hat)
            else:
                v_hat = v
            np.sqrt(v_hat, out=tmp)
            tmp /= bias_correction2_sqrt
            tmp += eps
            np.divide(m, tmp, out=tmp)
            tmp *= step_size
            w -= tmp
            bump(p)


class AdamW(Adam):
    r"""Adam with decoupled weight decay, as ``torch.optim.AdamW``.

    ``AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
    maximize=False)``: each step first shrinks ``w`` by ``w * (1 - lr * weight_decay)``, then
    applies Adam's update with the plain gradient.
    """

    _decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 **flags):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True, **flags)

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True


def _pair(betas):
    if isinstance(betas, list):
        return tuple(betas)
    return betas
