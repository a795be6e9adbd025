"""default_collate / default_convert: output structure as PyTorch's."""
import collections

import numpy as np
import pytest

import graphgrad
from graphgrad.utils.data import default_collate, default_convert

Point = collections.namedtuple("Point", "x y")


def _structure(obj):
    """A comparable description: type names, shapes and dtype names."""
    if hasattr(obj, "shape") and hasattr(obj, "dtype"):
        return ("tensor", tuple(obj.shape), str(obj.dtype).split(".")[-1])
    if isinstance(obj, dict):
        return {k: _structure(v) for k, v in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return (type(obj).__name__,) + tuple(_structure(v) for v in obj)
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [_structure(v) for v in obj])
    return (type(obj).__name__, obj)


SAMPLES = [
    [np.zeros((2, 3), np.float32), np.ones((2, 3), np.float32)],
    [np.uint8(3), np.uint8(4)],
    [1, 2, 3],
    [1.5, 2.5],
    [True, False],
    ["a", "b"],
    [(np.zeros(2), 1), (np.ones(2), 0)],
    [{"img": np.zeros(4, np.float32), "label": 3, "name": "x"},
     {"img": np.ones(4, np.float32), "label": 1, "name": "y"}],
    [[1, 2.0], [3, 4.0]],
    [Point(1, 2.0), Point(3, 4.0)],
    [(np.zeros((2,), np.int64), {"a": [1, 2]}), (np.ones((2,), np.int64), {"a": [3, 4]})],
]


@pytest.mark.parametrize("batch", SAMPLES, ids=range(len(SAMPLES)))
def test_structure_matches_torch(batch):
    torch = pytest.importorskip("torch")
    ours = default_collate(batch)
    ref = torch.utils.data.default_collate(batch)
    assert _structure(ours) == _structure(ref)


def test_values_and_tensor_inputs():
    out = default_collate([graphgrad.tensor([1.0, 2.0]), graphgrad.tensor([3.0, 4.0])])
    assert isinstance(out, graphgrad.Tensor) and out.tolist() == [[1, 2], [3, 4]]
    imgs, labels = default_collate([(np.full((1, 2), i, np.uint8), i) for i in range(3)])
    assert imgs.shape == (3, 1, 2) and imgs.dtype == graphgrad.uint8
    assert labels.tolist() == [0, 1, 2] and labels.dtype == graphgrad.int64
    assert default_collate([Point(1, 2), Point(3, 4)]).x.tolist() == [1, 3]


def test_errors():
    with pytest.raises(RuntimeError, match=r"equal size.*\(2,\), \(3,\)"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [1]])
    with pytest.raises(TypeError, match="found <class 'object'>"):
        default_collate([object(), object()])


def test_default_convert():
    out = default_convert({"a": np.arange(3), "b": (np.float32(2.0), "s", 4)})
    assert isinstance(out["a"], graphgrad.Tensor)
    assert isinstance(out["b"], list) and isinstance(out["b"][0], graphgrad.Tensor)
    assert out["b"][1:] == ["s", 4]
