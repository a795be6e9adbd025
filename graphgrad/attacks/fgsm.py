"""The fast gradient sign method (Goodfellow, Shlens and Szegedy 2015): one step of size ``eps``
along the sign of the input gradient of the loss, the worst case to first order inside the L-inf
ball of radius ``eps``."""
from __future__ import annotations

import numpy as np

from .. import tensor
from ._common import as_input, as_labels, check_eps, clip, loss_gradient


def fgsm(model, x, y, eps: float, targeted: bool = False, clamp=None, loss_fn=None):
    """Adversarial examples for ``model`` from inputs ``x`` (N, ...) and labels ``y`` (N,).

    Untargeted (default): ``x + eps * sign(d loss(model(x), y) / dx)`` pushes away from the true
    labels ``y``. Targeted: ``y`` are the wanted labels and the step goes down their loss,
    ``x - eps * sign(...)``. ``clamp=(min, max)`` keeps the result a valid input (e.g. the
    normalised values of pixels 0 and 1). ``loss_fn(logits, y)`` defaults to cross-entropy.
    Returns a new tensor without a graph; the model's parameters and mode are left as they were."""
    eps = check_eps("fgsm", eps)
    x = as_input(x)
    y = as_labels(y, x.shape[0])
    g = loss_gradient(model, x, y, loss_fn)
    step = eps * np.sign(g)
    adv = x.numpy() - step if targeted else x.numpy() + step
    return tensor(clip("fgsm", adv, clamp).astype(x.numpy().dtype, copy=False))
