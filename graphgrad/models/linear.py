"""Fully connected classifiers: multinomial logistic regression and the multi-layer perceptron."""
from __future__ import annotations

from .. import nn

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU,
                "elu": nn.ELU, "leaky_relu": nn.LeakyReLU, "silu": nn.SiLU}


def activation(name: str) -> nn.Module:
    """An activation module by name ('relu', 'tanh', 'sigmoid', 'gelu', 'elu', 'leaky_relu', 'silu')."""
    try:
        return _ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; choose from {sorted(_ACTIVATIONS)}") from None


class LogisticRegression(nn.Module):
    """Softmax regression: one linear layer on the flattened input. ``forward`` returns logits
    (N, num_classes); the softmax is applied by ``cross_entropy`` (or ``predict_proba``)."""

    def __init__(self, in_features: int = 784, num_classes: int = 10):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear = nn.Linear(in_features, num_classes)

    def forward(self, x):
        return self.linear(self.flatten(x))

    def predict_proba(self, x):
        return self.forward(x).softmax(dim=1)


class MLP(nn.Module):
    """Flatten, then ``Linear-activation[-Dropout]`` for each hidden size, then a Linear to classes.

    >>> MLP(784, [512, 256], 10, activation="relu", dropout=0.2)(graphgrad.zeros(2, 1, 28, 28)).shape
    graphgrad.Size([2, 10])
    """

    def __init__(self, in_features: int = 784, hidden_sizes=(512,), num_classes: int = 10,
                 activation: str = "relu", dropout: float = 0.0):
        super().__init__()
        layers = [nn.Flatten()]
        width = in_features
        for h in hidden_sizes:
            layers += [nn.Linear(width, h), _activation(activation)]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = h
        layers.append(nn.Linear(width, num_classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


_activation = activation
