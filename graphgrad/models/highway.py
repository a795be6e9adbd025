"""Highway networks (Srivastava, Greff, Schmidhuber 2015): y = H(x) T(x) + x (1 - T(x)), with a
transform gate T = sigmoid(W_T x + b_T) whose bias starts negative so early training carries x."""
from __future__ import annotations

from .. import nn
from .linear import activation


class HighwayLayer(nn.Module):
    def __init__(self, size: int, gate_bias: float = -2.0, activation_name: str = "relu"):
        super().__init__()
        self.transform = nn.Linear(size, size)
        self.gate = nn.Linear(size, size)
        self.act = activation(activation_name)
        nn.init.constant_(self.gate.bias, gate_bias)

    def forward(self, x):
        t = self.gate(x).sigmoid()
        return self.act(self.transform(x)) * t + x * (1 - t)


class HighwayNet(nn.Module):
    """Flatten, Linear to ``width``, ``depth`` highway layers, Linear to classes."""

    def __init__(self, in_features: int = 784, width: int = 50, depth: int = 10,
                 num_classes: int = 10, gate_bias: float = -2.0, activation: str = "relu"):
        super().__init__()
        self.flatten = nn.Flatten()
        self.inp = nn.Linear(in_features, width)
        self.layers = nn.Sequential(*[HighwayLayer(width, gate_bias, activation)
                                      for _ in range(depth)])
        self.out = nn.Linear(width, num_classes)

    def forward(self, x):
        return self.out(self.layers(self.inp(self.flatten(x)).relu()))
