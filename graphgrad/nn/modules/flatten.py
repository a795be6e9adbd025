"""``Flatten`` and ``Unflatten``: reshape between a run of dimensions and one."""
from __future__ import annotations

from ...autograd.tensor import Tensor
from .module import Module


class Flatten(Module):
    """Flatten dims ``start_dim..end_dim`` into one: ``(N, C, H, W) -> (N, C*H*W)`` by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expand dim ``dim`` into ``unflattened_size``: ``Unflatten(1, (2, 5))`` maps ``(N, 10)`` to
    ``(N, 2, 5)``."""

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        if not isinstance(dim, int):
            raise TypeError(f"Unflatten: invalid type {type(dim).__name__} for dim; expected int")
        if not isinstance(unflattened_size, (tuple, list)) or not all(
                isinstance(s, int) for s in unflattened_size):
            raise TypeError("Unflatten: unflattened_size must be a tuple of ints, but found "
                            f"{unflattened_size!r}")
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input: Tensor) -> Tensor:
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
