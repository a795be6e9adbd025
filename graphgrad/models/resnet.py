"""Residual networks (He et al. 2015): the ImageNet ResNets 18/34/50/101/152 in torchvision's layout
(ResNet-18: 11,689,512 parameters; ResNet-50: 25,557,032), and the CIFAR-10 ResNets 20/32/44/56/110
with the same depths as plain networks without shortcuts (the paper's Fig. 1 comparison)."""
from __future__ import annotations

from .. import nn
from ..vision.models.resnet import BasicBlock, Bottleneck, conv3x3
from ..vision.models.resnet import ResNet as _TorchvisionResNet

_IMAGENET = {18: (BasicBlock, [2, 2, 2, 2]), 34: (BasicBlock, [3, 4, 6, 3]),
             50: (Bottleneck, [3, 4, 6, 3]), 101: (Bottleneck, [3, 4, 23, 3]),
             152: (Bottleneck, [3, 8, 36, 3])}


class ResNet(_TorchvisionResNet):
    """ImageNet ResNet by depth: ``ResNet(depth=18|34|50|101|152, num_classes=1000,
    in_channels=3)``, input (N, in_channels, 224, 224). torchvision's architecture, initialisation
    and state_dict keys (``graphgrad.vision.models.ResNet`` takes torchvision's arguments)."""

    def __init__(self, depth: int = 18, num_classes: int = 1000, in_channels: int = 3):
        if depth not in _IMAGENET:
            raise ValueError(f"ResNet: depth must be one of {sorted(_IMAGENET)}, got {depth}")
        block, counts = _IMAGENET[depth]
        super().__init__(block, counts, num_classes=num_classes)
        if in_channels != 3:
            self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
            nn.init.kaiming_normal_(self.conv1.weight, mode="fan_out", nonlinearity="relu")


def resnet18(**kw):
    return ResNet(18, **kw)


def resnet34(**kw):
    return ResNet(34, **kw)


def resnet50(**kw):
    return ResNet(50, **kw)


def resnet101(**kw):
    return ResNet(101, **kw)


def resnet152(**kw):
    return ResNet(152, **kw)


class CifarBlock(nn.Module):
    """The CIFAR-10 block: two 3x3 conv-BN layers; with ``shortcut`` the input is added back
    (option A of the paper: subsampled identity, zero-padded channels, so no extra parameters)."""

    def __init__(self, cin: int, cout: int, stride: int, shortcut: bool):
        super().__init__()
        self.conv1 = conv3x3(cin, cout, stride)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = conv3x3(cout, cout)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.shortcut = shortcut
        self.stride, self.pad_channels = stride, cout - cin

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.shortcut:
            identity = x[:, :, ::self.stride, ::self.stride] if self.stride != 1 else x
            if self.pad_channels:
                half = self.pad_channels // 2
                identity = nn.functional.pad(identity, (0, 0, 0, 0, half, self.pad_channels - half))
            out = out + identity
        return self.relu(out)


class CifarResNet(nn.Module):
    """``CifarResNet(depth)`` for depth = 6n + 2 (20, 32, 44, 56, 110): 3x3 conv 16, three stages of
    n blocks with 16/32/64 filters on 32x32/16x16/8x8 maps, global average pool, linear.
    ``shortcut=False`` gives the plain network of the same depth. ``width`` sets the first stage's
    filters (the paper's 16; the stages have width, 2 width, 4 width): a narrower net of the same
    depth costs less, for experiments on small machines."""

    def __init__(self, depth: int = 20, num_classes: int = 10, shortcut: bool = True,
                 in_channels: int = 3, width: int = 16):
        super().__init__()
        if (depth - 2) % 6 or depth < 8:
            raise ValueError(f"CifarResNet: depth must be 6n+2 (20, 32, 44, 56, 110), got {depth}")
        if not isinstance(width, int) or isinstance(width, bool) or width < 1:
            raise ValueError(f"CifarResNet: width must be a positive integer, got {width!r}")
        n = (depth - 2) // 6
        self.conv1 = conv3x3(in_channels, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU()
        blocks, cin = [], width
        for stage, filters in enumerate((width, 2 * width, 4 * width)):
            for i in range(n):
                stride = 2 if stage > 0 and i == 0 else 1
                blocks.append(CifarBlock(cin, filters, stride, shortcut))
                cin = filters
        self.blocks = nn.Sequential(*blocks)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(cin, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.blocks(self.relu(self.bn1(self.conv1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def PlainNet(depth: int = 20, num_classes: int = 10, in_channels: int = 3,
             width: int = 16) -> CifarResNet:
    """The CIFAR network of ``depth`` layers without shortcut connections."""
    return CifarResNet(depth, num_classes, shortcut=False, in_channels=in_channels, width=width)


def resnet20(**kw):
    return CifarResNet(20, **kw)


def resnet32(**kw):
    return CifarResNet(32, **kw)


def resnet44(**kw):
    return CifarResNet(44, **kw)


def resnet56(**kw):
    return CifarResNet(56, **kw)


def resnet110(**kw):
    return CifarResNet(110, **kw)
