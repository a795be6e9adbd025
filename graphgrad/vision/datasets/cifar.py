"""CIFAR-10 from the official binary version (``cifar-10-batches-bin``; no pickle is ever read)."""
from __future__ import annotations

import os

import numpy as np

from ...utils.data import Dataset
from ._download import download_url, extract_tar

__all__ = ["CIFAR10"]

_RECORD = 1 + 32 * 32 * 3  # label byte, then 1024 red, 1024 green, 1024 blue bytes


def read_cifar_binary(path: str):
    """Images (N, 32, 32, 3) uint8 HWC and labels (N,) int64 from one ``*.bin`` batch file."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) == 0 or len(raw) % _RECORD:
        raise ValueError(f"{path}: file is truncated or corrupt: {len(raw)} bytes is not a whole "
                         f"number of {_RECORD}-byte CIFAR-10 records; download it again")
    records = np.frombuffer(raw, dtype=np.uint8).reshape(-1, _RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() > 9:
        raise ValueError(f"{path}: label {int(labels.max())} out of range 0..9; not a CIFAR-10 "
                         "binary batch (CIFAR-100 has two label bytes per record)")
    images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


class CIFAR10(Dataset):
    """CIFAR-10: 50,000 training and 10,000 test colour images, 32x32, in 10 classes.

    Reads ``root/cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin``. ``download=True`` fetches
    ``cifar-10-binary.tar.gz``, checks its MD5 and extracts the folder atomically. ``dataset[i]``
    is ``(image (32, 32, 3) uint8 HWC array, int target)``; ``data`` is the (N, 32, 32, 3) array
    and ``targets`` a list, as in torchvision."""

    base_folder = "cifar-10-batches-bin"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
    filename = "cifar-10-binary.tar.gz"
    tgz_md5 = "c32a1d4ab5d03f1284b67883e8d87530"
    train_list = [f"data_batch_{i}.bin" for i in range(1, 6)]
    test_list = ["test_batch.bin"]
    meta_file = "batches.meta.txt"
    default_classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                       "ship", "truck"]

    def __init__(self, root: str, train: bool = True, transform=None, target_transform=None,
                 download: bool = False):
        self.root = root
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        folder = os.path.join(root, self.base_folder)
        names = self.train_list if train else self.test_list
        if download and not all(os.path.isfile(os.path.join(folder, n)) for n in names):
            self.download()
        missing = [n for n in names if not os.path.isfile(os.path.join(folder, n))]
        if missing:
            raise FileNotFoundError(
                f"CIFAR10: dataset files not found: looked for {', '.join(missing)} in {folder}. "
                f"To get them, pass download=True, or download {self.url} and extract it in "
                f"{root}")
        parts = [read_cifar_binary(os.path.join(folder, n)) for n in names]
        self.data = np.concatenate([p[0] for p in parts])
        self._labels = np.concatenate([p[1] for p in parts])
        self.targets = self._labels.tolist()
        meta = os.path.join(folder, self.meta_file)
        self.classes = list(self.default_classes)
        if os.path.isfile(meta):
            with open(meta, encoding="utf-8") as f:
                names = [line.strip() for line in f if line.strip()]
            if len(names) == 10:
                self.classes = names
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def download(self) -> None:
        archive = download_url(self.url, self.root, self.filename, self.tgz_md5)
        extract_tar(archive, self.root, self.base_folder)

    def __len__(self) -> int:
        return len(self._labels)

    def __getitem__(self, index):
        img, target = self.data[index], int(self._labels[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target
