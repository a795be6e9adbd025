"""``PixelShuffle`` and ``PixelUnshuffle``: sub-pixel rearrangements between channels and space
(Shi et al. 2016), at PyTorch's module path ``nn.modules.pixelshuffle``."""
from __future__ import annotations

from ...autograd.tensor import Tensor
from ...ops import upsample as U
from .module import Module


class PixelShuffle(Module):
    """``(N, C r^2, H, W)`` -> ``(N, C, H r, W r)``."""

    def __init__(self, upscale_factor: int):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return U.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """``(N, C, H r, W r)`` -> ``(N, C r^2, H, W)``."""

    def __init__(self, downscale_factor: int):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return U.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
