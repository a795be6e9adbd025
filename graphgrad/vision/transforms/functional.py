"""Image operations behind the transforms (torchvision's ``transforms.functional`` names).

Every function takes a tensor (..., C, H, W), a NumPy array (H, W) / (H, W, C) or a Pillow image
and returns the same kind. Work is vectorised over pixels and channels: resizing is two small
matrix products, rotation and affine maps are an inverse mapping of the output grid with one
gather per neighbour, colour changes are array arithmetic.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ...autograd.tensor import Tensor
from ._image import bound, image_size, is_pil, like, to_float, unpack

__all__ = ["InterpolationMode", "to_tensor", "pil_to_tensor", "to_pil_image", "normalize",
           "resize", "crop", "center_crop", "resized_crop", "pad", "hflip", "vflip",
           "rgb_to_grayscale", "adjust_brightness", "adjust_contrast", "adjust_saturation",
           "adjust_hue", "affine", "rotate", "erase", "gaussian_blur", "get_image_size"]


class InterpolationMode:
    """How pixels between grid points are sampled (the strings 'nearest'/'bilinear' work too)."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"


def _interp(mode, op: str) -> str:
    mode = str(getattr(mode, "value", mode)).lower()
    if mode not in ("nearest", "bilinear"):
        raise ValueError(f"{op}: interpolation must be 'nearest' or 'bilinear', got {mode!r}")
    return mode


def get_image_size(img) -> list[int]:
    """[width, height], as torchvision's ``get_image_size``."""
    h, w = image_size(img)
    return [w, h]


