"""PyTorch's legacy typed constructors: ``FloatTensor``, ``DoubleTensor``, ``HalfTensor``,
``LongTensor``, ``IntTensor``, ``ShortTensor``, ``CharTensor``, ``ByteTensor``, ``BoolTensor``.

``graphgrad.LongTensor([1, 2])`` converts data, ``graphgrad.FloatTensor(2, 3)`` makes an
uninitialised tensor of that shape, ``graphgrad.LongTensor()`` an empty one; each returns an
ordinary ``Tensor`` of the class's dtype. ``isinstance(t, graphgrad.FloatTensor)`` is true for a
float32 tensor, and ``t.type(graphgrad.LongTensor)`` converts, as in PyTorch.
"""
from __future__ import annotations

from .. import backend
from ..autograd.tensor import Tensor


class _LegacyTensorType(type):
    """The metaclass: calling the class builds a Tensor; isinstance checks the dtype."""

    def __call__(cls, *args, **kwargs):
        if "dtype" in kwargs:
            raise TypeError(f"{cls.__name__}(): the dtype is fixed ({cls.dtype}); use "
                            "graphgrad.tensor(data, dtype=...) for another one")
        return Tensor(*args, dtype=cls.dtype, **kwargs)

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __repr__(cls) -> str:
        return f"<class 'graphgrad.{cls.__name__}'>"


def _legacy(name: str, dtype: backend.dtype):
    return _LegacyTensorType(name, (), {"dtype": dtype, "__doc__": f"A {dtype} tensor "
                                        "constructor: ``" + name + "(data)`` or ``" + name +
                                        "(*sizes)``."})


FloatTensor = _legacy("FloatTensor", backend.float32)
DoubleTensor = _legacy("DoubleTensor", backend.float64)
HalfTensor = _legacy("HalfTensor", backend.float16)
LongTensor = _legacy("LongTensor", backend.int64)
IntTensor = _legacy("IntTensor", backend.int32)
ShortTensor = _legacy("ShortTensor", backend.int16)
CharTensor = _legacy("CharTensor", backend.int8)
ByteTensor = _legacy("ByteTensor", backend.uint8)
BoolTensor = _legacy("BoolTensor", backend.bool_)

BY_NAME = {cls.__name__: cls for cls in (FloatTensor, DoubleTensor, HalfTensor, LongTensor,
                                         IntTensor, ShortTensor, CharTensor, ByteTensor,
                                         BoolTensor)}

__all__ = sorted(BY_NAME)
