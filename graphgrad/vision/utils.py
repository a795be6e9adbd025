"""``graphgrad.vision.utils``: torchvision's ``make_grid`` (a batch of images tiled into one image)
and ``save_image`` (that grid written as a PNG/JPEG file), with torchvision's signatures and pixels.

``make_grid`` returns a new tensor holding the tiled images; it does not record a graph (images are
copied, detached). ``save_image`` writes atomically (a temporary file, then a rename).
"""
from __future__ import annotations

import math
import os

import numpy as np

from ..autograd.tensor import Tensor


def _as_batch(tensor) -> np.ndarray:
    """(B, C, H, W) float array from a batch, a list of images, (C, H, W) or (H, W)."""
    if isinstance(tensor, (list, tuple)):
        if not tensor or not all(isinstance(t, Tensor) for t in tensor):
            raise TypeError("make_grid: expected a tensor or a non-empty list of tensors")
        shapes = {tuple(t.shape) for t in tensor}
        if len(shapes) != 1:
            raise RuntimeError(f"make_grid: all images in the list must have one shape, got "
                               f"{sorted(shapes)}")
        array = np.stack([t._data for t in tensor])
    elif isinstance(tensor, Tensor):
        array = tensor._data
    else:
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor).__name__}")
    if array.ndim == 2:  # a single (H, W) image
        array = array[None]
    if array.ndim == 3:  # a single (C, H, W) image
        if array.shape[0] == 1:
            array = np.concatenate([array] * 3, 0)
        array = array[None]
    if array.ndim != 4:
        raise ValueError(f"make_grid: expected a (B, C, H, W) batch, got shape {array.shape}")
    if array.shape[1] == 1:  # grayscale becomes RGB
        array = np.concatenate([array] * 3, 1)
    return array


def _normalize(images: np.ndarray, low, high) -> np.ndarray:
    images = np.clip(images, low, high)
    return (images - low) / max(high - low, 1e-5)


def make_grid(tensor, nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range: tuple | None = None, scale_each: bool = False,
              pad_value: float = 0.0) -> Tensor:
    """Tile a batch (B, C, H, W) (or a list of (C, H, W) images) into one (C, H', W') image with
    ``nrow`` images per row and ``padding`` pixels of ``pad_value`` between and around them.

    ``normalize=True`` shifts each image (``scale_each``) or the whole batch into [0, 1] using
    ``value_range=(min, max)`` or its own min and max. One-channel images become three-channel.
    A batch of one image is returned without padding, as torchvision does."""
    images = _as_batch(tensor).copy()
    if normalize:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max "
                            "are numbers")
        if scale_each:
            for i in range(images.shape[0]):
                low, high = value_range or (float(images[i].min()), float(images[i].max()))
                images[i] = _normalize(images[i], low, high)
        else:
            low, high = value_range or (float(images.min()), float(images.max()))
            images = _normalize(images, low, high)
    if images.shape[0] == 1:
        return Tensor._make(images[0])
    n, channels, h, w = images.shape
    xmaps = min(nrow, n)
    ymaps = int(math.ceil(n / xmaps))
    height, width = h + padding, w + padding
    grid = np.full((channels, height * ymaps + padding, width * xmaps + padding), pad_value,
                   dtype=images.dtype)
    for k in range(n):
        y, x = divmod(k, xmaps)
        top, left = y * height + padding, x * width + padding
        grid[:, top:top + h, left:left + w] = images[k]
    return Tensor._make(grid)


def save_image(tensor, fp, format: str | None = None, **kwargs) -> None:  # noqa: A002
    """Write ``make_grid(tensor, **kwargs)`` as an 8-bit image to ``fp`` (a path or a binary file
    object; ``format`` is needed for a file object, else it comes from the extension). Values are
    taken as [0, 1] and rounded to 0..255 as torchvision does (``x * 255 + 0.5``, clamped)."""
    from PIL import Image

    grid = make_grid(tensor, **kwargs)._data
    pixels = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    if pixels.shape[2] == 1:
        pixels = pixels[..., 0]
    image = Image.fromarray(np.ascontiguousarray(pixels))
    if hasattr(fp, "write"):
        image.save(fp, format=format)
        return
    path = os.fspath(fp)
    if format is None:
        ext = os.path.splitext(path)[1].lower()
        format = Image.registered_extensions().get(ext)
        if format is None:
            raise ValueError(f"save_image: unknown file extension {ext!r} in {path!r}; pass "
                             "format= (e.g. 'PNG')")
    from ..serialization import atomic_write

    atomic_write(path, lambda fh: image.save(fh, format=format))


__all__ = ["make_grid", "save_image"]
