"""The rest of PyTorch's pooling and channel layers: ``AdaptiveMaxPool3d``, ``LPPool3d``,
``FractionalMaxPool2d/3d`` and ``ChannelShuffle``."""
from __future__ import annotations

from ...autograd.tensor import Tensor
from ...ops import pool_variants as P
from .. import functional as F
from .module import Module
from .pooling import _AdaptiveMaxPoolNd, _LPPoolNd


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Max pooling to a fixed size: ``(N, C, D, H, W)`` -> ``(N, C, *output_size)``."""
    _fn = staticmethod(P.adaptive_max_pool3d)


class LPPool3d(_LPPoolNd):
    """Power-average pooling of ``(N, C, D, H, W)``."""
    _fn = staticmethod(P.lp_pool3d)


class _FractionalMaxPoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size, output_size=None, output_ratio=None,
                 return_indices: bool = False, _random_samples=None):
        super().__init__()
        name = type(self).__name__
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling "
                             "ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if output_ratio is not None:
            ratios = output_ratio if isinstance(output_ratio, (tuple, list)) \
                else (output_ratio,) * self._nd
            if not all(0 < r < 1 for r in ratios):
                raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")
        self.kernel_size = kernel_size
        self.output_size = output_size
        self.output_ratio = output_ratio
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)

    def forward(self, input: Tensor):
        fn = P.fractional_max_pool2d if self._nd == 2 else P.fractional_max_pool3d
        return fn(input, self.kernel_size, self.output_size, self.output_ratio,
                  self.return_indices, _random_samples=self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """Fractional max pooling (Graham 2014) of ``(N, C, H, W)``: ``kernel_size`` windows at
    pseudo-random increasing offsets, to ``output_size`` or ``output_ratio`` of the input."""
    _nd = 2


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """Fractional max pooling of ``(N, C, D, H, W)``."""
    _nd = 3


class ChannelShuffle(Module):
    """Interleave the channels of ``groups`` groups (ShuffleNet): ``F.channel_shuffle``."""

    def __init__(self, groups: int):
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
