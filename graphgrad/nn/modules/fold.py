"""PyTorch's ``nn.modules.fold`` path: ``Fold`` and ``Unfold`` (defined in pooling.py)."""
from .pooling import Fold, Unfold

__all__ = ["Fold", "Unfold"]
