"""Switches that turn graph recording on and off: ``no_grad``, ``enable_grad``,
``set_grad_enabled`` and ``inference_mode``, each usable as a context manager or a decorator."""
from __future__ import annotations

import functools

# A one-element list so that every module reads the same switch without a function call.
_enabled = [True]


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad record the graph."""
    return _enabled[0]


class _GradMode:
    """Sets recording to ``self.mode`` inside a ``with`` block or a decorated function."""

    mode = True

    def __enter__(self):
        self._prev = _enabled[0]
        _enabled[0] = self.mode
        return self

    def __exit__(self, *exc):
        _enabled[0] = self._prev
        return False

    def __call__(self, func):
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            prev = _enabled[0]
            _enabled[0] = mode
            try:
                return func(*args, **kwargs)
            finally:
                _enabled[0] = prev

        return wrapper


class no_grad(_GradMode):
    """Operations inside record no graph; their results have ``requires_grad=False``."""

    mode = False


class enable_grad(_GradMode):
    """Turn recording back on inside a ``no_grad`` block."""

    mode = True


class set_grad_enabled(_GradMode):
    """``set_grad_enabled(False)`` acts as ``no_grad``; a plain call switches at once, as in PyTorch."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._prev = _enabled[0]
        _enabled[0] = self.mode

    def __enter__(self):
        return self  # already switched in __init__

    def __call__(self, func):
        _enabled[0] = self._prev  # used as a decorator: undo the eager switch
        return super().__call__(func)


class inference_mode(_GradMode):
    """As ``no_grad`` (graphgrad has no separate inference tensors); ``inference_mode(False)``
    leaves recording as it is."""

    def __init__(self, mode: bool = True):
        self._active = bool(mode)

    @property
    def mode(self):
        return False if self._active else _enabled[0]
