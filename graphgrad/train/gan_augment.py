"""Differentiable augmentation for a GAN's discriminator (DiffAugment, Zhao et al. 2020).

With a small training set the discriminator memorises the real images and its verdict stops
teaching the generator anything general. Showing it only randomly transformed images, real and
generated alike, prevents that; because each transform is differentiable, the generator's
gradient passes through it. Each transform takes and returns an (N, C, H, W) tensor whose
background is ``fill`` (-1 for tanh images) and draws its randomness from graphgrad's generator
(so an exactly resumed run draws the same).
"""
from __future__ import annotations

import numpy as np

from .. import rand, randint, tensor
from ..vision.transforms import Compose


class RandomTranslate:
    """Shift every image of a batch (N, C, H, W) by its own random offset of up to ``max_shift``
    pixels in each direction, filling with ``fill``. The shift is a product with 0/1 shift
    matrices, so the generator's gradient passes through it."""

    def __init__(self, max_shift: int = 2, fill: float = -1.0):
        if max_shift < 0:
            raise ValueError(f"RandomTranslate: max_shift must be >= 0, got {max_shift}")
        self.max_shift, self.fill = int(max_shift), float(fill)

    @staticmethod
    def _shift_matrices(offsets: np.ndarray, size: int) -> np.ndarray:
        # out[i] = in[i - d]: a one at (i, i - d) where 0 <= i - d < size
        rows = np.arange(size)[None, :, None]
        cols = np.arange(size)[None, None, :]
        return (cols == rows - offsets[:, None, None]).astype(np.float32)

    def __call__(self, x):
        if self.max_shift == 0:
            return x
        n, _, h, w = x.shape
        offsets = randint(-self.max_shift, self.max_shift + 1, (2, n)).numpy()
        sy = tensor(self._shift_matrices(offsets[0], h), dtype=x.dtype).unsqueeze(1)  # (N, 1, H, H)
        sx = tensor(self._shift_matrices(offsets[1], w), dtype=x.dtype).unsqueeze(1)  # (N, 1, W, W)
        shifted = sy @ (x - self.fill) @ sx.transpose(-1, -2)
        return shifted + self.fill


class RandomCutout:
    """Blank one square of side ``fraction`` times the image size per image, at a random place
    (it may hang over the edge), to ``fill``: ``fill + (x - fill) * mask``."""

    def __init__(self, fraction: float = 0.5, fill: float = -1.0):
        if not 0.0 <= fraction < 1.0:
            raise ValueError(f"RandomCutout: fraction must be in [0, 1), got {fraction}")
        self.fraction, self.fill = float(fraction), float(fill)

    def __call__(self, x):
        n, _, h, w = x.shape
        side_h, side_w = int(h * self.fraction + 0.5), int(w * self.fraction + 0.5)
        if not side_h or not side_w:
            return x
        # the square's centre is uniform over the image, as DiffAugment's cutout
        centre = (rand(2, n).numpy() * np.array([[h], [w]])).astype(np.int64)
        top, left = centre[0] - side_h // 2, centre[1] - side_w // 2
        rows, cols = np.arange(h)[None, :], np.arange(w)[None, :]
        in_rows = (rows >= top[:, None]) & (rows < top[:, None] + side_h)  # (N, H)
        in_cols = (cols >= left[:, None]) & (cols < left[:, None] + side_w)  # (N, W)
        keep = ~(in_rows[:, :, None] & in_cols[:, None, :])
        mask = tensor(keep[:, None].astype(np.float32), dtype=x.dtype)  # (N, 1, H, W)
        return (x - self.fill) * mask + self.fill


class DiffAugment(Compose):
    """Apply ``transforms`` in order (e.g. ``[RandomTranslate(3), RandomCutout(0.5)]``): the vision
    transforms' ``Compose``, named for what it chains here."""
