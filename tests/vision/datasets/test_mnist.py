"""MNIST / FashionMNIST on generated IDX files (and on ../shared/data/mnist when present)."""
import gzip
import os
import sys

import numpy as np
import pytest

import graphgrad
from graphgrad.vision.datasets import MNIST, FashionMNIST, read_idx
from graphgrad.vision import transforms as T

sys.path.insert(0, os.path.dirname(__file__))
from vision_files import idx_bytes, make_mnist  # noqa: E402

SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "shared", "data", "mnist")


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("layout", ["flat", "torchvision"])
def test_reads_generated_files(tmp_path, gz, layout):
    folder = tmp_path if layout == "flat" else tmp_path / "MNIST" / "raw"
    ref = make_mnist(folder, gz=gz)
    for train, key in ((True, "train"), (False, "t10k")):
        ds = MNIST(str(tmp_path), train=train)
        images, labels = ref[key]
        assert len(ds) == len(labels)
        img, target = ds[3]
        assert img.shape == (28, 28) and img.dtype == np.uint8
        assert np.array_equal(img, images[3]) and target == labels[3]
        assert isinstance(target, int)
        assert ds.data.shape == (len(labels), 28, 28) and ds.data.dtype == graphgrad.uint8
        assert ds.targets.dtype == graphgrad.int64
        assert ds.targets.tolist() == labels.tolist()
    assert ds.classes[0] == "0 - zero"


def test_transforms_applied(tmp_path):
    make_mnist(tmp_path)
    ds = MNIST(str(tmp_path), transform=T.ToTensor(), target_transform=lambda y: y + 100)
    x, y = ds[0]
    assert x.shape == (1, 28, 28) and x.dtype == graphgrad.float32 and y >= 100


def test_missing_folder_names_files_and_how(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        MNIST(str(tmp_path / "nowhere"))
    msg = str(info.value)
    assert "train-images-idx3-ubyte" in msg and "train-labels-idx1-ubyte" in msg
    assert "download=True" in msg and "MNISTSample" in msg
    with pytest.raises(FileNotFoundError, match="dataset-fashion-mnist"):
        FashionMNIST(str(tmp_path / "nowhere"))


def test_fashion_default_root_is_debian_folder():
    assert FashionMNIST.default_roots == ("/usr/share/datasets/fashion-mnist",)
    if not os.path.isdir(FashionMNIST.default_roots[0]):
        with pytest.raises(FileNotFoundError, match="/usr/share/datasets/fashion-mnist"):
            FashionMNIST()


def test_wrong_magic_number(tmp_path):
    make_mnist(tmp_path, gz=False)
    path = tmp_path / "train-images-idx3-ubyte"
    raw = bytearray(path.read_bytes())
    raw[3] = 1  # says 1-D: a label file
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"wrong magic number 0x00000801.*expected 0x00000803"):
        MNIST(str(tmp_path))


def test_truncated_file(tmp_path):
    make_mnist(tmp_path, gz=False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError, match=r"truncated.*\(12, 28, 28\)"):
        MNIST(str(tmp_path))


def test_corrupt_gz(tmp_path):
    make_mnist(tmp_path, gz=True)
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a valid gzip file"):
        MNIST(str(tmp_path))
    path.write_bytes(b"this is not gzip at all")
    with pytest.raises(ValueError, match="not a valid gzip file"):
        MNIST(str(tmp_path))


def test_count_mismatch(tmp_path):
    make_mnist(tmp_path, gz=False)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(3, np.uint8)))
    with pytest.raises(ValueError, match="12 images but .* 3 labels"):
        MNIST(str(tmp_path))


def test_read_idx_generic(tmp_path):
    p = tmp_path / "x.idx"
    p.write_bytes(gzip.compress(idx_bytes(np.arange(6, dtype=np.uint8).reshape(2, 3))))
    p.rename(tmp_path / "x.idx.gz")
    assert read_idx(str(tmp_path / "x.idx.gz")).tolist() == [[0, 1, 2], [3, 4, 5]]


@pytest.mark.skipif(not os.path.isdir(SHARED), reason="../shared/data/mnist not present")
def test_real_mnist_from_shared():
    train = MNIST(SHARED, train=True)
    test = MNIST(SHARED, train=False)
    assert len(train) == 60000 and len(test) == 10000
    assert np.bincount(train.targets.numpy()).min() > 5000
    img, _ = train[0]
    assert img.max() == 255 and img.min() == 0
