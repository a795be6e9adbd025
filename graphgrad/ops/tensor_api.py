"""The rest of ``torch.Tensor``'s everyday surface: ``new_*`` constructors (same dtype as the tensor
unless told), the device and layout queries a CPU tensor answers (``is_cpu``, ``is_xpu``,
``is_mps``, ``get_device``, ...), the real-number forms of the complex helpers (``conj``, ``real``,
``H``/``mH``/``adjoint``), ``sum_to_size``, ``apply_``/``map_``, and the in-place shape changes
(``t_``, ``transpose_``, ``squeeze_``, ``unsqueeze_``, ``resize_``, ...).
"""
from __future__ import annotations

import numpy as np

from ..autograd import grad_mode
from ..autograd.tensor import Tensor, as_array
from ..backend import check_device, to_np_dtype
from ._util import register_methods, sum_to
from .creation import _shape


def _finish(array: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad = True
    return t


def _dtype(self: Tensor, dtype) -> np.dtype:
    return self._data.dtype if dtype is None else to_np_dtype(dtype)


def new_tensor(self, data, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data``, with this tensor's dtype unless ``dtype`` is given."""
    check_device(device, "new_tensor")
    array = np.array(as_array(data), dtype=_dtype(self, dtype), copy=True)
    return _finish(array, requires_grad)


def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Zeros of ``size`` with this tensor's dtype (as ``torch.Tensor.new_zeros``)."""
    check_device(device, "new_zeros")
    return _finish(np.zeros(_shape(size), dtype=_dtype(self, dtype)), requires_grad)


def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "new_ones")
    return _finish(np.ones(_shape(size), dtype=_dtype(self, dtype)), requires_grad)


def new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device, "new_empty")
    return _finish(np.empty(_shape(size), dtype=_dtype(self, dtype)), requires_grad)


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    check_device(device, "new_full")
    return _finish(np.full(_shape((size,)), fill_value, dtype=_dtype(self, dtype)), requires_grad)


# ---------------------------------------------------------------- device and layout queries
def _false(self) -> bool:
    return False


def _get_device(self) -> int:
    """-1: the tensor is on the CPU (PyTorch's answer for CPU tensors)."""
    return -1


def is_signed(self) -> bool:
    return self._data.dtype.kind in "if"


def is_nonzero(self) -> bool:
    """The truth of a one-element tensor (an error for any other size)."""
    if self._data.size != 1:
        raise RuntimeError(f"Boolean value of Tensor with {'no' if self._data.size == 0 else 'more than one'}"
                           " values is ambiguous")
    return bool(self._data.reshape(()))


def is_same_size(self, other: Tensor) -> bool:
    return self._data.shape == other._data.shape


def _itemsize(self) -> int:
    return self._data.itemsize


def _nbytes(self) -> int:
    return self._data.nbytes


def _retains_grad(self) -> bool:
    return self._retains_grad


def _itself(self, *args, **kwargs) -> Tensor:
    return self


def _real(self) -> Tensor:
    return self


def _imag(self):
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


def _adjoint(self) -> Tensor:
    """For real tensors the conjugate transpose of the last two dims is the transpose."""
    return self.transpose(-2, -1)


def _h(self) -> Tensor:
    if self._data.ndim > 2:
        raise RuntimeError("tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{self._data.ndim}-D tensor.")
    return self.t() if self._data.ndim == 2 else self


def sum_to_size(self, *size) -> Tensor:
    """Sum this tensor down to ``size`` (which it must be broadcastable from)."""
    shape = _shape(size)
    try:
        if np.broadcast_shapes(shape, self._data.shape) != self._data.shape:
            raise ValueError
    except ValueError:
        raise RuntimeError(f"sum_to_size: size {list(shape)} is not expandable to size "
                           f"{list(self._data.shape)}") from None
    return sum_to(self, shape)


def apply_(self, callable) -> Tensor:
    """Replace each element ``x`` by ``callable(x)`` (a Python function; slow, as in PyTorch)."""
    _no_graph(self, "apply_")
    flat = self._data.reshape(-1)
    for i, v in enumerate(flat.tolist()):
        flat[i] = callable(v)
    self._bump_version()
    return self


