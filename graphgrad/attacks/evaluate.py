"""Accuracy under attack over a data loader, and adversarial training as a batch transform."""
from __future__ import annotations

import numpy as np

from .. import autograd, tensor


def _predict(model, x) -> np.ndarray:
    was_training = model.training
    model.eval()
    try:
        with autograd.no_grad():
            return model(x).numpy().argmax(axis=1)
    finally:
        model.train(was_training)


def robust_accuracy(model, loader, attack, eps_values, max_batches: int | None = None,
                    **attack_options) -> dict:
    """``{eps: accuracy}`` of ``model`` on ``loader``'s batches attacked by
    ``attack(model, x, y, eps, **attack_options)`` (``fgsm`` or ``pgd``); eps 0 is clean data."""
    correct = {float(e): 0 for e in eps_values}
    seen = 0
    for b, (x, y) in enumerate(loader):
        if max_batches is not None and b >= max_batches:
            break
        y_np = y.numpy() if hasattr(y, "numpy") else np.asarray(y)
        for e in correct:
            x_adv = x if e == 0 else attack(model, x, y, e, **attack_options)
            correct[e] += int((_predict(model, x_adv) == y_np).sum())
        seen += len(y_np)
    if seen == 0:
        raise ValueError("robust_accuracy: the loader produced no batches")
    return {e: c / seen for e, c in correct.items()}


class AdversarialBatch:
    """A batch transform for ``Trainer(mixup=...)``: replaces a ``fraction`` of each training batch
    by adversarial examples made against the current model (Goodfellow et al.'s mixed objective
    with fraction 0.5; Madry et al.'s with fraction 1 and PGD)."""

    def __init__(self, model, attack, eps: float, fraction: float = 0.5, **attack_options):
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"AdversarialBatch: fraction must be in [0, 1], got {fraction}")
        self.model, self.attack, self.eps = model, attack, eps
        self.fraction, self.options = fraction, attack_options

    def __call__(self, x, y):
        n = int(round(self.fraction * x.shape[0]))
        if n == 0:
            return x, y
        adv = self.attack(self.model, x[:n], y[:n], self.eps, **self.options)
        xs = x.detach().numpy().copy()
        xs[:n] = adv.numpy()
        return tensor(xs), y
