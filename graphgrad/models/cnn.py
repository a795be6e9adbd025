"""Small convolutional networks of the lectures: ``SimpleCNN`` and LeCun's ``LeNet5``."""
from __future__ import annotations

from .. import nn


class SimpleCNN(nn.Module):
    """(Conv3x3-ReLU-MaxPool2) x 2, Flatten, Linear-ReLU, Linear. Returns logits; the softmax of the
    lecture's diagram is applied by ``cross_entropy`` (or ``predict_proba``).

    Input (N, in_channels, 28, 28) by default; ``image_size`` sets another square size."""

    def __init__(self, in_channels: int = 1, num_classes: int = 10, channels=(32, 64),
                 hidden: int = 128, image_size: int = 28, dropout: float = 0.0):
        super().__init__()
        c1, c2 = channels
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        side = image_size // 4
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(c2 * side * side, hidden), nn.ReLU(),
            nn.Dropout(dropout) if dropout else nn.Identity(), nn.Linear(hidden, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))

    def predict_proba(self, x):
        return self.forward(x).softmax(dim=1)


class LeNet5(nn.Module):
    """LeNet-5 (LeCun et al. 1998): C1 6@28x28, S2 6@14x14, C3 16@10x10, S4 16@5x5, C5 120, F6 84,
    10 outputs, tanh activations and average-pool subsampling.

    MNIST digits are 28x28; C1 pads by 2 so that they play the part of the paper's 32x32 input.
    graphgrad differs from the paper in two simplifications shared by most modern re-implementations:
    C3 connects to all six S2 maps (the paper used a fixed sparse table) and the output layer is a
    linear layer trained with cross-entropy instead of Euclidean RBF units."""

    def __init__(self, in_channels: int = 1, num_classes: int = 10):
        super().__init__()
        self.c1 = nn.Conv2d(in_channels, 6, 5, padding=2)
        self.s2 = nn.AvgPool2d(2)
        self.c3 = nn.Conv2d(6, 16, 5)
        self.s4 = nn.AvgPool2d(2)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.output = nn.Linear(84, num_classes)
        self.act = nn.Tanh()

    def forward(self, x):
        x = self.s2(self.act(self.c1(x)))
        x = self.s4(self.act(self.c3(x)))
        x = self.act(self.c5(x)).flatten(1)
        return self.output(self.act(self.f6(x)))