def map_(self, tensor: Tensor, callable) -> Tensor:
    """Replace each ``x`` by ``callable(x, y)`` with ``y`` the matching element of ``tensor``."""
    _no_graph(self, "map_")
    other = np.broadcast_to(tensor._data, self._data.shape).reshape(-1).tolist()
    flat = self._data.reshape(-1)
    for i, (a, b) in enumerate(zip(flat.tolist(), other)):
        flat[i] = callable(a, b)
    self._bump_version()
    return self


# -------------------------------------------------------------------- in-place shape changes
def _no_graph(self: Tensor, op: str) -> None:
    if grad_mode._enabled[0] and self._requires_grad:
        raise RuntimeError(f"{op}: changing a tensor that requires grad in place is not supported "
                           "here; use the out-of-place form")


def _reshaped_inplace(op: str, fn):
    def method(self, *args, **kwargs):
        _no_graph(self, op)
        with grad_mode.no_grad():
            self._data = fn(self, *args, **kwargs)._data
        return self

    method.__name__ = op
    method.__doc__ = f"In-place ``{op[:-1]}``: this tensor takes the new shape (a view of its data)."
    return method


def resize_(self, *sizes, memory_format=None) -> Tensor:
    """Give this tensor shape ``sizes``: the first elements (in row-major order) are kept, new ones
    are uninitialised (zeros here)."""
    _no_graph(self, "resize_")
    shape = _shape(sizes)
    n = int(np.prod(shape, dtype=np.int64))
    flat = self._data.reshape(-1)
    if n <= flat.size:
        self._data = np.ascontiguousarray(flat[:n]).reshape(shape)
    else:
        data = np.zeros(n, dtype=self._data.dtype)
        data[:flat.size] = flat
        self._data = data.reshape(shape)
    self._bump_version()
    return self


def resize_as_(self, other: Tensor, memory_format=None) -> Tensor:
    return resize_(self, other._data.shape)


def _squeeze(t, dim=None):
    return t.squeeze() if dim is None else t.squeeze(dim)


register_methods(
    new_tensor=new_tensor, new_zeros=new_zeros, new_ones=new_ones, new_empty=new_empty,
    new_full=new_full,
    is_cpu=property(lambda self: True), is_xpu=property(_false), is_mps=property(_false),
    is_meta=property(_false), is_sparse=property(_false), is_quantized=property(_false),
    is_nested=property(_false), is_mkldnn=property(_false), is_ipu=property(_false),
    is_xla=property(_false), is_vulkan=property(_false), is_maia=property(_false),
    is_mtia=property(_false), is_sparse_csr=property(_false),
    get_device=_get_device, is_complex=_false, is_conj=_false, is_neg=_false,
    is_inference=_false, is_pinned=_false, is_signed=is_signed,
    is_nonzero=is_nonzero, is_same_size=is_same_size, itemsize=property(_itemsize),
    nbytes=property(_nbytes), retains_grad=property(_retains_grad),
    pin_memory=_itself, conj=_itself, conj_physical=_itself,
    resolve_conj=_itself, resolve_neg=_itself, real=property(_real), imag=property(_imag),
    adjoint=_adjoint, mH=property(_adjoint), H=property(_h), sum_to_size=sum_to_size,
    apply_=apply_, map_=map_, resize_=resize_, resize_as_=resize_as_,
    t_=_reshaped_inplace("t_", lambda t: t.t()),
    transpose_=_reshaped_inplace("transpose_", lambda t, d0, d1: t.transpose(d0, d1)),
    swapaxes_=_reshaped_inplace("swapaxes_", lambda t, d0, d1: t.transpose(d0, d1)),
    swapdims_=_reshaped_inplace("swapdims_", lambda t, d0, d1: t.transpose(d0, d1)),
    squeeze_=_reshaped_inplace("squeeze_", _squeeze),
    unsqueeze_=_reshaped_inplace("unsqueeze_", lambda t, dim: t.unsqueeze(dim)),
)

__all__: list = []  # Tensor methods only
