"""Datasets for the vision recipes: the embedded MNIST sample (default), MNIST or Fashion-MNIST IDX
files, CIFAR-10 binary files; a seeded validation split carved from the training set; and the same
data as NumPy arrays, for the recipes that look inside networks."""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .. import Generator, tensor
from ..utils.data import Dataset, TensorDataset, random_split
from .registry import RecipeError, user_file

MNIST_MEAN, MNIST_STD = (0.1307,), (0.3081,)
FASHION_MEAN, FASHION_STD = (0.2860,), (0.3530,)
CIFAR_MEAN, CIFAR_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
# The data settings of the recipes that work on arrays (vision_arrays)
DATA = {"dataset": "mnist", "data": None, "val_fraction": 0.1, "seed": 0}


@dataclass
class VisionData:
    train: Dataset
    val: Dataset | None
    test: Dataset
    classes: list
    input_size: tuple
    description: str


class _Transformed(Dataset):
    """A view of ``base`` (a Subset of an untransformed dataset) with its own transform."""

    def __init__(self, base, transform):
        self.base, self.transform = base, transform

    def __len__(self):
        return len(self.base)

    def __getitem__(self, i):
        image, target = self.base[i]
        return self.transform(image), target


def _transforms(mean, std, augment: bool, pad_to: int | None = None, cifar: bool = False,
                erasing: float = 0.0):
    from ..vision import transforms as T

    eval_steps = [T.ToTensor(), T.Normalize(mean, std)]
    if pad_to:
        eval_steps.insert(1, T.Pad((pad_to - 28) // 2))
    train_steps = list(eval_steps)
    if augment:
        if cifar:
            train_steps = [T.RandomCrop(32, padding=4), T.RandomHorizontalFlip()] + eval_steps
        else:
            train_steps = [T.RandomAffine(degrees=10, translate=(0.1, 0.1), scale=(0.9, 1.1))] \
                + eval_steps
    if erasing:
        train_steps = train_steps + [T.RandomErasing(p=erasing, scale=(0.02, 0.1))]
    return T.Compose(train_steps), T.Compose(eval_steps)


def _split(full, val_fraction: float, seed: int):
    n_val = int(round(len(full) * val_fraction))
    if n_val == 0:
        return full, None
    return random_split(full, [len(full) - n_val, n_val], generator=Generator().manual_seed(seed))


def load_vision_data(config: dict) -> VisionData:
    """Build the train/val/test datasets named by ``config['dataset']`` and ``config['data']``."""
    from ..vision import datasets

    name, path = config["dataset"], config.get("data")
    augment = bool(config.get("augment", False))
    pad_to = config.get("pad_to")
    if name == "mnist":
        if path is None:
            train_raw = datasets.MNISTSample(train=True)
            test_raw = datasets.MNISTSample(train=False)
            where = "the embedded MNIST sample (5,000 digits, fixed stratified split)"
        else:
            with user_file(f"--data {path}"):
                train_raw, test_raw = datasets.MNIST(path, train=True), datasets.MNIST(path, train=False)
            where = f"MNIST from {path}"
        mean, std = MNIST_MEAN, MNIST_STD
    elif name == "fashion-mnist":
        try:
            train_raw = datasets.FashionMNIST(path, train=True)
            test_raw = datasets.FashionMNIST(path, train=False)
        except (FileNotFoundError, RuntimeError, ValueError) as exc:
            raise RecipeError(f"Fashion-MNIST: {exc}. Pass --data FOLDER with its IDX "
                              "files, or `apt-get install dataset-fashion-mnist`") from None
        where = f"Fashion-MNIST from {path or '/usr/share/datasets/fashion-mnist'}"
        mean, std = FASHION_MEAN, FASHION_STD
    elif name == "cifar10":
        if path is None:
            raise RecipeError("this recipe trains on CIFAR-10, which does not ship with graphgrad: "
                              "pass --data FOLDER holding cifar-10-batches-bin (the binary version "
                              "from https://www.cs.toronto.edu/~kriz/cifar.html)")
        try:
            train_raw = datasets.CIFAR10(path, train=True)
            test_raw = datasets.CIFAR10(path, train=False)
        except (FileNotFoundError, RuntimeError, ValueError) as exc:
            raise RecipeError(f"CIFAR-10: {exc}") from None
        where = f"CIFAR-10 from {path}"
        mean, std = CIFAR_MEAN, CIFAR_STD
    else:
        raise RecipeError(f"unknown dataset {name!r}; expected mnist, fashion-mnist or cifar10")
    if path is not None and not os.path.exists(path):
        raise RecipeError(f"--data {path}: no such file or folder")
    train_tf, eval_tf = _transforms(mean, std, augment, pad_to, cifar=name == "cifar10",
                                    erasing=float(config.get("erasing", 0.0)))
    train_part, val_part = _split(train_raw, float(config.get("val_fraction", 0.1)), config["seed"])
    train = _Transformed(train_part, train_tf)
    val = _Transformed(val_part, eval_tf) if val_part is not None else None
    test = _Transformed(test_raw, eval_tf)
    image, _ = test[0]
    desc = (f"{where}: {len(train)} training, {len(val) if val else 0} validation, "
            f"{len(test)} test images")
    return VisionData(train, val, test, list(train_raw.classes), tuple(image.shape), desc)


# ------------------------------------------------------------------ as arrays
def dataset_arrays(dataset, limit: int | None = None):
    """``(x (N, C, H, W) float32, y (N,) int64)`` from a dataset of (image tensor, label); with
    ``limit``, a fixed random subset of that size (test sets may be sorted by class)."""
    index = np.arange(len(dataset))
    if limit is not None and int(limit) < len(dataset):
        index = np.sort(np.random.default_rng(0).permutation(len(dataset))[:int(limit)])
    items = [dataset[int(i)] for i in index]
    x = np.stack([np.asarray(it[0].numpy() if hasattr(it[0], "numpy") else it[0]) for it in items])
    y = np.array([int(it[1]) for it in items], dtype=np.int64)
    return x.astype(np.float32), y


def vision_arrays(config: dict) -> dict:
    """Train/val/test arrays of the recipe's data (normalised), cut to ``train_limit``/
    ``test_limit`` images when those settings are given (tiny runs for tests)."""
    data = load_vision_data({**DATA, **{k: config[k] for k in DATA if k in config}})
    description = data.description
    if config.get("train_limit") or config.get("test_limit"):
        description += (f" (cut to {config.get('train_limit') or 'all'} training and "
                        f"{config.get('test_limit') or 'all'} validation/test images)")
    out = {"classes": data.classes, "description": description, "input_size": data.input_size}
    out["x_train"], out["y_train"] = dataset_arrays(data.train, config.get("train_limit"))
    if data.val is not None:
        out["x_val"], out["y_val"] = dataset_arrays(data.val, config.get("test_limit"))
    else:
        out["x_val"], out["y_val"] = out["x_train"][:0], out["y_train"][:0]
    out["x_test"], out["y_test"] = dataset_arrays(data.test, config.get("test_limit"))
    return out


def tensor_dataset(x, y) -> TensorDataset:
    return TensorDataset(tensor(x), tensor(y))


def pixel_bounds(mean=MNIST_MEAN, std=MNIST_STD) -> tuple:
    """The normalised values of pixels 0 and 1: the valid input range of an attack."""
    return (0.0 - mean[0]) / std[0], (1.0 - mean[0]) / std[0]
