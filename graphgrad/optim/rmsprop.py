"""RMSprop (Tieleman & Hinton 2012), optionally centred and with momentum."""
from __future__ import annotations

import numpy as np

from .optimizer import (Optimizer, bump, check_implementation_flags, check_nonneg, effective_grad,
                        grad_array, lerp_, scalar_state, zeros_state)


class RMSprop(Optimizer):
    r"""RMSprop, as ``torch.optim.RMSprop``.

    ``RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
    *, maximize=False)``. With ``d`` the gradient (plus ``weight_decay * w``)::

        s = alpha * s + (1 - alpha) * d * d                  (state 'square_avg')
        a = alpha * a + (1 - alpha) * d                      (state 'grad_avg', if centered)
        r = sqrt(s - a * a) if centered else sqrt(s)
        b = momentum * b + d / (r + eps); w = w - lr * b     (state 'momentum_buffer', momentum > 0)
        w = w - lr * d / (r + eps)                           (momentum == 0)

    Note that ``eps`` is added outside the square root, as in PyTorch (Keras adds it inside).
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, *,
                 maximize: bool = False, **flags):
        check_implementation_flags("RMSprop", flags)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        check_nonneg("RMSprop", group, "eps", "momentum", "weight_decay", "alpha")

    def _update_group(self, group: dict) -> None:
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        momentum, centered = group["momentum"], group["centered"]
        for p in group["params"]:
            g = grad_array(p, "RMSprop")
            if g is None:
                continue
            w = p._data
            state = self.state[p]
            if not state:
                state["step"] = scalar_state(0.0)
                state["square_avg"] = zeros_state(p)
                if momentum > 0:
                    state["momentum_buffer"] = zeros_state(p)
                if centered:
                    state["grad_avg"] = zeros_state(p)
            state["step"]._data += 1
            d_out, tmp = self._scratch(w, 2)
            d, _ = effective_grad(g, w, group["weight_decay"], group["maximize"], d_out)
            s = state["square_avg"]._data
            np.multiply(d, d, out=tmp)
            s *= alpha
            tmp *= 1 - alpha
            s += tmp
            if centered:
                a = _state(state, "grad_avg", p)
                lerp_(a, d, 1 - alpha, tmp)
                np.multiply(a, a, out=tmp)
                np.subtract(s, tmp, out=tmp)
                np.sqrt(tmp, out=tmp)
            else:
                np.sqrt(s, out=tmp)
            tmp += eps
            np.divide(d, tmp, out=tmp)
            if momentum > 0:
                buf = _state(state, "momentum_buffer", p)
                buf *= momentum
                buf += tmp
                np.multiply(buf, lr, out=tmp)
            else:
                tmp *= lr
            w -= tmp
            bump(p)


def _state(state: dict, key: str, p) -> np.ndarray:
    """A state array, created as zeros if an option was switched on after the first step."""
    if key not in state:
        state[key] = zeros_state(p)
    return state[key]._data
