"""Image transforms with torchvision's names, on tensors (..., C, H, W), NumPy arrays (H, W[, C])
and Pillow images; random ones are seeded through ``graphgrad.manual_seed``."""
from . import functional  # noqa: F401
from .functional import InterpolationMode
from .mix import CutMix, MixUp
from .transforms import (CenterCrop, ColorJitter, Compose, GaussianBlur, Grayscale, Lambda,
                         Normalize, Pad, PILToTensor, RandomAffine, RandomApply, RandomChoice,
                         RandomCrop, RandomErasing, RandomGrayscale, RandomHorizontalFlip,
                         RandomOrder, RandomResizedCrop, RandomRotation, RandomVerticalFlip,
                         Resize, ToPILImage, ToTensor, Transform)

__all__ = ["Compose", "ToTensor", "PILToTensor", "ToPILImage", "Normalize", "Resize",
           "CenterCrop", "Pad", "Grayscale", "Lambda", "RandomCrop", "RandomHorizontalFlip",
           "RandomVerticalFlip", "RandomRotation", "RandomAffine", "RandomResizedCrop",
           "ColorJitter", "RandomErasing", "GaussianBlur", "RandomApply", "RandomChoice",
           "RandomOrder", "RandomGrayscale", "MixUp", "CutMix", "InterpolationMode", "Transform"]
