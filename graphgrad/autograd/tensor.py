"""The ``Tensor``: an array plus what autograd needs to know about it.

A tensor made by an operation that recorded the graph has a ``grad_fn``: the node (a ``Function``
instance) that made it, and ``_out_nr``, which of that node's outputs it is. A leaf has no
``grad_fn``; if it ``requires_grad``, backward accumulates into its ``.grad``.

Operations (``+``, ``exp``, ``reshape``, ...) are attached as methods by ``graphgrad.ops``, which
sits a layer above this one; this file holds only state, conversions and ``backward``.
"""
from __future__ import annotations

import weakref

import numpy as np

from .. import backend
from ..backend import from_np_dtype, to_np_dtype
from .shared_memory import pickle_form, shared_block_name, to_shared


class Size(tuple):
    """A tensor's shape, as ``torch.Size``: a tuple with ``numel()``."""

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self) -> str:
        return f"graphgrad.Size({list(self)})"


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    Build one with ``graphgrad.tensor(data)`` or a creation function. Calling the class follows
    PyTorch's legacy constructor (``torch.Tensor`` is ``torch.FloatTensor``): ``Tensor(2, 3)`` is an
    uninitialised (2, 3) tensor of the default float dtype, ``Tensor([1, 2])`` converts data to that
    dtype, ``Tensor()`` is empty. (graphgrad also accepts ``dtype=`` and ``requires_grad=``.)
    """

    __slots__ = ("_data", "_requires_grad", "grad", "grad_fn", "_out_nr", "_vc", "_base",
                 "_retains_grad", "_hooks", "_acc_ref", "_post_acc_hooks", "__weakref__")
    # Make NumPy hand binary operators with a tensor on the right back to the tensor.
    __array_priority__ = 1000

    def __init__(self, *args, dtype=None, requires_grad: bool = False):
        target = backend.get_default_dtype().np if dtype is None else to_np_dtype(dtype)
        if not args or (len(args) == 1 and args[0] is None):
            array = np.empty((0,), dtype=target)
        elif isinstance(args[0], Size) or all(
                isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_))
                for a in args):
            sizes = tuple(args[0]) if isinstance(args[0], Size) else tuple(int(a) for a in args)
            if any(s < 0 for s in sizes):
                raise RuntimeError(f"Trying to create tensor with negative dimension: {list(sizes)}")
            array = np.empty(sizes, dtype=target)
        elif len(args) == 1:
            array = as_array(args[0], target)
        else:
            raise TypeError(f"Tensor(): expected sizes (ints) or one sequence of data, got {args!r:.80}")
        self._data = array
        self.grad = None
        self.grad_fn = None
        self._out_nr = 0
        self._vc = [0]
        self._base = None
        self._retains_grad = False
        self._hooks = None
        self._acc_ref = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _make(cls, array, requires_grad=False, grad_fn=None, out_nr=0):
        """Wrap an array without copying or checking (the hot path of every op)."""
        t = object.__new__(cls)
        t._data = array
        t._requires_grad = requires_grad
        t.grad = None
        t.grad_fn = grad_fn
        t._out_nr = out_nr
        t._vc = [0]
        t._base = None
        t._retains_grad = False
        t._hooks = None
        t._acc_ref = None
        return t

    # ----------------------------------------------------------------- attributes
    @property
    def data(self) -> "Tensor":
        """A tensor sharing this one's storage, detached from the graph (as ``torch.Tensor.data``)."""
        t = Tensor._make(self._data)
        t._vc = self._vc
        return t

    @data.setter
    def data(self, value) -> None:
        array = value._data if isinstance(value, Tensor) else np.asarray(value)
        self._data = array

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if self.grad_fn is not None and not flag:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables; to stop gradients "
                "flowing through a computed tensor use .detach()")
        if flag and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                f"only tensors of floating point dtype can require gradients, got {self.dtype}")
        self._requires_grad = bool(flag)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    @property
    def dtype(self) -> backend.dtype:
        return from_np_dtype(self._data.dtype)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def ndimension(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    def nelement(self) -> int:
        return self._data.size

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def device(self) -> str:
        return "cpu"

    @property
    def is_cuda(self) -> bool:
        return False

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_contiguous(self) -> bool:
        return self._data.flags.c_contiguous

    def stride(self, dim: int | None = None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_wrap_dim(dim, self._data.ndim, "stride")]

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    def _version_get(self) -> int:
        return self._vc[0]

    _version = property(_version_get)

    def _bump_version(self) -> None:
        self._vc[0] += 1

    # ---------------------------------------------------------------- conversions
    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The underlying array (shared, not copied), as ``torch.Tensor.numpy``."""
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        if dtype is not None:
            return self._data.astype(dtype, copy=bool(copy))
        return self._data.copy() if copy else self._data

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"item: a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def detach(self) -> "Tensor":
        """A new leaf sharing this tensor's storage and version counter, cut from the graph."""
        t = Tensor._make(self._data)
        t._vc = self._vc
        t._base = self
        return t

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self._requires_grad = False
        return self

    def cpu(self) -> "Tensor":
        return self

    def cuda(self, *args, **kwargs):
        raise RuntimeError("graphgrad runs on the CPU; no CUDA device is available")

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self._data.size} values is ambiguous")
        return bool(self._data.reshape(()))

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __hash__(self) -> int:
        return id(self)

    def __format__(self, format_spec: str) -> str:
        """A 0-d tensor formats as its number (``f"{loss:.4f}"``); anything else as ``object`` does
        (so a format spec on a non-scalar is a TypeError), as in PyTorch."""
        if self._data.ndim == 0 and type(self) is Tensor:
            return self.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    def __repr__(self) -> str:
        from .printing import tensor_repr

        return tensor_repr(self)

    def __reduce__(self):  # data-loader workers and multiprocessing send tensors between processes
        return (_rebuild, (pickle_form(self._data), self._requires_grad))

    def share_memory_(self) -> "Tensor":
        """Move the data into shared memory (once; then a no-op), so that processes this tensor
        is sent to (``graphgrad.multiprocessing``) update the same numbers in place."""
        self._data = to_shared(self._data)
        return self

    def is_shared(self) -> bool:
        """Whether the data lives in shared memory (``share_memory_``)."""
        return shared_block_name(self._data) is not None

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` that this tensor depends on.

        ``gradient`` is required unless ``self`` has one element. The graph's saved arrays are
        freed afterwards unless ``retain_graph=True`` (default: ``create_graph``).
        """
        run = _ENGINE_BACKWARD[0]
        if run is None:  # the engine sits above this module: found on first use, then kept
            from .engine import backward as run

            _ENGINE_BACKWARD[0] = run
        run(self, gradient, retain_graph, create_graph, inputs)

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        if self.grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self._retains_grad:
            return
        self._retains_grad = True
        ref = weakref.ref(self)

        def keep(grad):
            t = ref()
            if t is not None:
                t.grad = grad.detach() if t.grad is None else t.grad + grad.detach()

        self.grad_fn._add_pre_hook(self._out_nr, keep, is_retain=True)

    def register_hook(self, hook) -> "RemovableHandle":
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn._add_pre_hook(self._out_nr, hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return RemovableHandle(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook) -> "RemovableHandle":
        """Call ``hook(self)`` after backward has accumulated this leaf's gradient into ``.grad``
        (once per backward, after every use's contribution is summed). Only for leaf tensors that
        require grad; ``autograd.grad``, which leaves ``.grad`` alone, does not call it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        # The slot is left unset by _make (the hot path of every op); the engine reads it with a default.
        hooks = getattr(self, "_post_acc_hooks", None)
        if hooks is None:
            hooks = self._post_acc_hooks = []
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def _accumulator(self):
        """The AccumulateGrad node of this leaf, shared by every op that uses it while it lives."""
        acc = self._acc_ref() if self._acc_ref is not None else None
        if acc is None:
            from .function import AccumulateGrad

            acc = AccumulateGrad(self)
            self._acc_ref = weakref.ref(acc)
        return acc

    def _edge(self):
        """Where the gradient for this tensor goes: (node, output number) or None."""
        if self.grad_fn is not None:
            return (self.grad_fn, self._out_nr)
        if self._requires_grad:
            return (self._accumulator(), 0)
        return None


# ``engine.backward``, looked up once (an import statement in ``Tensor.backward`` costs ~0.5 us a call)
_ENGINE_BACKWARD = [None]


class RemovableHandle:
    """Returned by hook registration; ``remove()`` unregisters the hook."""

    def __init__(self, container, item):
        self._container = container
        self._item = item

    def remove(self) -> None:
        if isinstance(self._container, dict):
            self._container.pop(self._item, None)
        else:
            try:
                self._container.remove(self._item)
            except ValueError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _rebuild(array, requires_grad):
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad = True
    return t


def _wrap_dim(dim: int, ndim: int, op: str) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"{op}: dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def as_array(data, dtype=None) -> np.ndarray:
    """Convert ``data`` to an array with ``graphgrad.tensor``'s rules: Python floats become the default
    float dtype (float32), ints int64, bools bool; NumPy arrays keep their dtype."""
    target = None if dtype is None else to_np_dtype(dtype)
    if isinstance(data, Tensor):
        array = data._data
    elif isinstance(data, np.ndarray):
        array = data
    elif isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in _flat(data)):
        array = np.array([as_array(d) for d in data])
    else:
        array = np.asarray(data)
        if target is None and not isinstance(data, np.generic):
            if array.dtype.kind == "f":
                target = backend.get_default_dtype().np
            elif array.dtype.kind in "iu":
                target = np.dtype(np.int64)
    if array.dtype == object or array.dtype.kind in "USV":
        raise TypeError(f"tensor: can't convert {type(data).__name__} of {array.dtype} to a tensor")
    if target is not None and array.dtype != target:
        array = array.astype(target)
    elif array.dtype not in _SUPPORTED:
        array = array.astype(_promote_unsupported(array.dtype))
    return array


_SUPPORTED = {np.dtype(t) for t in (np.float16, np.float32, np.float64, np.int8, np.uint8,
                                    np.int16, np.int32, np.int64, np.bool_)}


def _promote_unsupported(nd: np.dtype) -> np.dtype:
    if nd.kind in "iu":
        return np.dtype(np.int64)
    if nd.kind == "c":
        raise TypeError("graphgrad does not support complex tensors")
    return np.dtype(np.float64)


def _flat(data):
    for d in data:
        if isinstance(d, (list, tuple)):
            yield from _flat(d)
        else:
            yield d
