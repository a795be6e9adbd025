"""Differentiable collectives, as ``torch.distributed.nn``: ``functional.all_reduce``."""
from . import functional  # noqa: F401
