"""Turning a list of samples into a batch: ``default_collate`` and ``default_convert``.

The output structure follows PyTorch's: arrays and tensors are stacked into a tensor with a new
first dimension, Python floats become a float64 tensor and ints an int64 tensor, strings stay a
list, and dicts, tuples (returned as lists), namedtuples and lists are collated field by field."""
from __future__ import annotations

import collections.abc
import numbers

import numpy as np

from ...autograd.tensor import Tensor, as_array

__all__ = ["default_collate", "default_convert"]

_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found {}")


def _stack_tensors(batch) -> Tensor:
    shapes = {tuple(t.shape) for t in batch}
    if len(shapes) > 1:
        raise RuntimeError(f"default_collate: stack expects each tensor to be equal size, but got "
                           f"shapes {sorted(shapes)}")
    return Tensor._make(np.stack([t._data for t in batch]))


def _stack_arrays(batch) -> Tensor:
    elem = batch[0]
    if elem.dtype.kind in "USO":
        raise TypeError(_ERR.format(elem.dtype))
    shapes = {a.shape for a in batch}
    if len(shapes) > 1:
        raise RuntimeError(f"default_collate: stack expects each array to be equal size, but got "
                           f"shapes {sorted(shapes)}")
    return Tensor._make(as_array(np.stack(batch)))


def default_collate(batch):
    """Collate a list of samples into a batch (see the module docstring for the rules).

    >>> default_collate([(np.zeros(2), 1), (np.ones(2), 0)])  # [Tensor (2, 2), Tensor([1, 0])]
    """
    if not isinstance(batch, (list, tuple)):
        batch = list(batch)
    if len(batch) == 0:
        raise ValueError("default_collate: got an empty batch")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack_tensors(batch)
    if isinstance(elem, np.ndarray):
        return _stack_arrays(batch)
    if isinstance(elem, np.generic) and not isinstance(elem, (np.str_, np.bytes_)):
        return _stack_arrays([np.asarray(b) for b in batch])
    if isinstance(elem, bool):
        return Tensor._make(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, numbers.Integral):
        return Tensor._make(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, numbers.Real):
        return Tensor._make(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        try:
            return type(elem)({key: default_collate([d[key] for d in batch]) for key in elem})
        except TypeError:  # a mapping type that can't be built from a dict
            return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(samples)) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        sizes = {len(e) for e in batch}
        if len(sizes) != 1:
            raise RuntimeError("default_collate: each element in list of batch should be of equal "
                               f"size, got sizes {sorted(sizes)}")
        transposed = [default_collate(list(samples)) for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return transposed
        try:
            return type(elem)(transposed)
        except TypeError:
            return transposed
    raise TypeError(_ERR.format(type(elem)))


def default_convert(data):
    """Convert arrays (at any depth of dicts, tuples and lists) to tensors, leaving the rest; the
    collate function used when automatic batching is off (``batch_size=None``)."""
    if isinstance(data, np.ndarray) and data.dtype.kind not in "USO":
        return Tensor._make(as_array(data))
    if isinstance(data, np.generic) and not isinstance(data, (np.str_, np.bytes_)):
        return Tensor._make(as_array(np.asarray(data)))
    if isinstance(data, collections.abc.Mapping):
        return type(data)({k: default_convert(v) for k, v in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, list):
        return [default_convert(d) for d in data]
    return data