# ------------------------------------------------------------------ conversion
def to_tensor(pic) -> Tensor:
    """A Pillow image or an (H, W[, C]) array as a (C, H, W) tensor; uint8 is scaled to [0, 1]
    float32, other dtypes are kept unscaled."""
    if isinstance(pic, Tensor):
        raise TypeError("to_tensor: the input is already a tensor; use it directly")
    if not (is_pil(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"to_tensor: expected a PIL Image or a NumPy array, got {type(pic).__name__}")
    chw, _ = unpack(pic, "to_tensor")
    chw = np.ascontiguousarray(chw)
    if chw.dtype == np.uint8:
        return Tensor._make(chw.astype(np.float32) / np.float32(255))
    return Tensor._make(chw if chw.dtype != np.float16 else chw.astype(np.float32))


def pil_to_tensor(pic) -> Tensor:
    """A Pillow image as a (C, H, W) uint8 tensor, unscaled."""
    chw, _ = unpack(pic, "pil_to_tensor")
    return Tensor._make(np.ascontiguousarray(chw))


def to_pil_image(pic, mode: str | None = None):
    """A (C, H, W) tensor (floats in [0, 1] are scaled to 0..255) or an (H, W[, C]) array as a
    Pillow image in mode 'L' (one channel) or 'RGB' (three)."""
    from PIL import Image

    if isinstance(pic, Tensor):
        a = pic._data
        a = a[None] if a.ndim == 2 else a
        if a.ndim != 3:
            raise ValueError(f"to_pil_image: expected a (C, H, W) tensor, got shape {a.shape}")
        if a.dtype.kind == "f":
            a = np.clip(np.rint(a * 255), 0, 255).astype(np.uint8)
        hwc = a.transpose(1, 2, 0)
    elif isinstance(pic, np.ndarray):
        hwc = pic if pic.ndim == 3 else pic[..., None]
    else:
        raise TypeError(f"to_pil_image: expected a Tensor or a NumPy array, got {type(pic).__name__}")
    if hwc.dtype != np.uint8:
        raise TypeError(f"to_pil_image: expected uint8 data (or floats in a tensor), got {hwc.dtype}")
    c = hwc.shape[2]
    if c not in (1, 3):
        raise ValueError(f"to_pil_image: expected 1 or 3 channels, got {c}")
    mode = mode or ("L" if c == 1 else "RGB")
    return Image.fromarray(np.ascontiguousarray(hwc[..., 0] if c == 1 else hwc), mode=mode)


def normalize(tensor, mean, std, inplace: bool = False):
    """``(x - mean[c]) / std[c]`` per channel of a float (..., C, H, W) tensor or array."""
    a, pack = unpack(tensor, "normalize")
    if a.dtype.kind != "f":
        raise TypeError(f"normalize: expected a float image, got {a.dtype}; apply ToTensor first")
    c = a.shape[-3]
    mean = np.asarray(mean, dtype=a.dtype).reshape(-1)
    std = np.asarray(std, dtype=a.dtype).reshape(-1)
    for name, v in (("mean", mean), ("std", std)):
        if v.size not in (1, c):
            raise ValueError(f"normalize: {name} has {v.size} values but the image has {c} "
                             f"channel(s) (shape {tuple(a.shape)})")
    if np.any(std == 0):
        raise ValueError(f"normalize: std evaluated to zero after conversion to {a.dtype}, leading "
                         "to division by zero")
    mean, std = mean.reshape(-1, 1, 1), std.reshape(-1, 1, 1)
    if inplace and isinstance(tensor, (Tensor, np.ndarray)):
        np.subtract(a, mean, out=a)
        np.divide(a, std, out=a)
        return tensor
    return pack((a - mean) / std)


# ------------------------------------------------------------------ geometry
def _resample_matrix(n_in: int, n_out: int, mode: str, antialias: bool) -> np.ndarray:
    """(n_out, n_in) weights mapping a line of pixels to its resized version (half-pixel
    centres; bilinear uses a triangle filter widened by the scale when shrinking with antialias)."""
    scale = n_in / n_out
    centre = (np.arange(n_out) + 0.5) * scale
    if mode == "nearest":
        m = np.zeros((n_out, n_in), dtype=np.float64)
        src = np.minimum(np.floor(np.arange(n_out) * scale).astype(np.int64), n_in - 1)
        m[np.arange(n_out), src] = 1.0
        return m
    if antialias and scale > 1:  # shrinking: a triangle filter as wide as the scale
        dist = (np.arange(n_in)[None, :] + 0.5 - centre[:, None]) / scale
        m = np.maximum(0.0, 1.0 - np.abs(dist))
        return m / m.sum(axis=1, keepdims=True)
    src = np.clip(centre - 0.5, 0, n_in - 1)  # plain bilinear, clamped at the border
    lo = np.floor(src).astype(np.int64)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = src - lo
    m = np.zeros((n_out, n_in))
    np.add.at(m, (np.arange(n_out), lo), 1 - frac)
    np.add.at(m, (np.arange(n_out), hi), frac)
    return m


def _output_size(h: int, w: int, size, max_size) -> tuple[int, int]:
    if isinstance(size, numbers.Integral) or (isinstance(size, (list, tuple)) and len(size) == 1):
        s = int(size if isinstance(size, numbers.Integral) else size[0])
        short, long = (h, w) if h <= w else (w, h)
        new_short, new_long = s, int(s * long / short)
        if max_size is not None and new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
        return (new_short, new_long) if h <= w else (new_long, new_short)
    if max_size is not None:
        raise ValueError("resize: max_size is only supported when size is a single int")
    oh, ow = size
    return int(oh), int(ow)


def resize(img, size, interpolation="bilinear", max_size=None, antialias: bool = True):
    """Resize to ``size`` (h, w), or make the shorter edge ``size`` keeping the aspect ratio.

    Bilinear matches ``torch.nn.functional.interpolate(mode='bilinear', align_corners=False,
    antialias=antialias)``; nearest picks ``floor(i * in / out)`` as PyTorch's 'nearest'."""
    mode = _interp(interpolation, "resize")
    a, pack = unpack(img, "resize")
    h, w = a.shape[-2:]
    oh, ow = _output_size(h, w, size, max_size)
    if oh <= 0 or ow <= 0:
        raise ValueError(f"resize: output size must be positive, got {(oh, ow)} from size={size}")
    if (oh, ow) == (h, w):
        return pack(a.copy())
    mh = _resample_matrix(h, oh, mode, antialias).astype(np.float32)
    mw = _resample_matrix(w, ow, mode, antialias).astype(np.float32)
    out = mh @ to_float(a).astype(np.float32, copy=False) @ mw.T
    return pack(like(out, a))


def crop(img, top: int, left: int, height: int, width: int):
    """The (height, width) window at (top, left); parts outside the image are zeros."""
    a, pack = unpack(img, "crop")
    h, w = a.shape[-2:]
    if top >= 0 and left >= 0 and top + height <= h and left + width <= w:
        return pack(a[..., top:top + height, left:left + width].copy())
    out = np.zeros(a.shape[:-2] + (height, width), dtype=a.dtype)
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + height, h), min(left + width, w)
    if y1 > y0 and x1 > x0:
        out[..., y0 - top:y1 - top, x0 - left:x1 - left] = a[..., y0:y1, x0:x1]
    return pack(out)


