"""Layer 7, vision: ``datasets`` (MNIST, FashionMNIST, MNISTSample, CIFAR10, ImageFolder) and
``transforms`` (torchvision's names, on NumPy arrays, tensors and Pillow images)."""
from . import datasets, transforms  # noqa: F401
