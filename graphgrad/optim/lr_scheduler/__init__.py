"""Learning-rate schedules, as ``torch.optim.lr_scheduler``: build one on an optimizer and call
``scheduler.step()`` after each ``optimizer.step()`` (per epoch, or per batch for the cyclic
ones); ``ReduceLROnPlateau.step(metric)`` takes the monitored value."""
from .base import LambdaLR, LRScheduler, MultiplicativeLR, _LRScheduler  # noqa: F401
from .compose import ChainedScheduler, SequentialLR
from .cyclic import CyclicLR, OneCycleLR
from .decay import (ConstantLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, ExponentialLR,
                    LinearLR, MultiStepLR, PolynomialLR, StepLR)
from .plateau import ReduceLROnPlateau

__all__ = ["ChainedScheduler", "ConstantLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts",
           "CyclicLR", "ExponentialLR", "LRScheduler", "LambdaLR", "LinearLR", "MultiStepLR",
           "MultiplicativeLR", "OneCycleLR", "PolynomialLR", "ReduceLROnPlateau", "SequentialLR",
           "StepLR"]
