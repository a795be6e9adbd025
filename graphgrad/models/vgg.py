"""VGG (Simonyan & Zisserman 2014) 11/13/16/19, with and without batch norm, by depth, in
torchvision's layout (VGG-16: 138,357,544 parameters); ``graphgrad.vision.models.VGG`` is the same
network with torchvision's constructor arguments."""
from __future__ import annotations

from ..vision.models.vgg import VGG as _TorchvisionVGG
from ..vision.models.vgg import cfgs, make_layers

# depth -> torchvision's configuration name
_CONFIG_OF_DEPTH = {11: "A", 13: "B", 16: "D", 19: "E"}
CONFIGS = {depth: cfgs[name] for depth, name in _CONFIG_OF_DEPTH.items()}


class VGG(_TorchvisionVGG):
    """``VGG(depth=16, batch_norm=False, num_classes=1000, dropout=0.5, in_channels=3)``; input
    (N, in_channels, 224, 224). Layers keep PyTorch's default initialisation."""

    def __init__(self, depth: int = 16, batch_norm: bool = False, num_classes: int = 1000,
                 dropout: float = 0.5, in_channels: int = 3):
        if depth not in CONFIGS:
            raise ValueError(f"VGG: depth must be one of {sorted(CONFIGS)}, got {depth}")
        features = make_layers(CONFIGS[depth], batch_norm, in_channels=in_channels)
        super().__init__(features, num_classes=num_classes, init_weights=False, dropout=dropout)


def vgg11(**kw):
    return VGG(11, **kw)


def vgg13(**kw):
    return VGG(13, **kw)


def vgg16(**kw):
    return VGG(16, **kw)


def vgg19(**kw):
    return VGG(19, **kw)
