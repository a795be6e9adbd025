"""``graphgrad.accelerator``: PyTorch's device-agnostic accelerator API, answered as PyTorch answers
on a machine without one (graphgrad computes on the CPU): ``is_available()`` is False,
``current_accelerator()`` is None, ``device_count()`` is 0, and anything that needs a device raises.

So the idiom of today's PyTorch examples runs unchanged::

    device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else "cpu"
"""
from __future__ import annotations

import contextlib

_NO_DEVICE = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False):
    """The accelerator device, or None when there is none (always None in graphgrad)."""
    return None


def device_count() -> int:
    return 0


def _no_device(*args, **kwargs):
    raise RuntimeError(_NO_DEVICE)


current_device_index = current_device_idx = _no_device
set_device_index = set_device_idx = _no_device
synchronize = empty_cache = current_stream = _no_device


@contextlib.contextmanager
def device_index(device):
    """Switch to accelerator ``device`` inside the block; ``None`` is a no-op (as in PyTorch)."""
    if device is not None:
        _no_device()
    yield


__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "current_device_idx", "set_device_index", "set_device_idx", "synchronize",
           "empty_cache", "current_stream", "device_index"]
