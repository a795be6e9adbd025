"""AlexNet (Krizhevsky, Sutskever, Hinton 2012) in torchvision's single-stream layout
(61,100,840 parameters for 1000 classes), optionally with the paper's local response normalisation."""
from __future__ import annotations

from .. import nn


class AlexNet(nn.Module):
    """Input (N, 3, 224, 224). ``lrn=True`` adds LocalResponseNorm(size=5, alpha=1e-4, beta=0.75,
    k=2) after the first two convolutions, as in the paper (it has no parameters)."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5, lrn: bool = False):
        super().__init__()

        def norm():
            return [nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)] if lrn else []

        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True), *norm(),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True), *norm(),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))
