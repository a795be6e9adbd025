"""Anomaly detection: inside ``detect_anomaly()``, the first NaN or Inf made by an op in forward or in
backward raises a RuntimeError that names the op and the line of user code that created it."""
from __future__ import annotations

import functools
import os
import traceback

import numpy as np

_enabled = [False]
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def is_anomaly_enabled() -> bool:
    return _enabled[0]


class detect_anomaly:
    """Context manager and decorator that turns anomaly detection on (slow: for debugging)."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = _enabled[0]
        _enabled[0] = self.check_nan
        return self

    def __exit__(self, *exc):
        _enabled[0] = self._prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return func(*args, **kwargs)

        return wrapper


class set_detect_anomaly(detect_anomaly):
    """``set_detect_anomaly(True/False)``: a plain call switches at once; also a context manager."""

    def __init__(self, mode: bool):
        super().__init__(mode)
        self._prev = _enabled[0]
        _enabled[0] = bool(mode)

    def __enter__(self):
        return self


def _user_frame() -> str:
    """'file:line in function: code' for the innermost stack frame outside graphgrad."""
    for frame in reversed(traceback.extract_stack()):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE_DIR):
            return f'File "{frame.filename}", line {frame.lineno}, in {frame.name}\n    {frame.line}'
    return "<unknown location>"


def _bad(arrays) -> bool:
    for a in arrays:
        if a is not None and getattr(a, "dtype", None) is not None and a.dtype.kind == "f":
            if not np.isfinite(a).all():
                return True
    return False


def check_forward(cls, out_arrays) -> None:
    if _bad(out_arrays):
        raise RuntimeError(
            f"detect_anomaly: function '{cls.__name__}' returned NaN or Inf in its output, "
            f"created at:\n{_user_frame()}")


def record_forward(ctx, out_arrays) -> None:
    """Remember where ``ctx`` was created, and check its outputs."""
    ctx._trace = _user_frame()
    if _bad(out_arrays):
        raise RuntimeError(
            f"detect_anomaly: function '{type(ctx).__name__}' returned NaN or Inf in its output, "
            f"created at:\n{ctx._trace}")


def check_backward(node, grad_arrays) -> None:
    if _bad(grad_arrays):
        where = node._trace or "<created outside detect_anomaly>"
        raise RuntimeError(
            f"detect_anomaly: function '{node.name()}' returned NaN or Inf values in its gradient. "
            f"The forward call that created it was:\n{where}")
