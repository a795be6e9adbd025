"""What FGSM and PGD share: the loss gradient with respect to the input, with the model in eval
mode and its parameters' gradients untouched."""
from __future__ import annotations

import numpy as np

from .. import autograd, tensor
from ..nn import functional as F


def as_input(x):
    """A detached float tensor copy of ``x`` (tensor or array)."""
    if hasattr(x, "detach"):
        return x.detach()
    return tensor(np.asarray(x, dtype=np.float32))


def as_labels(y, n: int):
    if hasattr(y, "detach"):
        y = y.detach().numpy()
    y = np.broadcast_to(np.asarray(y, dtype=np.int64), (n,))
    return tensor(np.ascontiguousarray(y))


def loss_gradient(model, x, y, loss_fn=None) -> np.ndarray:
    """d loss(model(x), y) / d x as an array (model in eval mode, restored afterwards)."""
    x = x.detach().requires_grad_(True)
    was_training = model.training
    model.eval()
    try:
        with autograd.enable_grad():
            out = model(x)
            loss = (loss_fn or F.cross_entropy)(out, y)
            (g,) = autograd.grad(loss, [x])
    finally:
        model.train(was_training)
    return g.numpy()


def check_eps(op: str, eps) -> float:
    eps = float(eps)
    if not eps >= 0:
        raise ValueError(f"{op}: eps must be >= 0, got {eps}")
    return eps


def clip(op: str, x: np.ndarray, clamp) -> np.ndarray:
    if clamp is None:
        return x
    lo, hi = clamp
    if lo > hi:
        raise ValueError(f"{op}: clamp must be (min, max) with min <= max, got {clamp}")
    return np.clip(x, lo, hi)
