"""One view of every image kind: transforms work on arrays shaped (..., C, H, W).

Accepted: graphgrad tensors (C, H, W) or (..., C, H, W) or (H, W); NumPy arrays (H, W) or
(H, W, C) with C <= 4 (channels last, as images are stored); Pillow images in mode 'L' or 'RGB'.
A transform returns the kind it was given (a tensor for a tensor, and so on).
"""
from __future__ import annotations

import numpy as np

from ...autograd.tensor import Tensor

PIL_MODES = ("L", "RGB")


def is_pil(img) -> bool:
    return type(img).__module__.startswith("PIL.")


def unpack(img, op: str):
    """``(array (..., C, H, W), pack)`` where ``pack(out)`` turns a result back into ``img``'s kind.

    ``out`` may have a different size and (for PIL) must keep the channel count."""
    if isinstance(img, Tensor):
        a = img._data
        if a.ndim < 2:
            raise ValueError(f"{op}: expected a tensor of shape (C, H, W) or (H, W), got shape "
                             f"{tuple(a.shape)}")
        if a.ndim == 2:
            return a[None], lambda out: Tensor._make(np.ascontiguousarray(out[0]))
        return a, lambda out: Tensor._make(np.ascontiguousarray(out))
    if is_pil(img):
        if img.mode not in PIL_MODES:
            raise ValueError(f"{op}: unsupported PIL image mode {img.mode!r}; expected one of "
                             f"{PIL_MODES} (convert it first, e.g. img.convert('RGB'))")
        from PIL import Image

        mode = img.mode
        chw, pack_array = _unpack_array(np.asarray(img), op)

        def pack_pil(out):
            return Image.fromarray(np.ascontiguousarray(pack_array(out)), mode=mode)

        return chw, pack_pil
    if isinstance(img, np.ndarray):
        return _unpack_array(img, op)
    raise TypeError(f"{op}: expected a Tensor, a NumPy array or a PIL Image, got "
                    f"{type(img).__name__}")


def _unpack_array(a: np.ndarray, op: str):
    if a.ndim == 2:
        return a[None], lambda out: np.ascontiguousarray(out[0])
    if a.ndim == 3:
        if a.shape[2] > 4:
            raise ValueError(f"{op}: expected an (H, W) or (H, W, C) array with at most 4 "
                             f"channels, got shape {a.shape}; channels-first data (C, H, W) "
                             "should be a tensor (graphgrad.from_numpy)")
        return a.transpose(2, 0, 1), lambda out: np.ascontiguousarray(out.transpose(1, 2, 0))
    raise ValueError(f"{op}: expected an image array of shape (H, W) or (H, W, C), got shape "
                     f"{a.shape}")


def image_size(img, op: str = "transform") -> tuple[int, int]:
    """(height, width) of any accepted image kind."""
    if is_pil(img):
        return img.size[1], img.size[0]
    a, _ = unpack(img, op)
    return a.shape[-2], a.shape[-1]


def bound(a: np.ndarray) -> float:
    """The largest value of an image of this dtype: 255 for uint8, 1.0 for floats."""
    return 255.0 if a.dtype == np.uint8 else 1.0


def to_float(a: np.ndarray) -> np.ndarray:
    return a if a.dtype.kind == "f" else a.astype(np.float32)


def like(out: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Cast a float result back to ``a``'s dtype (rounded and clipped for integer images)."""
    if a.dtype == np.uint8:
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)
    if a.dtype.kind in "iu":
        info = np.iinfo(a.dtype)
        return np.clip(np.rint(out), info.min, info.max).astype(a.dtype)
    return out.astype(a.dtype, copy=False)
