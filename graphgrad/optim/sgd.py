"""Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay."""
from __future__ import annotations

import numpy as np

from ..autograd.tensor import Tensor
from .optimizer import (Optimizer, bump, check_implementation_flags, check_nonneg, effective_grad,
                        grad_array)


class SGD(Optimizer):
    r"""Stochastic gradient descent, as ``torch.optim.SGD``.

    ``SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
    maximize=False)``. For each parameter ``w`` with gradient ``g``, with ``mu = momentum``,
    ``tau = dampening``, ``lambda = weight_decay``::

        d = g + lambda * w                      (-g if maximize)
        b = d                                   on the first step
        b = mu * b + (1 - tau) * d              afterwards          (state 'momentum_buffer')
        d = d + mu * b if nesterov else b       (when momentum != 0)
        w = w - lr * d

    **The lecture form.** Krizhevsky, Sutskever & Hinton (2012) write momentum with weight decay as
    ``v <- 0.9 v - 0.0005 e w - e g;  w <- w + v`` for learning rate ``e``. With a constant learning
    rate this is exactly ``SGD(params, lr=e, momentum=0.9, weight_decay=0.0005)`` (dampening 0,
    no Nesterov): PyTorch's buffer is ``b = v / (-e)``, i.e. ``b <- 0.9 b + (g + 0.0005 w)`` and
    ``w <- w - e b``, and ``v = -e b`` gives back the lecture update step for step (starting from
    ``v = 0``, the first step ``b = d`` is the same as ``0.9 * 0 + d``). When the learning rate
    changes between steps the two differ: the lecture velocity keeps the old rate inside ``v``,
    while PyTorch's buffer is rescaled by the new rate.

    Nesterov momentum needs ``momentum > 0`` and ``dampening == 0``.
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 **flags):
        check_implementation_flags("SGD", flags)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        check_nonneg("SGD", group, "momentum", "weight_decay")
        if group.get("nesterov") and (group.get("momentum", 0) <= 0
                                      or group.get("dampening", 0) != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening, got "
                             f"momentum={group.get('momentum')}, "
                             f"dampening={group.get('dampening')}")

    def _update_group(self, group: dict) -> None:
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov = group["weight_decay"], group["nesterov"]
        maximize = group["maximize"]
        for p in group["params"]:
            g = grad_array(p, "SGD")
            if g is None:
                continue
            w = p._data
            d_out, tmp = self._scratch(w, 2)
            d, owned = effective_grad(g, w, weight_decay, maximize, d_out)
            if momentum != 0:
                state = self.state[p]
                buf_t = state.get("momentum_buffer")
                if buf_t is None:
                    buf = d.copy()
                    state["momentum_buffer"] = Tensor._make(buf)
                else:
                    buf = buf_t._data
                    buf *= momentum
                    if dampening == 0:
                        buf += d
                    else:
                        np.multiply(d, 1 - dampening, out=tmp)
                        buf += tmp
                if nesterov:
                    np.multiply(buf, momentum, out=tmp)
                    tmp += d
                    d, owned = tmp, True
                else:
                    d, owned = buf, False
            if owned:
                d *= lr
                w -= d
            else:
                np.multiply(d, lr, out=tmp)
                w -= tmp
            bump(p)

