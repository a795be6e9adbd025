"""Process-wide queries and settings under ``torch.*``'s names: ``finfo``/``iinfo`` (a dtype's
limits), the random state (``seed``, ``get_rng_state``, ``set_rng_state``), the default device
(always the CPU here), deterministic-algorithm flags, ``set_printoptions``, and the top-level forms of
tensor predicates PyTorch exposes as functions (``is_floating_point``, ``is_nonzero``, ...)."""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd.tensor import Tensor
from ..backend import check_device, from_np_dtype, to_np_dtype


class finfo:  # noqa: N801 - PyTorch's name
    """The limits of a floating dtype: ``bits``, ``eps``, ``max``, ``min``, ``tiny`` (=
    ``smallest_normal``), ``resolution``, ``dtype``. ``finfo()`` describes the default dtype."""

    def __init__(self, type=None):  # noqa: A002 - PyTorch's argument name
        nd = backend.get_default_dtype().np if type is None else to_np_dtype(type)
        if nd.kind != "f":
            raise TypeError(f"torch.finfo() requires a floating point input type, got {nd}")
        info = np.finfo(nd)
        self.bits, self.eps, self.max, self.min = info.bits, float(info.eps), float(info.max), \
            float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = float(info.resolution)
        self.dtype = from_np_dtype(nd).name

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution}, min={self.min:.6e}, max={self.max:.6e}, "
                f"eps={self.eps:.6e}, smallest_normal={self.tiny:.6e}, tiny={self.tiny:.6e}, "
                f"dtype={self.dtype})")


class iinfo:  # noqa: N801 - PyTorch's name
    """The limits of an integer dtype: ``bits``, ``max``, ``min``, ``dtype``."""

    def __init__(self, type):  # noqa: A002
        nd = to_np_dtype(type)
        if nd.kind not in "iub":
            raise TypeError(f"torch.iinfo() requires an integer input type, got {nd}")
        info = np.iinfo(nd) if nd.kind != "b" else None
        self.bits = nd.itemsize * 8 if info is None else info.bits
        self.max, self.min = (1, 0) if info is None else (int(info.max), int(info.min))
        self.dtype = from_np_dtype(nd).name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


def seed() -> int:
    """Seed the default generator from fresh entropy and return the seed."""
    return backend.default_generator.seed()


def get_rng_state():
    """The default generator's state (pass it to ``set_rng_state`` to replay the draws)."""
    return backend.default_generator.get_state()


def set_rng_state(new_state) -> None:
    backend.default_generator.set_state(new_state)


def get_default_device() -> str:
    """graphgrad computes on the CPU: 'cpu'."""
    return "cpu"


def set_default_device(device) -> None:
    """Only the CPU is available: ``None`` or 'cpu' are accepted, anything else is an error."""
    check_device(device, "set_default_device")


_deterministic = [False]


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Record the flag; graphgrad's CPU ops are deterministic already."""
    _deterministic[0] = bool(mode)


def are_deterministic_algorithms_enabled() -> bool:
    return _deterministic[0]


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None) -> None:
    """How tensors print, as ``torch.set_printoptions``: ``profile`` 'default', 'short' or 'full'
    first, then the given options override it."""
    from ..autograd import printing

    printing.set_options(precision=precision, threshold=threshold, edgeitems=edgeitems,
                         linewidth=linewidth, profile=profile, sci_mode=sci_mode)


def is_floating_point(input: Tensor) -> bool:
    return input.is_floating_point()


def is_complex(input: Tensor) -> bool:
    return False


def is_nonzero(input: Tensor) -> bool:
    return input.is_nonzero()


def is_same_size(input: Tensor, other: Tensor) -> bool:
    return input.is_same_size(other)


def is_signed(input: Tensor) -> bool:
    return input.is_signed()


def scalar_tensor(s, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A 0-d tensor of ``s`` (the default float dtype unless ``dtype`` is given)."""
    check_device(device, "scalar_tensor")
    nd = backend.get_default_dtype().np if dtype is None else to_np_dtype(dtype)
    t = Tensor._make(np.asarray(s, dtype=nd))
    if requires_grad:
        t.requires_grad = True
    return t


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad: bool = False) -> Tensor:
    """A tensor from ``obj`` sharing memory when possible (``copy=True`` always copies)."""
    check_device(device, "asarray")
    from .creation import as_tensor, tensor

    if copy:
        return tensor(obj, dtype=dtype, requires_grad=requires_grad)
    t = as_tensor(obj, dtype=dtype)
    if requires_grad:
        t.requires_grad = True
    return t


__all__ = ["finfo", "iinfo", "seed", "get_rng_state", "set_rng_state", "get_default_device",
           "set_default_device", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled", "set_printoptions", "is_floating_point",
           "is_complex", "is_nonzero", "is_same_size", "is_signed", "scalar_tensor", "asarray"]