def _pair(size, op: str) -> tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if len(size) == 1:
        return int(size[0]), int(size[0])
    if len(size) != 2:
        raise ValueError(f"{op}: size must be an int or a pair (h, w), got {size}")
    return int(size[0]), int(size[1])


def center_crop(img, output_size):
    """The central (h, w) window (zero-padded when the image is smaller)."""
    th, tw = _pair(output_size, "center_crop")
    h, w = image_size(img, "center_crop")
    return crop(img, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw)


def resized_crop(img, top, left, height, width, size, interpolation="bilinear", antialias=True):
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def _padding4(padding) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) from an int, (lr, tb) or (l, t, r, b)."""
    if isinstance(padding, numbers.Integral):
        return (int(padding),) * 4
    p = [int(v) for v in padding]
    if len(p) == 1:
        return (p[0],) * 4
    if len(p) == 2:
        return p[0], p[1], p[0], p[1]
    if len(p) == 4:
        return tuple(p)
    raise ValueError(f"pad: padding must be an int or a sequence of 1, 2 or 4 ints, got {padding}")


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pad the borders: ``padding`` is an int, (left/right, top/bottom) or (left, top, right,
    bottom); ``padding_mode`` 'constant' (with ``fill``), 'edge', 'reflect' or 'symmetric'."""
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError(f"pad: padding_mode must be constant, edge, reflect or symmetric, got "
                         f"{padding_mode!r}")
    left, top, right, bottom = _padding4(padding)
    a, pack = unpack(img, "pad")
    widths = [(0, 0)] * (a.ndim - 2) + [(top, bottom), (left, right)]
    if padding_mode != "constant":
        return pack(np.pad(a, widths, mode=padding_mode))
    fill_arr = _fill(fill, a)
    out = np.empty(a.shape[:-2] + (a.shape[-2] + top + bottom, a.shape[-1] + left + right),
                   dtype=a.dtype)
    out[...] = fill_arr
    out[..., top:top + a.shape[-2], left:left + a.shape[-1]] = a
    return pack(out)


def _fill(fill, a: np.ndarray) -> np.ndarray:
    """A fill value broadcastable against (..., C, H, W): a number or one value per channel."""
    f = np.asarray(0 if fill is None else fill, dtype=np.float64).reshape(-1)
    c = a.shape[-3]
    if f.size not in (1, c):
        raise ValueError(f"fill has {f.size} values but the image has {c} channel(s)")
    return f.reshape(-1, 1, 1).astype(a.dtype) if a.dtype.kind == "f" else \
        np.clip(np.rint(f), 0, 255).reshape(-1, 1, 1).astype(a.dtype)


def hflip(img):
    a, pack = unpack(img, "hflip")
    return pack(a[..., ::-1].copy())


def vflip(img):
    a, pack = unpack(img, "vflip")
    return pack(a[..., ::-1, :].copy())


# ------------------------------------------------------------------ colour
_GRAY = np.array([0.299, 0.587, 0.114])


def _gray(a: np.ndarray) -> np.ndarray:
    """Luma (..., 1, H, W) as floats, of a (..., 3, H, W) image."""
    return np.einsum("c,...chw->...hw", _GRAY.astype(np.float32), to_float(a))[..., None, :, :]


