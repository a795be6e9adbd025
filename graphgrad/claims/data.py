"""The images a claim trains on, as normalised arrays: full MNIST when ``settings.data`` holds it,
the embedded MNIST sample otherwise; CIFAR-10 (binary version) when ``settings.data`` holds it.

Arrays, not datasets of per-image transforms: a claim trains several small networks on the same
images, so the images are decoded and normalised once."""
from __future__ import annotations

import os

import numpy as np

from ..recipes.vision_data import CIFAR_MEAN, CIFAR_STD, MNIST_MEAN, MNIST_STD

MNIST_FILE = "train-images-idx3-ubyte"
CIFAR_FOLDER = "cifar-10-batches-bin"  # the binary version: the python one is pickles, never loaded


def mnist_folder(data: str | None) -> str | None:
    """The folder of full MNIST's IDX files under ``data`` (``data/mnist`` or ``data`` itself),
    or None when ``data`` is None or holds no MNIST."""
    if data is None:
        return None
    for folder in (os.path.join(data, "mnist"), data):
        if any(os.path.isfile(os.path.join(folder, MNIST_FILE + ext)) for ext in ("", ".gz")):
            return folder
    return None


def cifar_folder(data: str | None) -> str | None:
    """The folder under ``data`` that holds ``cifar-10-batches-bin``, or None."""
    if data is None:
        return None
    for folder in (data, os.path.join(data, "cifar10"), os.path.join(data, "cifar-10")):
        if os.path.isdir(os.path.join(folder, CIFAR_FOLDER)):
            return folder
    return None


def _subset(n: int, limit: int | None, seed: int) -> np.ndarray:
    """A fixed random subset of ``range(n)`` of size ``limit`` (all, in order, without one)."""
    if limit is None or limit >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).permutation(n)[:limit])


def mnist_arrays(data: str | None, train_limit: int | None = None,
                 test_limit: int | None = None) -> dict:
    """``x_train`` (N, 1, 28, 28) float32 normalised, ``y_train`` (N,) int64, ``x_test``,
    ``y_test`` and ``description`` ("full MNIST, 60,000 training ..." or "embedded sample ...").
    ``train_limit``/``test_limit`` keep a fixed random subset (the same for every seed)."""
    from ..vision import datasets

    folder = mnist_folder(data)
    if folder is None:
        train, test = datasets.MNISTSample(train=True), datasets.MNISTSample(train=False)
        where = "the embedded MNIST sample"
    else:
        train, test = datasets.MNIST(folder, train=True), datasets.MNIST(folder, train=False)
        where = f"full MNIST from {folder}"
    out, cut = {}, False
    for part, ds, limit in (("train", train, train_limit), ("test", test, test_limit)):
        images, labels = ds.data.numpy(), ds.targets.numpy()
        keep = _subset(len(images), limit, seed=0)
        cut = cut or len(keep) < len(images)
        x = (images[keep].astype(np.float32) / 255.0 - MNIST_MEAN[0]) / MNIST_STD[0]
        out[f"x_{part}"] = x[:, None, :, :]
        out[f"y_{part}"] = labels[keep].astype(np.int64)
    out["description"] = (f"{where}: {len(out['y_train']):,} training and {len(out['y_test']):,} "
                          f"test images" + (" (a fixed random subset)" if cut else ""))
    out["full"] = folder is not None
    return out


def cifar_arrays(data: str, train_limit: int | None = None, test_limit: int | None = None) -> dict:
    """CIFAR-10 as ``mnist_arrays`` gives MNIST: x (N, 3, 32, 32) normalised per channel."""
    from ..vision import datasets

    folder = cifar_folder(data)
    if folder is None:
        raise FileNotFoundError(f"claims: no {CIFAR_FOLDER} under {data}")
    out = {}
    mean = np.array(CIFAR_MEAN, dtype=np.float32)[:, None, None]
    std = np.array(CIFAR_STD, dtype=np.float32)[:, None, None]
    for part, train in (("train", True), ("test", False)):
        ds = datasets.CIFAR10(folder, train=train)
        images = np.asarray(ds.data)  # (N, 32, 32, 3) uint8, as torchvision
        labels = np.asarray(ds.targets, dtype=np.int64)
        keep = _subset(len(images), train_limit if train else test_limit, seed=0)
        x = images[keep].astype(np.float32).transpose(0, 3, 1, 2) / 255.0
        out[f"x_{part}"] = (x - mean) / std
        out[f"y_{part}"] = labels[keep]
    out["description"] = (f"CIFAR-10 from {folder}: {len(out['y_train']):,} training and "
                          f"{len(out['y_test']):,} test images")
    out["full"] = True
    return out
