"""Inputs that pytorch/examples' programs would download, made from local files instead: a subset
of MNIST's IDX files, a small word corpus cut from the checkout's WikiText-2 files, and a stand-in
for the BSDS300 image folder. The same files are given to PyTorch and to graphgrad."""
from __future__ import annotations

import gzip
import os
import struct

import numpy as np

MNIST_FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
               "t10k": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}


def _read_idx(path: str) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _write_idx(path: str, array: np.ndarray) -> None:
    """Uncompressed, as torchvision leaves them after extracting (and looks for them)."""
    header = b"\x00\x00\x08" + bytes([array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    with open(path, "wb") as f:
        f.write(header + np.ascontiguousarray(array, np.uint8).tobytes())


def write_mnist_subset(source: str, root: str, n_train: int, n_test: int) -> str:
    """Write the first ``n_train``/``n_test`` MNIST images and labels as raw IDX files under
    ``root/MNIST/raw`` (where torchvision's and graphgrad's ``MNIST(root)`` look). Returns root."""
    raw = os.path.join(root, "MNIST", "raw")
    os.makedirs(raw, exist_ok=True)
    for split, n in (("train", n_train), ("t10k", n_test)):
        for name in MNIST_FILES[split]:
            _write_idx(os.path.join(raw, name[:-len(".gz")]), _read_idx(os.path.join(source, name))[:n])
    return root


def write_word_corpus(wikitext: str, dest: str, n_train: int, n_eval: int) -> str:
    """A small corpus in word_language_model's layout (train/valid/test.txt). The snapshot of
    pytorch/examples may lack the large ``train.txt``, so all three are cut from its
    ``valid.txt`` and ``test.txt``: train = the first ``n_train`` lines of valid.txt, valid and
    test = consecutive ``n_eval``-line pieces of test.txt."""
    os.makedirs(dest, exist_ok=True)
    with open(os.path.join(wikitext, "valid.txt"), encoding="utf8") as f:
        valid = f.readlines()
    with open(os.path.join(wikitext, "test.txt"), encoding="utf8") as f:
        test = f.readlines()
    pieces = {"train.txt": valid[:n_train], "valid.txt": test[:n_eval],
              "test.txt": test[n_eval:2 * n_eval]}
    for name, lines in pieces.items():
        with open(os.path.join(dest, name), "w", encoding="utf8") as f:
            f.writelines(lines)
    return dest


def write_image_folder(images: list, dest: str, n_test: int, size: int) -> str:
    """A stand-in for super_resolution's BSDS300 download: ``dest/BSDS300/images/{train,test}``
    with the given images centre-cropped to squares and resized to ``size`` pixels, the last
    ``n_test`` in test."""
    from PIL import Image

    root = os.path.join(dest, "BSDS300", "images")
    for i, path in enumerate(sorted(images)):
        split = "test" if i >= len(images) - n_test else "train"
        os.makedirs(os.path.join(root, split), exist_ok=True)
        img = Image.open(path).convert("RGB")
        side = min(img.size)
        left, top = (img.size[0] - side) // 2, (img.size[1] - side) // 2
        img = img.crop((left, top, left + side, top + side)).resize((size, size), Image.BICUBIC)
        img.save(os.path.join(root, split, os.path.splitext(os.path.basename(path))[0] + ".png"))
    return root


def write_small_image(path: str, dest: str, size: int) -> str:
    """``path`` resized to ``size`` x ``size`` (fast_neural_style's own ``--content-scale`` uses
    ``Image.ANTIALIAS``, which Pillow 10 removed, so the runner scales the image instead)."""
    from PIL import Image

    Image.open(path).convert("RGB").resize((size, size), Image.BICUBIC).save(dest)
    return dest
