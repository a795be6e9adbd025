"""Transform classes (torchvision's names): deterministic ones and seeded random augmentation.

Random transforms draw from graphgrad's default generator (``graphgrad.manual_seed`` fixes them;
in a ``DataLoader`` worker, the worker's own seed), one draw per call, so a transform applied to
one sample is one random choice. Each has a ``get_params`` like torchvision's.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ... import backend
from . import functional as F
from ._image import image_size, unpack

__all__ = ["Compose", "ToTensor", "PILToTensor", "ToPILImage", "Normalize", "Resize",
           "CenterCrop", "Pad", "Grayscale", "Lambda", "RandomCrop", "RandomHorizontalFlip",
           "RandomVerticalFlip", "RandomRotation", "RandomAffine", "RandomResizedCrop",
           "ColorJitter", "RandomErasing", "GaussianBlur", "RandomApply", "RandomChoice",
           "RandomOrder", "RandomGrayscale"]


def _rng() -> np.random.Generator:
    return backend.default_generator.rng


def _uniform(lo: float, hi: float) -> float:
    return float(_rng().uniform(lo, hi))


class Transform:
    """Base: ``__call__(img)``; ``repr`` shows the arguments."""

    def __call__(self, img):
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


class Compose(Transform):
    """Apply transforms one after another."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"{type(self).__name__}({inner}\n)"


class ToTensor(Transform):
    """PIL image or (H, W[, C]) array -> (C, H, W) tensor; uint8 scaled to float32 in [0, 1]."""

    def __call__(self, pic):
        return F.to_tensor(pic)


class PILToTensor(Transform):
    def __call__(self, pic):
        return F.pil_to_tensor(pic)


class ToPILImage(Transform):
    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        return F.to_pil_image(pic, self.mode)


class Normalize(Transform):
    """Per channel ``(x - mean) / std`` on a float tensor."""

    def __init__(self, mean, std, inplace: bool = False):
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor):
        return F.normalize(tensor, self.mean, self.std, self.inplace)


class Resize(Transform):
    def __init__(self, size, interpolation="bilinear", max_size=None, antialias: bool = True):
        self.size, self.interpolation = size, interpolation
        self.max_size, self.antialias = max_size, antialias

    def __call__(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)


class CenterCrop(Transform):
    def __init__(self, size):
        self.size = size

    def __call__(self, img):
        return F.center_crop(img, self.size)


class Pad(Transform):
    def __init__(self, padding, fill=0, padding_mode: str = "constant"):
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)


class Grayscale(Transform):
    def __init__(self, num_output_channels: int = 1):
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        return F.rgb_to_grayscale(img, self.num_output_channels)


class Lambda(Transform):
    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Lambda: argument should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)


# ---------------------------------------------------------------------- random
class RandomApply(Transform):
    """Apply the list of transforms with probability ``p``."""

    def __init__(self, transforms, p: float = 0.5):
        self.transforms, self.p = list(transforms), p

    def __call__(self, img):
        if _rng().random() >= self.p:
            return img
        for t in self.transforms:
            img = t(img)
        return img


class RandomChoice(Transform):
    """Apply one transform picked at random (with probabilities ``p``, uniform by default)."""

    def __init__(self, transforms, p=None):
        self.transforms = list(transforms)
        if p is not None and len(p) != len(self.transforms):
            raise ValueError(f"RandomChoice: {len(p)} probabilities for {len(self.transforms)} "
                             "transforms")
        self.p = p

    def __call__(self, img):
        p = None if self.p is None else np.asarray(self.p, dtype=np.float64) / np.sum(self.p)
        return self.transforms[int(_rng().choice(len(self.transforms), p=p))](img)


class RandomOrder(Transform):
    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for i in _rng().permutation(len(self.transforms)):
            img = self.transforms[i](img)
        return img


class RandomHorizontalFlip(Transform):
    def __init__(self, p: float = 0.5):
        self.p = p

    def __call__(self, img):
        return F.hflip(img) if _rng().random() < self.p else img


class RandomVerticalFlip(Transform):
    def __init__(self, p: float = 0.5):
        self.p = p

    def __call__(self, img):
        return F.vflip(img) if _rng().random() < self.p else img


class RandomGrayscale(Transform):
    def __init__(self, p: float = 0.1):
        self.p = p

    def __call__(self, img):
        if _rng().random() >= self.p:
            return img
        a, _ = unpack(img, "RandomGrayscale")
        return F.rgb_to_grayscale(img, a.shape[-3])


