"""``graphgrad.cuda``: a placeholder that says graphgrad runs on the CPU only, with the answers
PyTorch's CPU build gives (``is_available()`` False, ``device_count()`` 0, seeding a no-op), so
``if torch.cuda.is_available(): ...`` ports unchanged. Anything that needs a GPU raises.
(A real CUDA backend would replace this module.)"""
from __future__ import annotations

_NOT_COMPILED = "graphgrad has no CUDA support: it computes on the CPU (torch.cuda.is_available() is False)"


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def manual_seed(seed: int) -> None:
    """A no-op without a GPU, as in PyTorch (``graphgrad.manual_seed`` seeds the CPU)."""


manual_seed_all = manual_seed


def seed() -> None:
    """A no-op without a GPU."""


seed_all = seed


def empty_cache() -> None:
    """A no-op when CUDA was never initialised, as in PyTorch."""


def _not_compiled(*args, **kwargs):
    raise AssertionError(_NOT_COMPILED)


current_device = set_device = synchronize = get_device_name = get_device_properties = \
    get_device_capability = _not_compiled

__all__ = ["is_available", "device_count", "is_initialized", "manual_seed", "manual_seed_all",
           "seed", "seed_all", "empty_cache", "current_device", "set_device", "synchronize",
           "get_device_name", "get_device_properties", "get_device_capability"]
