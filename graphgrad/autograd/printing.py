"""``repr`` of a tensor in PyTorch's format: ``tensor([[1., 2.], [3., 4.]], requires_grad=True)``."""
from __future__ import annotations

import numpy as np

from ..backend import get_default_dtype


def _float_formatter(array: np.ndarray):
    finite = array[np.isfinite(array)]
    if finite.size == 0:
        return lambda v: _special(v) or f"{v:.4f}"
    integral = bool(np.all(finite == np.round(finite)))
    amax = float(np.abs(finite).max())
    amin_nonzero = float(np.abs(finite[finite != 0]).min()) if np.any(finite != 0) else 0.0
    sci = amax >= 1e8 or (amin_nonzero and (amin_nonzero < 1e-4 or amax / amin_nonzero > 1e3))
    if integral and amax < 1e8:
        width = max(len(f"{v:.0f}.") for v in finite.ravel()[:1000])
        return lambda v: (_special(v) or f"{v:.0f}.").rjust(width)
    if sci:
        return lambda v: _special(v) or f"{v:.4e}"
    width = max(len(f"{v:.4f}") for v in finite.ravel()[:1000])
    return lambda v: (_special(v) or f"{v:.4f}").rjust(width)


def _special(v) -> str | None:
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def tensor_repr(t) -> str:
    array = t._data
    prefix = "tensor("
    if array.dtype.kind == "f":
        fmt = {"float_kind": _float_formatter(array)}
    else:
        fmt = None
    threshold = 1000
    body = np.array2string(array, separator=", ", prefix=prefix, formatter=fmt,
                           threshold=threshold, edgeitems=3, max_line_width=80)
    if array.size == 0:
        body = "[]"
    extras = []
    default_float = get_default_dtype().np
    if array.dtype.kind == "f" and array.dtype != default_float:
        extras.append(f"dtype=graphgrad.{array.dtype.name}")
    elif array.dtype.kind in "iu" and array.dtype != np.int64:
        extras.append(f"dtype=graphgrad.{array.dtype.name}")
    if array.size == 0 and array.shape != (0,):
        extras.append(f"size={tuple(array.shape)}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        extras.append("requires_grad=True")
    return prefix + body + "".join(", " + e for e in extras) + ")"
