"""Adagrad (Duchi et al. 2011): per-coordinate learning rates from the sum of squared gradients."""
from __future__ import annotations

import numpy as np

from ..autograd.tensor import Tensor
from .optimizer import (Optimizer, bump, check_implementation_flags, check_nonneg, effective_grad,
                        grad_array, scalar_state)


class Adagrad(Optimizer):
    r"""Adagrad, as ``torch.optim.Adagrad``.

    ``Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
    eps=1e-10, *, maximize=False)``. At step ``t`` (from 1), with ``d`` the gradient (plus
    ``weight_decay * w``)::

        s = s + d * d                                    (state 'sum', starts at the initial value)
        w = w - lr / (1 + (t - 1) * lr_decay) * d / (sqrt(s) + eps)

    State is created when the optimizer is built, as in PyTorch.
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, *,
                 maximize: bool = False, **flags):
        check_implementation_flags("Adagrad", flags)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        check_nonneg("Adagrad", group, "lr_decay", "weight_decay", "initial_accumulator_value",
                     "eps")

    def _init_group_state(self, group: dict) -> None:
        for p in group["params"]:
            state = self.state[p]
            if not state:
                state["step"] = scalar_state(0.0)
                state["sum"] = Tensor._make(
                    np.full_like(p._data, group["initial_accumulator_value"]))

    def _update_group(self, group: dict) -> None:
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        for p in group["params"]:
            g = grad_array(p, "Adagrad")
            if g is None:
                continue
            w = p._data
            state = self.state[p]
            if not state:
                self._init_group_state({"params": [p], **group})
            step_t = state["step"]._data
            step_t += 1
            step = float(step_t)
            d_out, tmp = self._scratch(w, 2)
            d, _ = effective_grad(g, w, group["weight_decay"], group["maximize"], d_out)
            clr = lr / (1 + (step - 1) * lr_decay)
            s = state["sum"]._data
            np.multiply(d, d, out=tmp)
            s += tmp
            np.sqrt(s, out=tmp)
            tmp += eps
            np.divide(d, tmp, out=tmp)
            tmp *= clr
            w -= tmp
            bump(p)
