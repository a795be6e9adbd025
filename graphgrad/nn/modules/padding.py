"""Padding layers: ``ZeroPad``, ``ConstantPad``, ``ReflectionPad``, ``ReplicationPad`` and
``CircularPad`` for 1, 2 and 3 spatial dims, thin wrappers of ``F.pad``. ``padding`` is an int
(every side) or a tuple ``(left, right[, top, bottom[, front, back]])``."""
from __future__ import annotations

from ...autograd.tensor import Tensor
from .. import functional as F
from .module import Module


class _PadNd(Module):
    _nd = 2
    _mode = "constant"

    def __init__(self, padding, value: float = 0.0):
        super().__init__()
        n = 2 * self._nd
        if isinstance(padding, int):
            padding = (padding,) * n
        padding = tuple(int(p) for p in padding)
        if len(padding) != n:
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple of {n} "
                             f"ints, got {padding}")
        self.padding = padding
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        if self._mode == "constant":
            return F.pad(input, list(self.padding), mode="constant", value=self.value)
        return F.pad(input, list(self.padding), mode=self._mode)

    def extra_repr(self) -> str:
        if self._mode == "constant" and not isinstance(self, (ZeroPad1d, ZeroPad2d, ZeroPad3d)):
            return f"padding={self.padding}, value={self.value}"
        return f"{self.padding}"


class ConstantPad1d(_PadNd):
    _nd = 1

    def __init__(self, padding, value: float):
        super().__init__(padding, value)


class ConstantPad2d(ConstantPad1d):
    _nd = 2


class ConstantPad3d(ConstantPad1d):
    _nd = 3


class ZeroPad1d(_PadNd):
    _nd = 1

    def __init__(self, padding):
        super().__init__(padding, 0.0)


class ZeroPad2d(ZeroPad1d):
    _nd = 2


class ZeroPad3d(ZeroPad1d):
    _nd = 3


class ReflectionPad1d(_PadNd):
    _nd = 1
    _mode = "reflect"

    def __init__(self, padding):
        super().__init__(padding)


class ReflectionPad2d(ReflectionPad1d):
    _nd = 2


class ReflectionPad3d(ReflectionPad1d):
    _nd = 3


class ReplicationPad1d(ReflectionPad1d):
    _nd = 1
    _mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    _nd = 2


class ReplicationPad3d(ReplicationPad1d):
    _nd = 3


class CircularPad1d(ReflectionPad1d):
    _nd = 1
    _mode = "circular"


class CircularPad2d(CircularPad1d):
    _nd = 2


class CircularPad3d(CircularPad1d):
    _nd = 3
