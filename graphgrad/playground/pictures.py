"""What the page draws, computed from the network: every neuron's output over the square of the
data (the heat maps) and the weights (the connection lines).

A heat map travels as bytes: values in [-1, 1] become 0..255, base64-encoded, row 0 at the top
(x2 = +6), column 0 at the left (x1 = -6)."""
from __future__ import annotations

import base64

import numpy as np

import graphgrad as torch

from .datasets import RADIUS
from .network import features

GRID = 101        # the output heat map is GRID x GRID samples
NODE_STRIDE = 4   # each neuron's small heat map takes every 4th sample: 26 x 26


def grid_points(size: int = GRID) -> np.ndarray:
    """The sample points of a heat map, (size * size, 2), row by row from the top left."""
    axis = np.linspace(-RADIUS, RADIUS, size, dtype=np.float32)
    x1, x2 = np.meshgrid(axis, axis[::-1])
    return np.stack([x1.ravel(), x2.ravel()], axis=1)


def encode(values: np.ndarray) -> str:
    """Values (clipped to [-1, 1]) as base64 bytes 0..255."""
    scaled = np.rint((np.clip(np.nan_to_num(values), -1, 1) + 1) * 127.5).astype(np.uint8)
    return base64.b64encode(scaled.tobytes()).decode("ascii")


def _small_maps(columns: np.ndarray) -> list:
    """One small heat map per column of ``columns`` (GRID * GRID, n)."""
    maps = columns.reshape(GRID, GRID, -1)[::NODE_STRIDE, ::NODE_STRIDE]
    return [encode(maps[:, :, j]) for j in range(maps.shape[2])]


def draw(model, settings: dict) -> dict:
    """The heat maps and weights of one frame.

    ``output``: the decision surface (2 * sigmoid(logit) - 1 for classification, so -1 and 1 are
    the two classes and 0 the boundary; the predicted value for regression). ``nodes``: for each
    column of the diagram (the input features, then each hidden layer), one small heat map per
    node. ``weights``/``biases``: each Linear layer's, as nested lists."""
    inputs = features(grid_points(), settings["features"])
    # an input feature's map is scaled by its largest magnitude, so x1 and x1^2 both fill the range
    peak = np.abs(inputs.numpy()).max(axis=0)
    columns = [_small_maps(inputs.numpy() / np.where(peak > 0, peak, 1))]
    model.eval()
    with torch.no_grad():
        x = inputs
        modules = list(model)
        for linear, activation in zip(modules[:-1:2], modules[1::2]):
            x = activation(linear(x))
            columns.append(_small_maps(x.numpy()))
        out = modules[-1](x).numpy()[:, 0]
    if settings["problem"] == "classification":
        out = 2 / (1 + np.exp(-np.clip(out, -60, 60))) - 1
    return {"output": encode(out), "nodes": columns, "weights": [_rounded(m.weight) for m in modules[::2]],
            "biases": [_rounded(m.bias) for m in modules[::2]]}


def _rounded(parameter) -> list:
    """A parameter as nested lists for JSON (which has no NaN or infinity: a diverged weight is 0)."""
    values = np.nan_to_num(parameter.detach().numpy().astype(np.float64), posinf=1e6, neginf=-1e6)
    return np.round(values, 4).tolist()
