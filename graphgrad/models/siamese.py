"""Learned distance functions: an embedding network trained so that distances between embeddings
mean similarity. ``SiameseNet`` with the contrastive loss (Hadsell, Chopra and LeCun 2006) on pairs,
or the triplet loss (Schroff et al. 2015, ``nn.TripletMarginLoss``) on (anchor, positive, negative);
pair and triplet sampling from labels."""
from __future__ import annotations

import numpy as np

from .. import nn


class EmbeddingNet(nn.Module):
    """A small CNN mapping (N, in_channels, 28, 28) images to (N, dim) embeddings:
    (Conv5x5-ReLU-MaxPool2) x 2, then Linear-ReLU-Linear to ``dim``."""

    def __init__(self, in_channels: int = 1, dim: int = 2, channels=(16, 32), hidden: int = 128,
                 image_size: int = 28):
        super().__init__()
        c1, c2 = channels
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())
        side = image_size // 4
        self.head = nn.Sequential(nn.Linear(c2 * side * side, hidden), nn.ReLU(),
                                  nn.Linear(hidden, dim))

    def forward(self, x):
        return self.head(self.features(x))


class SiameseNet(nn.Module):
    """Two (or three) inputs through one shared ``embedding`` network; returns their embeddings."""

    def __init__(self, embedding: nn.Module):
        super().__init__()
        self.embedding = embedding

    def forward(self, *inputs):
        return tuple(self.embedding(x) for x in inputs)


def contrastive_loss(e1, e2, same, margin: float = 1.0, reduction: str = "mean"):
    """Hadsell et al.'s loss on embedding pairs (N, D): ``same`` (N,) is 1 for a pair of one class,
    0 otherwise. Pairs of one class are pulled together (d^2); other pairs are pushed apart until
    their distance reaches ``margin`` (max(0, margin - d)^2); the result is halved as in the paper.
    """
    if e1.shape != e2.shape:
        raise ValueError(f"contrastive_loss: the embeddings differ in shape: {tuple(e1.shape)} "
                         f"and {tuple(e2.shape)}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"contrastive_loss: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    same = same.to(e1.dtype) if hasattr(same, "to") else same
    d2 = ((e1 - e2) ** 2).sum(dim=1)
    d = (d2 + 1e-12).sqrt()  # the epsilon keeps the gradient finite at d = 0
    loss = 0.5 * (same * d2 + (1 - same) * (margin - d).clamp(min=0) ** 2)
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


class ContrastiveLoss(nn.Module):
    """Module form of ``contrastive_loss``: ``loss(e1, e2, same)``."""

    def __init__(self, margin: float = 1.0, reduction: str = "mean"):
        super().__init__()
        self.margin, self.reduction = margin, reduction

    def forward(self, e1, e2, same):
        return contrastive_loss(e1, e2, same, self.margin, self.reduction)


def _by_class(labels):
    labels = np.asarray(labels)
    classes = np.unique(labels)
    if len(classes) < 2:
        raise ValueError(f"pair/triplet sampling needs at least 2 classes, got {classes.tolist()}")
    return labels, classes, {c: np.flatnonzero(labels == c) for c in classes}


def sample_pairs(labels, n: int, rng=None):
    """``n`` index pairs, half of one class and half of two different classes:
    ``(i (n,), j (n,), same (n,) float32)``."""
    rng = rng if rng is not None else np.random.default_rng()
    labels, classes, index = _by_class(labels)
    i = rng.integers(len(labels), size=n)
    same = (np.arange(n) % 2 == 0)
    j = np.empty(n, dtype=np.int64)
    for k in range(n):  # n small index draws, not a loop over pixels
        c = labels[i[k]]
        if same[k] and len(index[c]) > 1:
            j[k] = rng.choice(index[c])
        else:
            other = rng.choice(classes[classes != c])
            j[k] = rng.choice(index[other])
    same = labels[i] == labels[j]
    return i, j, same.astype(np.float32)


def sample_triplets(labels, n: int, rng=None):
    """``n`` (anchor, positive, negative) index triplets: positive of the anchor's class (another
    example where there is one), negative of a different class."""
    rng = rng if rng is not None else np.random.default_rng()
    labels, classes, index = _by_class(labels)
    a = rng.integers(len(labels), size=n)
    p = np.empty(n, dtype=np.int64)
    q = np.empty(n, dtype=np.int64)
    for k in range(n):
        c = labels[a[k]]
        choices = index[c][index[c] != a[k]]
        p[k] = rng.choice(choices) if len(choices) else a[k]
        q[k] = rng.choice(index[rng.choice(classes[classes != c])])
    return a, p, q
