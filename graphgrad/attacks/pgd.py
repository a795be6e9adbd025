"""Projected gradient descent (Madry et al. 2018): repeated FGSM steps of size ``alpha``, each
followed by a projection back onto the L-inf ball of radius ``eps`` around the clean input (and onto
the valid input range), from a random start inside the ball."""
from __future__ import annotations

import numpy as np

from .. import backend, tensor
from ._common import as_input, as_labels, check_eps, clip, loss_gradient


def pgd(model, x, y, eps: float, alpha: float | None = None, steps: int = 10,
        random_start: bool = True, targeted: bool = False, clamp=None, loss_fn=None,
        generator=None):
    """L-inf PGD adversarial examples for ``model`` from ``x`` (N, ...) and labels ``y`` (N,).

    ``alpha``: the step size (default ``2.5 * eps / steps``, Madry et al.'s choice); ``steps``:
    iterations; ``random_start``: begin at a uniform point of the ball (seeded by
    ``graphgrad.manual_seed`` or ``generator``). Untargeted pushes the loss of the true labels up;
    ``targeted=True`` pulls the loss of the wanted labels ``y`` down. ``clamp=(min, max)``: the
    valid input range. Returns a new tensor without a graph; every result lies within ``eps`` of
    ``x`` in every coordinate."""
    eps = check_eps("pgd", eps)
    if int(steps) < 1:
        raise ValueError(f"pgd: steps must be >= 1, got {steps}")
    alpha = 2.5 * eps / steps if alpha is None else float(alpha)
    x = as_input(x)
    y = as_labels(y, x.shape[0])
    x0 = x.numpy()
    dtype = x0.dtype
    adv = x0.copy()
    if random_start and eps > 0:
        noise = backend.rng(generator).uniform(-eps, eps, size=x0.shape)
        adv = clip("pgd", x0 + noise, clamp).astype(dtype)
    sign = -1.0 if targeted else 1.0
    for _ in range(int(steps)):
        g = loss_gradient(model, tensor(adv), y, loss_fn)
        adv = adv + sign * alpha * np.sign(g)
        adv = np.clip(adv, x0 - eps, x0 + eps)  # project onto the ball
        adv = clip("pgd", adv, clamp).astype(dtype, copy=False)
    return tensor(adv)
