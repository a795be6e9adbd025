"""torchvision's VGG 11/13/16/19, with and without batch norm: ``VGG(features, num_classes=1000,
init_weights=True, dropout=0.5)``, ``make_layers(cfg, batch_norm)``, the ``vgg*`` builders, and
torchvision's state_dict keys (``features.0.weight``, ``classifier.6.bias``)."""
from __future__ import annotations

from ... import nn
from ._weights import check_no_weights, weights_enum

# Numbers are 3x3 convolution widths; "M" is a 2x2 max pool (torchvision's configurations A-E).
cfgs = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"],
}


def make_layers(cfg, batch_norm: bool = False, *, in_channels: int = 3) -> nn.Sequential:
    """The convolutional part: conv3x3(+BN)+ReLU per number, MaxPool2d(2, 2) per "M".
    (``in_channels`` is graphgrad's addition; torchvision's is always 3.)"""
    layers = []
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """``VGG(features, num_classes=1000, init_weights=True, dropout=0.5)``: ``features`` then a 7x7
    adaptive average pool and the 4096-4096 classifier. ``init_weights`` uses torchvision's scheme
    (Kaiming-normal convolutions, N(0, 0.01) linear layers, zero biases)."""

    def __init__(self, features: nn.Module, num_classes: int = 1000, init_weights: bool = True,
                 dropout: float = 0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


def _vgg(name: str, cfg: str, batch_norm: bool, weights, kwargs) -> VGG:
    check_no_weights(name, weights, kwargs)
    kwargs.pop("progress", None)
    return VGG(make_layers(cfgs[cfg], batch_norm=batch_norm), **kwargs)


VGG11_Weights = weights_enum("VGG11_Weights", "IMAGENET1K_V1")
VGG11_BN_Weights = weights_enum("VGG11_BN_Weights", "IMAGENET1K_V1")
VGG13_Weights = weights_enum("VGG13_Weights", "IMAGENET1K_V1")
VGG13_BN_Weights = weights_enum("VGG13_BN_Weights", "IMAGENET1K_V1")
VGG16_Weights = weights_enum("VGG16_Weights", "IMAGENET1K_V1", "IMAGENET1K_FEATURES")
VGG16_BN_Weights = weights_enum("VGG16_BN_Weights", "IMAGENET1K_V1")
VGG19_Weights = weights_enum("VGG19_Weights", "IMAGENET1K_V1")
VGG19_BN_Weights = weights_enum("VGG19_BN_Weights", "IMAGENET1K_V1")


def vgg11(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    return _vgg("vgg11", "A", False, weights, kwargs)


def vgg11_bn(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    return _vgg("vgg11_bn", "A", True, weights, kwargs)


def vgg13(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    return _vgg("vgg13", "B", False, weights, kwargs)


def vgg13_bn(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    return _vgg("vgg13_bn", "B", True, weights, kwargs)


def vgg16(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-16 (138,357,544 parameters)."""
    return _vgg("vgg16", "D", False, weights, kwargs)


def vgg16_bn(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    return _vgg("vgg16_bn", "D", True, weights, kwargs)


def vgg19(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    return _vgg("vgg19", "E", False, weights, kwargs)


def vgg19_bn(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    return _vgg("vgg19_bn", "E", True, weights, kwargs)
