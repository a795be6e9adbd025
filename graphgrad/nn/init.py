"""``graphgrad.nn.init``: fill a tensor in place from a distribution, with PyTorch's names and
formulas. Every draw comes from graphgrad's seeded generator (or ``generator``), so
``graphgrad.manual_seed(n)`` makes a model's initial weights reproducible.

Fan-in/fan-out of a weight of shape ``(out, in, *kernel)`` are ``in * prod(kernel)`` and
``out * prod(kernel)``.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import backend
from ..autograd.tensor import Tensor


def _fill(tensor: Tensor, values) -> Tensor:
    """Write ``values`` into ``tensor``'s storage (no graph is recorded, as under ``no_grad``)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init: expected a Tensor, got {type(tensor).__name__}")
    np.copyto(tensor._data, values, casting="unsafe")
    tensor._bump_version()
    return tensor


def _draw_dtype(tensor: Tensor):
    return tensor._data.dtype if tensor._data.dtype.kind == "f" else np.float64


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended gain for an activation: 1 (linear, conv, sigmoid), 5/3 (tanh), sqrt(2)
    (relu), sqrt(2 / (1 + negative_slope**2)) (leaky_relu, slope ``param``, default 0.01), 3/4
    (selu)."""
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         f"dimensions (got shape {tuple(shape)})")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with values from U(a, b)."""
    rng = backend.rng(generator)
    return _fill(tensor, rng.uniform(a, b, tensor.shape).astype(_draw_dtype(tensor)))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with values from N(mean, std**2)."""
    rng = backend.rng(generator)
    return _fill(tensor, rng.normal(mean, std, tensor.shape).astype(_draw_dtype(tensor)))


def _normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator=None) -> Tensor:
    """Fill with values from N(mean, std**2) truncated to [a, b] (exactly: rejection sampling from
    whichever of a normal or a uniform proposal accepts more often)."""
    if not a < b:
        raise ValueError(f"trunc_normal_: expected a < b, got a={a}, b={b}")
    if std <= 0:
        raise ValueError(f"trunc_normal_: expected std > 0, got {std}")
    rng = backend.rng(generator)
    lo, hi = (a - mean) / std, (b - mean) / std  # standardised bounds
    mass = _normal_cdf(hi) - _normal_cdf(lo)
    nearest = 0.0 if lo <= 0.0 <= hi else min(abs(lo), abs(hi))
    # acceptance rate of a uniform proposal on [lo, hi] with envelope exp(-nearest**2 / 2)
    uniform_rate = mass * math.sqrt(2 * math.pi) / ((hi - lo) * math.exp(-nearest ** 2 / 2))
    n = tensor.numel()
    out = np.empty(n)
    filled = 0
    for _ in range(10_000):
        want = n - filled
        if want == 0:
            break
        rate = max(min(max(mass, uniform_rate), 1.0), 1e-12)
        batch = min(int(want / rate * 1.2) + 16, 1 << 22)
        if uniform_rate > mass:
            x = rng.uniform(lo, hi, batch)
            x = x[rng.random(batch) < np.exp((nearest ** 2 - x ** 2) / 2)]
        else:
            x = rng.standard_normal(batch)
            x = x[(x >= lo) & (x <= hi)]
        take = x[:want]
        out[filled:filled + take.size] = take
        filled += take.size
    else:  # pragma: no cover - only for absurd bounds
        raise RuntimeError(f"trunc_normal_: could not sample from [{a}, {b}] with mean {mean} and "
                           f"std {std}")
    values = np.clip(out * std + mean, a, b).reshape(tensor.shape)
    return _fill(tensor, values.astype(_draw_dtype(tensor)))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    return _fill(tensor, val)


def ones_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 1)


def zeros_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity matrix (ones on the diagonal)."""
    if tensor.ndim != 2:
        raise ValueError(f"Only tensors with 2 dimensions are supported (got shape "
                         f"{tuple(tensor.shape)})")
    return _fill(tensor, np.eye(*tensor.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3-, 4- or 5-D convolution weight with the Dirac delta: the convolution is the
    identity on as many channels as possible (per group)."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported (got shape "
                         f"{tuple(tensor.shape)})")
    out_per_group = tensor.shape[0] // groups
    if tensor.shape[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    n = min(out_per_group, tensor.shape[1])
    values = np.zeros(tensor.shape)
    centre = tuple(s // 2 for s in tensor.shape[2:])
    for g in range(groups):  # loop over groups, not elements
        d = np.arange(n)
        values[(g * out_per_group + d, d) + centre] = 1
    return _fill(tensor, values)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot normal: N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor, a, mode, nonlinearity) -> float | None:
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op")
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """He uniform: U(-bound, bound) with bound = gain * sqrt(3 / fan), gain from
    ``calculate_gain(nonlinearity, a)`` and fan from ``mode`` ('fan_in' or 'fan_out')."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """He normal: N(0, std**2) with std = gain / sqrt(fan)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1, generator=None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix (Saxe et al. 2013): the Q of a QR decomposition of a
    Gaussian matrix, signs fixed so that the distribution is uniform; trailing dimensions are
    flattened."""
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported (got shape "
                         f"{tuple(tensor.shape)})")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = backend.rng(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    """Fill a 2-D tensor from N(0, std**2) with a fraction ``sparsity`` of each column set to 0."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rng = backend.rng(generator)
    rows, cols = tensor.shape
    zeros = int(math.ceil(sparsity * rows))
    values = rng.normal(0, std, (rows, cols))
    order = np.argsort(rng.random((rows, cols)), axis=0)[:zeros]
    values[order, np.arange(cols)] = 0
    return _fill(tensor, values)


__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_",
           "zeros_", "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
           "kaiming_normal_", "orthogonal_", "sparse_"]