def _check_channels(a, allowed, op):
    if a.shape[-3] not in allowed:
        raise ValueError(f"{op}: expected an image with {' or '.join(map(str, allowed))} "
                         f"channels, got {a.shape[-3]} (shape {tuple(a.shape)})")


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """Luma 0.299 R + 0.587 G + 0.114 B, repeated to ``num_output_channels`` (1 or 3)."""
    if num_output_channels not in (1, 3):
        raise ValueError("rgb_to_grayscale: num_output_channels should be either 1 or 3")
    a, pack = unpack(img, "rgb_to_grayscale")
    _check_channels(a, (1, 3), "rgb_to_grayscale")
    g = to_float(a[..., :1, :, :]) if a.shape[-3] == 1 else _gray(a)
    g = like(g, a)
    if num_output_channels == 3:
        g = np.repeat(g, 3, axis=-3)
    if is_pil(img) and num_output_channels == 1 and a.shape[-3] == 3:
        from PIL import Image

        return Image.fromarray(np.ascontiguousarray(g[0]), mode="L")
    return pack(g)


def _blend(a: np.ndarray, b, ratio: float) -> np.ndarray:
    out = ratio * to_float(a) + (1.0 - ratio) * b
    return like(np.clip(out, 0, bound(a)), a)


def adjust_brightness(img, brightness_factor: float):
    if brightness_factor < 0:
        raise ValueError(f"adjust_brightness: factor must be non-negative, got {brightness_factor}")
    a, pack = unpack(img, "adjust_brightness")
    return pack(_blend(a, 0.0, brightness_factor))


def adjust_contrast(img, contrast_factor: float):
    if contrast_factor < 0:
        raise ValueError(f"adjust_contrast: factor must be non-negative, got {contrast_factor}")
    a, pack = unpack(img, "adjust_contrast")
    _check_channels(a, (1, 3), "adjust_contrast")
    g = to_float(a) if a.shape[-3] == 1 else _gray(a)
    mean = g.mean(axis=(-3, -2, -1), keepdims=True)
    return pack(_blend(a, mean, contrast_factor))


def adjust_saturation(img, saturation_factor: float):
    if saturation_factor < 0:
        raise ValueError(f"adjust_saturation: factor must be non-negative, got {saturation_factor}")
    a, pack = unpack(img, "adjust_saturation")
    _check_channels(a, (1, 3), "adjust_saturation")
    if a.shape[-3] == 1:
        return pack(a.copy())
    return pack(_blend(a, _gray(a), saturation_factor))


