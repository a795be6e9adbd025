"""Batches drawn at random by a function, for training on a budget of steps rather than epochs:
siamese pairs, triplets, random mini-batches of a small set, synthetic sequences."""
from __future__ import annotations

import numpy as np


class DrawnBatches:
    """``steps`` batches, batch after batch ``draw(rng)``, from a NumPy generator seeded with
    ``seed`` afresh at the start of every pass: a pass is one epoch of the training loop, and a
    resumed pass that skips its first k batches (drawing and dropping them) continues with
    exactly the batches an uninterrupted one would have drawn. Every pass draws the same batches,
    so train on one."""

    def __init__(self, draw, steps: int, seed: int):
        if int(steps) < 1:
            raise ValueError(f"DrawnBatches: steps must be >= 1, got {steps}")
        self.draw, self.steps, self.seed = draw, int(steps), int(seed)

    def __len__(self) -> int:
        return self.steps

    def __iter__(self):
        rng = np.random.default_rng(self.seed)
        for _ in range(self.steps):
            yield self.draw(rng)


__all__ = ["DrawnBatches"]
