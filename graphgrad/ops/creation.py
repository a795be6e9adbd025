"""Tensor creation: tensor, as_tensor, from_numpy, zeros/ones/full/empty (and ``*_like``), arange,
linspace, eye, rand/randn/randint/normal/randperm. Random draws use the seeded generator in
``graphgrad.backend`` (or the ``generator`` passed)."""
from __future__ import annotations

import builtins

import numpy as np

from .. import backend
from ..autograd.tensor import Tensor, as_array
from ..backend import check_device, get_default_dtype, to_np_dtype


def _shape(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    try:
        shape = tuple(builtins.int(s) for s in size)
    except TypeError:
        raise TypeError(f"expected a shape of ints, got {size!r}") from None
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(shape)}")
    return shape


def _float_dtype(dtype) -> np.dtype:
    return to_np_dtype(dtype) if dtype is not None else get_default_dtype().np


def _finish(array, requires_grad):
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad = True
    return t


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays or tensors).

    Python floats become float32 (the default dtype), ints int64, bools bool."""
    check_device(device, "tensor")
    array = as_array(data, dtype)
    source = data._data if isinstance(data, Tensor) else data
    if array is source:  # as_array shares memory with arrays and tensors; tensor() never does
        array = array.copy()
    return _finish(array, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with ``data`` when possible."""
    check_device(device, "as_tensor")
    if isinstance(data, Tensor) and (dtype is None or to_np_dtype(dtype) == data._data.dtype):
        return data
    return Tensor._make(as_array(data, dtype))


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array (its dtype kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(array).__name__})")
    return Tensor._make(as_array(array))


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "zeros")
    return _finish(np.zeros(_shape(size), dtype=_float_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "ones")
    return _finish(np.ones(_shape(size), dtype=_float_dtype(dtype)), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "empty")
    return _finish(np.empty(_shape(size), dtype=_float_dtype(dtype)), requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "full")
    if dtype is None:
        dtype = as_array(fill_value).dtype
    return _finish(np.full(_shape((size,)), fill_value, dtype=to_np_dtype(dtype)), requires_grad)


def _like_dtype(input, dtype):
    return to_np_dtype(dtype) if dtype is not None else input._data.dtype


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    check_device(device, "zeros_like")
    return _finish(np.zeros(input._data.shape, dtype=_like_dtype(input, dtype)), requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    check_device(device, "ones_like")
    return _finish(np.ones(input._data.shape, dtype=_like_dtype(input, dtype)), requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    check_device(device, "empty_like")
    return _finish(np.empty(input._data.shape, dtype=_like_dtype(input, dtype)), requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False,
              memory_format=None):
    check_device(device, "full_like")
    return _finish(np.full(input._data.shape, fill_value, dtype=_like_dtype(input, dtype)),
                   requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from ``start`` up to (not including) ``end``; int64 unless a bound is a float."""
    check_device(device, "arange")
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in values)
        dtype = get_default_dtype().np if is_float else np.int64
    return _finish(np.arange(*values, dtype=to_np_dtype(dtype)), requires_grad)


def linspace(start, end, steps: int, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    check_device(device, "linspace")
    return _finish(np.linspace(start, end, steps, dtype=_float_dtype(dtype)), requires_grad)


def logspace(start, end, steps: int, base: float = 10.0, *, dtype=None, requires_grad=False):
    return _finish(np.logspace(start, end, steps, base=base, dtype=_float_dtype(dtype)),
                   requires_grad)


def eye(n: int, m: int | None = None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    check_device(device, "eye")
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples on [0, 1)."""
    check_device(device, "rand")
    dt = _float_dtype(dtype)
    return _finish(backend.rng(generator).random(_shape(size), dtype=np.float64).astype(dt),
                   requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples."""
    check_device(device, "randn")
    dt = _float_dtype(dtype)
    return _finish(backend.rng(generator).standard_normal(_shape(size)).astype(dt), requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False) -> Tensor:
    """Integers uniform on [low, high); ``randint(high, size)`` also works."""
    check_device(device, "randint")
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint: expected size=, e.g. randint(0, 10, (3,))")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"randint: expected low < high, got low={low}, high={high}")
    dt = to_np_dtype(dtype) if dtype is not None else np.dtype(np.int64)
    return _finish(backend.rng(generator).integers(low, high, size=_shape((size,))).astype(dt),
                   requires_grad)


def rand_like(input, *, dtype=None, generator=None, requires_grad=False) -> Tensor:
    return rand(input._data.shape, generator=generator,
                dtype=dtype or input._data.dtype, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, generator=None, requires_grad=False) -> Tensor:
    return randn(input._data.shape, generator=generator,
                 dtype=dtype or input._data.dtype, requires_grad=requires_grad)


def randint_like(input, low, high=None, *, dtype=None, generator=None) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, input._data.shape, generator=generator,
                   dtype=dtype or input._data.dtype)


def randperm(n: int, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    check_device(device, "randperm")
    dt = to_np_dtype(dtype) if dtype is not None else np.dtype(np.int64)
    return _finish(backend.rng(generator).permutation(n).astype(dt), requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None) -> Tensor:
    """Normal samples with the given mean and std (numbers or tensors, broadcast)."""
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    shape = _shape((size,)) if size is not None else np.broadcast_shapes(np.shape(m), np.shape(s))
    dt = _float_dtype(dtype)
    return Tensor._make((backend.rng(generator).standard_normal(shape) * s + m).astype(dt))


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    probs = input._data if p is None else np.full(input._data.shape, p)
    draws = backend.rng(generator).random(probs.shape) < probs
    return Tensor._make(draws.astype(input._data.dtype))


def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None) -> Tensor:
    """Draw category indices from each row of non-negative weights ``input`` (1-D or 2-D)."""
    probs = np.asarray(input._data, dtype=np.float64)
    squeeze = probs.ndim == 1
    probs = np.atleast_2d(probs)
    if (probs < 0).any() or not np.isfinite(probs).all():
        raise RuntimeError("multinomial: probability tensor contains either inf, nan or element < 0")
    totals = probs.sum(axis=1, keepdims=True)
    if (totals <= 0).any():
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and num_samples > probs.shape[1]:
        raise RuntimeError("multinomial: cannot sample n_sample > prob_dist.size(-1) samples "
                           "without replacement")
    probs = probs / totals
    gen = backend.rng(generator)
    if replacement:
        cdf = probs.cumsum(axis=1)
        u = gen.random((probs.shape[0], num_samples))
        idx = (u[:, :, None] > cdf[:, None, :]).sum(axis=2)
        idx = np.minimum(idx, probs.shape[1] - 1)
    else:  # Gumbel top-k draws without replacement for every row at once
        with np.errstate(divide="ignore"):
            keys = np.log(probs) - np.log(-np.log(gen.random(probs.shape)))
        idx = np.argsort(-keys, axis=1)[:, :num_samples]
    idx = idx.astype(np.int64)
    return Tensor._make(idx[0] if squeeze else idx)


__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "zeros_like",
    "ones_like", "empty_like", "full_like", "arange", "linspace", "logspace", "eye", "rand",
    "randn", "randint", "rand_like", "randn_like", "randint_like", "randperm", "normal",
    "bernoulli", "multinomial",
]
