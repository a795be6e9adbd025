"""``Parameter``: a tensor that a ``Module`` registers as one of its weights, and ``Buffer``, a tensor
it registers as state that is not trained (BatchNorm's running statistics)."""
from __future__ import annotations

import copy

from ..autograd.shared_memory import pickle_form
from ..autograd.tensor import Tensor, as_array


class Parameter(Tensor):
    """A leaf tensor that is a module's weight: assigning one to a ``Module`` attribute registers it,
    so it appears in ``parameters()`` and ``state_dict()``.

    ``Parameter(data, requires_grad=True)`` shares ``data``'s storage (as in PyTorch) and is a leaf
    even when ``data`` came out of a computation. Operations on a parameter return plain tensors.
    """

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            super().__init__(None)
        elif isinstance(data, Tensor):
            super().__init__(None)
            self._data = data._data
            self._vc = data._vc  # a view of the same storage: in-place edits are seen by both
        else:
            super().__init__(None)
            self._data = as_array(data)  # arrays keep their dtype (Tensor(data) would convert)
        if requires_grad:
            self.requires_grad = True

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce__(self):
        return (_rebuild_parameter, (pickle_form(self._data), self._requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(Tensor._make(self._data.copy()), self._requires_grad)
        if self.grad is not None:
            result.grad = copy.deepcopy(self.grad, memo)
        memo[id(self)] = result
        return result


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a ``Module`` attribute:
    ``self.running_mean = nn.Buffer(torch.zeros(3))``. ``persistent=False`` keeps it out of
    ``state_dict()``. Once registered, the module holds a plain tensor sharing this one's storage."""

    def __init__(self, data=None, *, persistent: bool = True):
        super().__init__(None)
        if data is not None:
            self._data = data._data if isinstance(data, Tensor) else as_array(data)
            if isinstance(data, Tensor):
                self._vc = data._vc
        self.persistent = persistent


def _rebuild_parameter(array, requires_grad):
    return Parameter(Tensor._make(array), requires_grad)


__all__ = ["Parameter", "Buffer"]
