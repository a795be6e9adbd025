"""``repr`` of a tensor in PyTorch's format: ``tensor([[1., 2.], [3., 4.]], requires_grad=True)``."""
from __future__ import annotations

import numpy as np

from ..backend import get_default_dtype

_PROFILES = {"default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None),
             "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80, sci_mode=None),
             "full": dict(precision=4, threshold=np.inf, edgeitems=3, linewidth=80, sci_mode=None)}
_options = dict(_PROFILES["default"])


def set_options(profile=None, **options) -> None:
    """``torch.set_printoptions``: start from ``profile`` if given, then override the options that
    are not None (precision, threshold, edgeitems, linewidth, sci_mode)."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {sorted(_PROFILES)}")
        _options.update(_PROFILES[profile])
    for name, value in options.items():
        if value is not None or name == "sci_mode":  # PyTorch sets sci_mode even to None (auto)
            _options[name] = value


def _float_formatter(array: np.ndarray):
    finite = array[np.isfinite(array)]
    if finite.size == 0:
        return lambda v: _special(v) or f"{v:.{_options['precision']}f}"
    digits = _options["precision"]
    integral = bool(np.all(finite == np.round(finite)))
    amax = float(np.abs(finite).max())
    amin_nonzero = float(np.abs(finite[finite != 0]).min()) if np.any(finite != 0) else 0.0
    sci = amax >= 1e8 or (amin_nonzero and (amin_nonzero < 1e-4 or amax / amin_nonzero > 1e3))
    if _options["sci_mode"] is not None:
        sci = _options["sci_mode"]
    if integral and amax < 1e8 and _options["sci_mode"] is not True:
        width = max(len(f"{v:.0f}.") for v in finite.ravel()[:1000])
        return lambda v: (_special(v) or f"{v:.0f}.").rjust(width)
    if sci:
        return lambda v: _special(v) or f"{v:.{digits}e}"
    width = max(len(f"{v:.{digits}f}") for v in finite.ravel()[:1000])
    return lambda v: (_special(v) or f"{v:.{digits}f}").rjust(width)


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
    body = np.array2string(array, separator=", ", prefix=prefix, formatter=fmt,
                           threshold=_options["threshold"], edgeitems=_options["edgeitems"],
                           max_line_width=_options["linewidth"])
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
