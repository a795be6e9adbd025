"""CIFAR10 from generated binary batches."""
import os
import sys

import numpy as np
import pytest

from graphgrad.vision.datasets import CIFAR10

sys.path.insert(0, os.path.dirname(__file__))
from vision_files import cifar_bytes  # noqa: E402


def _write(root, n=4, seed=0):
    folder = root / "cifar-10-batches-bin"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    out = {}
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        images = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
        labels = rng.integers(0, 10, n)
        (folder / name).write_bytes(cifar_bytes(images, labels))
        out[name] = (images, labels)
    return out


def test_reads_hwc_images_and_default_classes(tmp_path):
    ref = _write(tmp_path)
    train = CIFAR10(str(tmp_path))
    assert len(train) == 20 and train.data.shape == (20, 32, 32, 3)
    img, target = train[5]  # second record of data_batch_2
    assert np.array_equal(img, ref["data_batch_2.bin"][0][1])
    assert target == ref["data_batch_2.bin"][1][1]
    assert train.classes[0] == "airplane" and train.class_to_idx["truck"] == 9
    assert isinstance(train.targets, list)


def test_missing_truncated_and_bad_label(tmp_path):
    with pytest.raises(FileNotFoundError, match="data_batch_1.bin.*download=True"):
        CIFAR10(str(tmp_path))
    _write(tmp_path)
    path = tmp_path / "cifar-10-batches-bin" / "test_batch.bin"
    raw = path.read_bytes()
    path.write_bytes(raw[:-10])
    with pytest.raises(ValueError, match="truncated or corrupt.*3073-byte"):
        CIFAR10(str(tmp_path), train=False)
    bad = bytearray(raw)
    bad[0] = 42
    path.write_bytes(bytes(bad))
    with pytest.raises(ValueError, match="label 42 out of range"):
        CIFAR10(str(tmp_path), train=False)
