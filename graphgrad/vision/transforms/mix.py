"""Batch augmentations that mix pairs of samples: ``MixUp`` and ``CutMix``.

Both take a batch ``(images (N, C, H, W), labels)`` and return mixed images and soft targets
(N, num_classes): sample i is mixed with sample i - 1 (the batch rolled by one, as torchvision
does; batches are shuffled already), with one ``lam ~ Beta(alpha, alpha)`` per batch drawn from
graphgrad's seeded generator. Integer labels are one-hot encoded first; probability targets are
mixed as they are. Pass an instance as ``collate_fn`` to a ``DataLoader``: a list of samples is
collated with ``default_collate`` first. Training on the result needs a loss with probability
targets, such as ``nn.functional.cross_entropy(logits, soft_targets)``.
"""
from __future__ import annotations

import math

import numpy as np

from ... import backend
from ...autograd.tensor import Tensor
from ...utils.data import default_collate

__all__ = ["MixUp", "CutMix"]


def _as_array(x):
    return (x._data, True) if isinstance(x, Tensor) else (np.asarray(x), False)


class _Mix:
    def __init__(self, alpha: float = 1.0, num_classes: int | None = None):
        if alpha <= 0:
            raise ValueError(f"{type(self).__name__}: alpha must be positive, got {alpha}")
        self.alpha = float(alpha)
        self.num_classes = num_classes

    def _split(self, args):
        if len(args) == 2:
            return args
        if len(args) == 1 and isinstance(args[0], (list, tuple)) and args[0]:
            batch = args[0]
            if isinstance(batch[0], (tuple, list)):  # samples (image, label), as a collate_fn
                batch = default_collate(list(batch))
            if len(batch) == 2:
                return batch[0], batch[1]
        raise TypeError(f"{type(self).__name__}: expected (images, labels) or a list of "
                        "(image, label) samples")

    def _targets(self, labels: np.ndarray, n: int) -> np.ndarray:
        name = type(self).__name__
        if labels.ndim == 1:
            if labels.dtype.kind not in "iu":
                raise TypeError(f"{name}: class labels must be integers, got {labels.dtype}")
            if self.num_classes is None:
                raise ValueError(f"{name}: num_classes is needed to one-hot encode integer labels")
            if labels.size and (labels.min() < 0 or labels.max() >= self.num_classes):
                raise ValueError(f"{name}: labels must be in [0, {self.num_classes}), got values "
                                 f"{labels.min()}..{labels.max()}")
            return np.eye(self.num_classes, dtype=np.float32)[labels]
        if labels.ndim == 2 and labels.shape[0] == n:
            return labels.astype(np.float32, copy=False)
        raise ValueError(f"{name}: labels must be (N,) class indices or (N, num_classes) "
                         f"probabilities for N={n} images, got shape {labels.shape}")

    def __call__(self, *args):
        images, labels = self._split(args)
        x, x_tensor = _as_array(images)
        y, y_tensor = _as_array(labels)
        name = type(self).__name__
        if x.ndim != 4:
            raise ValueError(f"{name}: expected a batch of images (N, C, H, W), got shape {x.shape}")
        x = x if x.dtype.kind == "f" else x.astype(np.float32)
        y = self._targets(y, x.shape[0])
        lam = float(backend.default_generator.rng.beta(self.alpha, self.alpha))
        x, lam = self._mix_images(x, lam)
        y = lam * y + (1.0 - lam) * np.roll(y, 1, axis=0)
        out_x = Tensor._make(x) if x_tensor else x
        out_y = Tensor._make(y.astype(np.float32)) if (y_tensor or x_tensor) else y
        return out_x, out_y

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alpha={self.alpha}, num_classes={self.num_classes})"


class MixUp(_Mix):
    """``x = lam x_i + (1 - lam) x_j``, ``y = lam y_i + (1 - lam) y_j`` (Zhang et al., 2018)."""

    def _mix_images(self, x, lam):
        return lam * x + (1.0 - lam) * np.roll(x, 1, axis=0), lam


class CutMix(_Mix):
    """Paste a box of sample j into sample i; the box has area about ``(1 - lam) H W`` and a
    uniformly drawn centre (clipped at the borders), and ``lam`` becomes the share of the image
    kept (Yun et al., 2019)."""

    def _mix_images(self, x, lam):
        h, w = x.shape[-2:]
        rng = backend.default_generator.rng
        cy, cx = int(rng.integers(0, h)), int(rng.integers(0, w))
        r = 0.5 * math.sqrt(1.0 - lam)
        rh, rw = int(r * h), int(r * w)
        y1, y2 = max(cy - rh, 0), min(cy + rh, h)
        x1, x2 = max(cx - rw, 0), min(cx + rw, w)
        out = x.copy()
        out[..., y1:y2, x1:x2] = np.roll(x, 1, axis=0)[..., y1:y2, x1:x2]
        return out, 1.0 - (y2 - y1) * (x2 - x1) / (h * w)