class RandomCrop(Transform):
    """A random (h, w) window, after optional ``padding`` (and ``pad_if_needed`` for small
    images)."""

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill=0,
                 padding_mode: str = "constant"):
        self.size = F._pair(size, "RandomCrop")
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode

    @staticmethod
    def get_params(img, output_size):
        h, w = image_size(img, "RandomCrop")
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"RandomCrop: required crop size {(th, tw)} is larger than the input "
                             f"image size {(h, w)}")
        if (h, w) == (th, tw):
            return 0, 0, h, w
        return int(_rng().integers(0, h - th + 1)), int(_rng().integers(0, w - tw + 1)), th, tw

    def __call__(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        h, w = image_size(img, "RandomCrop")
        th, tw = self.size
        if self.pad_if_needed and (h < th or w < tw):
            img = F.pad(img, (max(tw - w, 0), max(th - h, 0)), self.fill, self.padding_mode)
        i, j, h, w = self.get_params(img, self.size)
        return F.crop(img, i, j, h, w)


class RandomResizedCrop(Transform):
    """A crop of random area fraction ``scale`` and aspect ``ratio``, resized to ``size``."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation="bilinear", antialias: bool = True):
        self.size = F._pair(size, "RandomResizedCrop")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError("RandomResizedCrop: scale and ratio should be of kind (min, max)")
        self.scale, self.ratio = scale, ratio
        self.interpolation, self.antialias = interpolation, antialias

    @staticmethod
    def get_params(img, scale, ratio):
        h, w = image_size(img, "RandomResizedCrop")
        area = h * w
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            target_area = area * _uniform(scale[0], scale[1])
            aspect = math.exp(_uniform(*log_ratio))
            cw = int(round(math.sqrt(target_area * aspect)))
            ch = int(round(math.sqrt(target_area / aspect)))
            if 0 < cw <= w and 0 < ch <= h:
                return int(_rng().integers(0, h - ch + 1)), int(_rng().integers(0, w - cw + 1)), \
                    ch, cw
        in_ratio = w / h  # fallback: the central crop closest to the allowed ratios
        if in_ratio < min(ratio):
            cw, ch = w, int(round(w / min(ratio)))
        elif in_ratio > max(ratio):
            ch, cw = h, int(round(h * max(ratio)))
        else:
            cw, ch = w, h
        return (h - ch) // 2, (w - cw) // 2, ch, cw

    def __call__(self, img):
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, i, j, h, w, self.size, self.interpolation, self.antialias)


def _range(value, name: str, center: float = 0.0, bound=None, clip_zero: bool = False):
    """(lo, hi) from a number v (center - v, center + v) or a pair."""
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be non negative, got {value}")
        lo, hi = center - value, center + value
        if clip_zero:
            lo = max(lo, 0.0)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        lo, hi = float(value[0]), float(value[1])
    else:
        raise ValueError(f"{name} should be a number or a pair (min, max), got {value!r}")
    if bound is not None and not bound[0] <= lo <= hi <= bound[1]:
        raise ValueError(f"{name} values should be between {bound}, got {(lo, hi)}")
    if lo > hi:
        raise ValueError(f"{name} should be (min, max) with min <= max, got {(lo, hi)}")
    return lo, hi


class RandomRotation(Transform):
    """Rotate by an angle drawn uniformly from ``degrees`` ((-d, d) for a number)."""

    def __init__(self, degrees, interpolation="nearest", expand: bool = False, center=None,
                 fill=0):
        self.degrees = _range(degrees, "degrees")
        self.interpolation, self.expand, self.center, self.fill = interpolation, expand, center, fill

    @staticmethod
    def get_params(degrees) -> float:
        return _uniform(degrees[0], degrees[1])

    def __call__(self, img):
        return F.rotate(img, self.get_params(self.degrees), self.interpolation, self.expand,
                        self.center, self.fill)


class RandomAffine(Transform):
    """Random rotation (``degrees``), translation (fractions (a, b) of width and height), scale
    (range) and shear (a number s: x-shear in (-s, s); a pair: x range; four: x and y ranges)."""

    def __init__(self, degrees, translate=None, scale=None, shear=None, interpolation="nearest",
                 fill=0, center=None):
        self.degrees = _range(degrees, "degrees")
        if translate is not None and not all(0.0 <= t <= 1.0 for t in translate):
            raise ValueError(f"translate should be fractions between 0 and 1, got {translate}")
        if scale is not None and (len(scale) != 2 or min(scale) <= 0):
            raise ValueError(f"scale values should be positive (min, max), got {scale}")
        self.translate, self.scale = translate, scale
        if shear is None:
            self.shear = None
        elif isinstance(shear, numbers.Number):
            self.shear = _range(shear, "shear") + (0.0, 0.0)
        elif len(shear) == 2:
            self.shear = (float(shear[0]), float(shear[1]), 0.0, 0.0)
        elif len(shear) == 4:
            self.shear = tuple(float(s) for s in shear)
        else:
            raise ValueError(f"shear should be a number or a sequence of 2 or 4 numbers, got {shear}")
        self.interpolation, self.fill, self.center = interpolation, fill, center

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        """(angle, (tx, ty) pixels, scale, (shear_x, shear_y)); ``img_size`` is [width, height]."""
        angle = _uniform(degrees[0], degrees[1])
        if translate is not None:
            mx, my = translate[0] * img_size[0], translate[1] * img_size[1]
            tx, ty = int(round(_uniform(-mx, mx))), int(round(_uniform(-my, my)))
        else:
            tx = ty = 0
        scale = _uniform(*scale_ranges) if scale_ranges is not None else 1.0
        sx = sy = 0.0
        if shears is not None:
            sx = _uniform(shears[0], shears[1])
            if len(shears) == 4 and (shears[2], shears[3]) != (0.0, 0.0):
                sy = _uniform(shears[2], shears[3])
        return angle, (tx, ty), scale, (sx, sy)

    def __call__(self, img):
        h, w = image_size(img, "RandomAffine")
        angle, t, s, sh = self.get_params(self.degrees, self.translate, self.scale, self.shear,
                                          [w, h])
        return F.affine(img, angle, t, s, sh, self.interpolation, self.fill, self.center)


class ColorJitter(Transform):
    """Random brightness, contrast, saturation (factors around 1) and hue (shift in
    [-hue, hue]), applied in a random order."""

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self.brightness = _range(brightness, "brightness", 1.0, (0, float("inf")), True)
        self.contrast = _range(contrast, "contrast", 1.0, (0, float("inf")), True)
        self.saturation = _range(saturation, "saturation", 1.0, (0, float("inf")), True)
        self.hue = _range(hue, "hue", 0.0, (-0.5, 0.5))

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        order = _rng().permutation(4).tolist()
        factors = [None if r is None or r[0] == r[1] == c else _uniform(*r)
                   for r, c in ((brightness, 1.0), (contrast, 1.0), (saturation, 1.0), (hue, 0.0))]
        return (order, *factors)

    def __call__(self, img):
        order, b, c, s, h = self.get_params(self.brightness, self.contrast, self.saturation,
                                            self.hue)
        ops = [(F.adjust_brightness, b), (F.adjust_contrast, c), (F.adjust_saturation, s),
               (F.adjust_hue, h)]
        for k in order:
            fn, factor = ops[k]
            if factor is not None:
                img = fn(img, factor)
        return img


class RandomErasing(Transform):
    """With probability ``p``, set a random rectangle (area fraction ``scale``, aspect ``ratio``)
    to ``value``: a number, per-channel values, or 'random' (standard normal noise). Works on
    tensors and arrays; usually placed after ``ToTensor``/``Normalize``."""

    def __init__(self, p: float = 0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0,
                 inplace: bool = False):
        if not 0 <= p <= 1:
            raise ValueError(f"RandomErasing: p should be between 0 and 1, got {p}")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError("RandomErasing: scale and ratio should be of kind (min, max)")
        if not (isinstance(value, (numbers.Number, tuple, list)) or value == "random"):
            raise ValueError(f"RandomErasing: value should be a number, a sequence or 'random', "
                             f"got {value!r}")
        self.p, self.scale, self.ratio, self.value, self.inplace = p, scale, ratio, value, inplace

    @staticmethod
    def get_params(img, scale, ratio, value=None):
        """(i, j, h, w, v): the rectangle and its fill; the whole image unchanged if no rectangle
        fits in 10 tries."""
        a, _ = unpack(img, "RandomErasing")
        c, ih, iw = a.shape[-3:]
        area = ih * iw
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            erase_area = area * _uniform(scale[0], scale[1])
            aspect = math.exp(_uniform(*log_ratio))
            h = int(round(math.sqrt(erase_area * aspect)))
            w = int(round(math.sqrt(erase_area / aspect)))
            if not (h < ih and w < iw):
                continue
            if value is None:
                v = _rng().standard_normal((c, h, w)).astype(np.float32)
            else:
                v = value
            i = int(_rng().integers(0, ih - h + 1))
            j = int(_rng().integers(0, iw - w + 1))
            return i, j, h, w, v
        return 0, 0, ih, iw, img  # as torchvision: erasing with the image itself changes nothing

    def __call__(self, img):
        if _rng().random() >= self.p:
            return img
        value = None if self.value == "random" else self.value
        if isinstance(value, (tuple, list)):
            a, _ = unpack(img, "RandomErasing")
            if len(value) not in (1, a.shape[-3]):
                raise ValueError(f"RandomErasing: value has {len(value)} entries but the image "
                                 f"has {a.shape[-3]} channels")
        i, j, h, w, v = self.get_params(img, self.scale, self.ratio, value)
        if v is img:
            return img
        return F.erase(img, i, j, h, w, v, self.inplace)


class GaussianBlur(Transform):
    """Gaussian blur with ``sigma`` drawn uniformly from the given (min, max) range."""

    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        self.kernel_size = F._pair(kernel_size, "GaussianBlur")
        if any(k <= 0 or k % 2 == 0 for k in self.kernel_size):
            raise ValueError(f"GaussianBlur: kernel size should be positive and odd, got "
                             f"{kernel_size}")
        self.sigma = _range(sigma, "sigma") if not isinstance(sigma, numbers.Number) \
            else (float(sigma), float(sigma))
        if self.sigma[0] <= 0:
            raise ValueError(f"GaussianBlur: sigma should be positive, got {sigma}")

    @staticmethod
    def get_params(sigma_min: float, sigma_max: float) -> float:
        return _uniform(sigma_min, sigma_max)

    def __call__(self, img):
        s = self.get_params(*self.sigma)
        return F.gaussian_blur(img, self.kernel_size, (s, s))

