"""AlexNet (Krizhevsky, Sutskever, Hinton 2012) in torchvision's single-stream layout
(61,100,840 parameters for 1000 classes), optionally with the paper's local response normalisation."""
from __future__ import annotations

from ..vision.models.alexnet import AlexNet as _TorchvisionAlexNet
from ..vision.models.alexnet import alexnet_features


class AlexNet(_TorchvisionAlexNet):
    """Input (N, 3, 224, 224). ``lrn=True`` adds LocalResponseNorm(size=5, alpha=1e-4, beta=0.75,
    k=2) after the first two convolutions, as in the paper (it has no parameters)."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5, lrn: bool = False):
        super().__init__(num_classes=num_classes, dropout=dropout)
        if lrn:
            self.features = alexnet_features(local_response_norm=True)
