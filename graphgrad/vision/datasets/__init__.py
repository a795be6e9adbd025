"""Vision datasets: MNIST, FashionMNIST, the embedded MNISTSample, CIFAR10, ImageFolder, FakeData."""
from .cifar import CIFAR10
from .fake import FakeData
from .folder import IMG_EXTENSIONS, DatasetFolder, ImageFolder, default_loader, pil_loader
from .mnist import MNIST, FashionMNIST, read_idx
from .mnist_sample import MNISTSample, load_mnist_sample, mnist_sample_path

__all__ = ["MNIST", "FashionMNIST", "MNISTSample", "CIFAR10", "DatasetFolder", "FakeData", "ImageFolder",
           "IMG_EXTENSIONS", "default_loader", "pil_loader", "read_idx", "load_mnist_sample",
           "mnist_sample_path"]
