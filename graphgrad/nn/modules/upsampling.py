"""``Upsample`` (and the older ``UpsamplingNearest2d``/``UpsamplingBilinear2d``),
``PixelShuffle`` and ``PixelUnshuffle`` are in pixelshuffle.py, as in PyTorch."""
from __future__ import annotations

from ...autograd.tensor import Tensor
from ...ops import upsample as U
from .module import Module


class Upsample(Module):
    """Resize ``(N, C, *spatial)`` to ``size`` or by ``scale_factor`` with ``F.interpolate``'s
    modes ('nearest', 'linear', 'bilinear', 'bicubic', 'trilinear', ...)."""

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        self.scale_factor = float(scale_factor) if isinstance(scale_factor, (int, float)) \
            else (tuple(float(f) for f in scale_factor) if scale_factor else None)
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return U.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return f"{info}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear upsampling with ``align_corners=True``."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