def adjust_hue(img, hue_factor: float):
    """Shift the hue by ``hue_factor`` (in [-0.5, 0.5], a fraction of the colour wheel)."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"adjust_hue: hue_factor ({hue_factor}) is not in [-0.5, 0.5]")
    a, pack = unpack(img, "adjust_hue")
    _check_channels(a, (1, 3), "adjust_hue")
    if a.shape[-3] == 1:
        return pack(a.copy())
    x = to_float(a) / bound(a)
    r, g, b = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    maxc, minc = x.max(axis=-3), x.min(axis=-3)
    v, delta = maxc, maxc - minc
    s = np.where(maxc > 0, delta / np.where(maxc > 0, maxc, 1), 0)
    d = np.where(delta > 0, delta, 1)
    h = np.where(maxc == r, (g - b) / d, np.where(maxc == g, 2.0 + (b - r) / d, 4.0 + (r - g) / d))
    h = np.where(delta > 0, (h / 6.0) % 1.0, 0.0)
    h = (h + hue_factor) % 1.0
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    i = i.astype(np.int64) % 6
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = np.stack([np.choose(i, [c[k] for c in choices]) for k in range(3)], axis=-3)
    return pack(like(out * bound(a), a))


# ------------------------------------------------------------------ affine maps
def _inverse_affine(angle, translate, scale, shear, center):
    """(2x2 matrix, offset) mapping output pixel coordinates (x, y) to input coordinates.

    The forward map is ``p_out = c + t + M (p_in - c)`` with ``M = scale * R(angle) @ Sx @ Sy``:
    ``R`` turns the picture counter-clockwise as shown on screen (y pointing down), ``Sx`` shears
    along x by ``shear[0]`` degrees and ``Sy`` along y by ``shear[1]``."""
    th = math.radians(angle)
    cos, sin = math.cos(th), math.sin(th)
    tx, ty = math.tan(math.radians(shear[0])), math.tan(math.radians(shear[1]))
    # M = scale * [[c, s], [-s, c]] @ [[1, tx], [0, 1]] @ [[1, 0], [ty, 1]], written out
    m00, m01 = cos + sin * ty + cos * tx * ty, cos * tx + sin
    m10, m11 = -sin + cos * ty - sin * tx * ty, -sin * tx + cos
    det = scale * scale * (m00 * m11 - m01 * m10)
    inv = np.array([[m11, -m01], [-m10, m00]]) * (scale / det)
    c = np.asarray(center, dtype=np.float64)
    t = np.asarray(translate, dtype=np.float64)
    return inv, c - inv @ (c + t)


_GRIDS: dict = {}


def _grid(h: int, w: int):
    """Pixel coordinates (xs, ys), each (h, w) float64, cached per size."""
    g = _GRIDS.get((h, w))
    if g is None:
        ys, xs = np.indices((h, w), dtype=np.float64)
        g = _GRIDS[(h, w)] = (xs, ys)
        if len(_GRIDS) > 64:
            _GRIDS.clear()
    return g


def _sample(a: np.ndarray, xs: np.ndarray, ys: np.ndarray, mode: str, fill) -> np.ndarray:
    """Values of ``a`` (..., C, H, W) at float pixel coordinates (xs, ys) of shape (h, w);
    points outside the image take ``fill``."""
    h, w = a.shape[-2:]
    fill_arr = _fill(fill, a).astype(np.float32)
    flat = a.reshape(a.shape[:-2] + (h * w,))
    # Round coordinates that are integers up to rounding error, so that exact maps stay exact.
    rx, ry = np.rint(xs), np.rint(ys)
    xs = np.where(np.abs(xs - rx) < 1e-6, rx, xs)
    ys = np.where(np.abs(ys - ry) < 1e-6, ry, ys)
    if mode == "nearest":
        xi, yi = np.floor(xs + 0.5).astype(np.intp), np.floor(ys + 0.5).astype(np.intp)
        inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        vals = np.take(flat, np.where(inside, yi * w + xi, 0), axis=-1)
        return np.where(inside, vals, fill_arr)
    x0, y0 = np.floor(xs), np.floor(ys)
    wx, wy = (xs - x0).astype(np.float32), (ys - y0).astype(np.float32)
    x0, y0 = x0.astype(np.intp), y0.astype(np.intp)
    src = flat.astype(np.float32, copy=False)
    out = 0.0
    for dy, dx, wgt in ((0, 0, (1 - wy) * (1 - wx)), (0, 1, (1 - wy) * wx),
                        (1, 0, wy * (1 - wx)), (1, 1, wy * wx)):
        xi, yi = x0 + dx, y0 + dy
        inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        vals = np.take(src, np.where(inside, yi * w + xi, 0), axis=-1)
        out = out + wgt * np.where(inside, vals, fill_arr)
    return out


def _warp(img, op, inv, offset, out_hw, interpolation, fill):
    a, pack = unpack(img, op)
    xs, ys = _grid(*out_hw)
    sx = inv[0, 0] * xs + inv[0, 1] * ys + offset[0]
    sy = inv[1, 0] * xs + inv[1, 1] * ys + offset[1]
    return pack(like(_sample(a, sx, sy, _interp(interpolation, op), fill), a))


def affine(img, angle: float, translate, scale: float, shear, interpolation="nearest", fill=0,
           center=None):
    """Rotate by ``angle`` degrees (counter-clockwise), scale, shear (degrees; a number or
    (x, y)) and translate (pixels (dx, dy)) about ``center`` ((x, y), default the image centre),
    by inverse mapping each output pixel with nearest or bilinear sampling."""
    if scale <= 0:
        raise ValueError(f"affine: scale must be positive, got {scale}")
    if isinstance(shear, numbers.Number):
        shear = (shear, 0.0)
    shear = tuple(float(s) for s in shear) + (0.0,) * (2 - len(shear))
    h, w = image_size(img, "affine")
    if center is None:
        center = ((w - 1) * 0.5, (h - 1) * 0.5)
    inv, offset = _inverse_affine(angle, translate, scale, shear, center)
    return _warp(img, "affine", inv, offset, (h, w), interpolation, fill)


def rotate(img, angle: float, interpolation="nearest", expand: bool = False, center=None,
           fill=0):
    """Rotate by ``angle`` degrees counter-clockwise about ``center`` (default the image centre).
    ``expand=True`` enlarges the output to hold the whole rotated image (about the centre)."""
    h, w = image_size(img, "rotate")
    if center is None or expand:
        center = ((w - 1) * 0.5, (h - 1) * 0.5)
    inv, offset = _inverse_affine(angle, (0.0, 0.0), 1.0, (0.0, 0.0), center)
    out_hw = (h, w)
    if expand:
        th = math.radians(angle)
        cos, sin = abs(math.cos(th)), abs(math.sin(th))
        ow = int(math.ceil(w * cos + h * sin - 1e-6))
        oh = int(math.ceil(w * sin + h * cos - 1e-6))
        out_c = np.array([(ow - 1) * 0.5, (oh - 1) * 0.5])
        offset = np.asarray(center) - inv @ out_c  # output centre maps to input centre
        out_hw = (oh, ow)
    return _warp(img, "rotate", inv, offset, out_hw, interpolation, fill)


# ------------------------------------------------------------------ erasing and blur
def erase(img, i: int, j: int, h: int, w: int, v, inplace: bool = False):
    """Set the (h, w) window at row ``i``, column ``j`` to ``v`` (a number, per-channel values or
    an array broadcastable to (C, h, w))."""
    a, pack = unpack(img, "erase")
    v = np.asarray(v, dtype=a.dtype)
    if v.ndim == 1:
        v = v.reshape(-1, 1, 1)
    if inplace and isinstance(img, (Tensor, np.ndarray)):
        a[..., i:i + h, j:j + w] = v
        return img
    out = a.copy()
    out[..., i:i + h, j:j + w] = v
    return pack(out)


def _gaussian_kernel(size: int, sigma: float) -> np.ndarray:
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return (k / k.sum()).astype(np.float32)


def gaussian_blur(img, kernel_size, sigma=None):
    """Blur with a separable Gaussian kernel (odd size k or (kx, ky)), reflecting at the borders.
    ``sigma`` defaults to ``0.3 * ((k - 1) * 0.5 - 1) + 0.8`` per axis, as torchvision."""
    kw, kh = _pair(kernel_size, "gaussian_blur")  # (kx, ky), as torchvision
    if kh % 2 == 0 or kw % 2 == 0 or kh <= 0 or kw <= 0:
        raise ValueError(f"gaussian_blur: kernel size should be positive and odd, got {kernel_size}")
    if sigma is None:
        sx, sy = (0.3 * ((k - 1) * 0.5 - 1) + 0.8 for k in (kw, kh))
    elif isinstance(sigma, numbers.Number):
        sx = sy = float(sigma)
    else:
        sx, sy = (float(sigma[0]), float(sigma[-1]))
    if sx <= 0 or sy <= 0:
        raise ValueError(f"gaussian_blur: sigma should be positive, got {sigma}")
    a, pack = unpack(img, "gaussian_blur")
    x = to_float(a).astype(np.float32, copy=False)
    for axis, k in ((-1, _gaussian_kernel(kw, sx)), (-2, _gaussian_kernel(kh, sy))):
        r = len(k) // 2
        if r == 0:
            continue
        if r >= x.shape[axis]:
            raise ValueError(f"gaussian_blur: kernel size {len(k)} is too large for an image of "
                             f"size {x.shape[-2:]}")
        widths = [(0, 0)] * x.ndim
        widths[axis] = (r, r)
        p = np.pad(x, widths, mode="reflect")
        n = x.shape[axis]
        acc = np.zeros_like(x)
        for t, kt in enumerate(k):  # a loop over kernel taps, not pixels
            acc += kt * np.take(p, np.arange(t, t + n), axis=axis)
        x = acc
    return pack(like(x, a))
