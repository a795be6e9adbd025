"""torchvision's AlexNet: ``AlexNet(num_classes=1000, dropout=0.5)`` and ``alexnet(weights=None)``
(61,100,840 parameters), with torchvision's state_dict keys."""
from __future__ import annotations

from ... import nn
from ._weights import check_no_weights, weights_enum


def alexnet_features(local_response_norm: bool = False) -> nn.Sequential:
    """The five convolutions with their pools. ``local_response_norm=True`` (graphgrad's addition,
    the 2012 paper's form) puts LocalResponseNorm(5, 1e-4, 0.75, 2) after the first two."""
    def norm():
        return [nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)] if local_response_norm else []

    return nn.Sequential(
        nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True), *norm(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True), *norm(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
    )


class AlexNet(nn.Module):
    """Input (N, 3, H, W) with H, W >= 63 (a 6x6 adaptive average pool precedes the classifier)."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5):
        super().__init__()
        self.features = alexnet_features()
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


AlexNet_Weights = weights_enum("AlexNet_Weights", "IMAGENET1K_V1")


def alexnet(*, weights=None, progress: bool = True, **kwargs) -> AlexNet:
    check_no_weights("alexnet", weights, kwargs)
    return AlexNet(**kwargs)
