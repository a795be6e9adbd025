"""Layer 7, vision (torchvision's counterpart): ``datasets`` (MNIST, FashionMNIST, MNISTSample,
CIFAR10, ImageFolder, FakeData), ``transforms`` (torchvision's names, on NumPy arrays, tensors and
Pillow images), ``models`` (ResNet, VGG, AlexNet with torchvision's names and state_dict keys) and
``utils`` (``make_grid``, ``save_image``)."""
from . import datasets, models, transforms, utils  # noqa: F401
