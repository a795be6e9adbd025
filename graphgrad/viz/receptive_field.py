"""Receptive fields of a CNN's layers, computed from the layer stack (Araujo, Norris and Sim 2019):
for each layer, the size of the input window one unit sees, the jump (input pixels between
neighbouring units) and the centre of the first unit's window.

    size_out  = size_in + (dilation * (kernel - 1)) * jump_in
    jump_out  = jump_in * stride
    start_out = start_in + (dilation * (kernel - 1) / 2 - padding) * jump_in
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import nn

_SPATIAL = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d,
            nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d, nn.LPPool1d, nn.LPPool2d)
_GLOBAL = (nn.Linear, nn.Flatten, nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d,
           nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d)


@dataclass
class ReceptiveField:
    """One layer's receptive field along each spatial axis (tuples, one entry per axis)."""

    name: str
    layer: str
    size: tuple
    jump: tuple
    start: tuple
    output_size: tuple | None = None

    def window(self, index) -> list:
        """The input window ``[(lo, hi), ...]`` (inclusive, may extend past the border) seen by the
        unit at output position ``index`` (one int per axis)."""
        out = []
        for s, j, c, i in zip(self.size, self.jump, self.start, index):
            centre = c + i * j
            out.append((int(round(centre - (s - 1) / 2)), int(round(centre + (s - 1) / 2))))
        return out


def _tuple(v, n):
    if isinstance(v, str):
        return v
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def _dims(module) -> int:
    name = type(module).__name__
    return int(name[-2]) if name[-2:] in ("1d", "2d", "3d") else 2


def receptive_fields(model, input_size=None, layers=None) -> list:
    """The receptive field of every convolution and pooling layer of ``model``, in the order the
    modules were registered (which must be the order they run, as in ``nn.Sequential`` stacks,
    ``SimpleCNN`` and ``LeNet5``). Elementwise layers (activations, dropout, batch norm) change
    nothing; the walk stops at the first ``Linear``/``Flatten``/adaptive pool, whose units see the
    whole input. ``input_size`` (spatial, e.g. (28, 28)) adds each layer's output size.
    ``layers``: an explicit list of ``(name, module)`` to use instead."""
    pairs = list(layers) if layers is not None else [
        (n, m) for n, m in model.named_modules() if not m._modules]
    size = jump = start = None
    spatial = tuple(input_size) if input_size is not None else None
    out = []
    for name, m in pairs:
        if isinstance(m, _GLOBAL):
            break
        if not isinstance(m, _SPATIAL):
            continue
        d = _dims(m)
        if size is None:
            size, jump, start = (1,) * d, (1,) * d, (0.0,) * d
        k = _tuple(m.kernel_size, d)
        s = _tuple(m.stride if m.stride is not None else m.kernel_size, d)
        dil = _tuple(getattr(m, "dilation", 1), d)
        p = _tuple(getattr(m, "padding", 0), d)
        if p == "same":
            p = tuple(di * (ki - 1) // 2 for di, ki in zip(dil, k))
        elif p == "valid":
            p = (0,) * d
        keff = tuple(di * (ki - 1) + 1 for di, ki in zip(dil, k))
        start = tuple(st + ((ke - 1) / 2 - pi) * j for st, ke, pi, j in zip(start, keff, p, jump))
        size = tuple(r + (ke - 1) * j for r, ke, j in zip(size, keff, jump))
        jump = tuple(j * si for j, si in zip(jump, s))
        if spatial is not None:
            ceil = getattr(m, "ceil_mode", False)
            spatial = tuple(((n + 2 * pi - ke + (si - 1 if ceil else 0)) // si) + 1
                            for n, pi, ke, si in zip(spatial, p, keff, s))
        out.append(ReceptiveField(name, type(m).__name__, size, jump,
                                  tuple(float(v) for v in start), spatial))
    return out


def receptive_field(model, layer: str, input_size=None) -> ReceptiveField:
    """The receptive field of the layer named ``layer`` (see ``receptive_fields``)."""
    for rf in receptive_fields(model, input_size):
        if rf.name == layer:
            return rf
    names = [rf.name for rf in receptive_fields(model)]
    raise KeyError(f"receptive_field: {layer!r} is not a convolution or pooling layer of "
                   f"{type(model).__name__}; those are {names}")
