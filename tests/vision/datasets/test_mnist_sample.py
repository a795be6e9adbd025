"""The embedded 5,000-digit MNIST sample: the shipped file, its split, and its provenance."""
import hashlib
import importlib.util
import os

import numpy as np
import pytest

import graphgrad
from graphgrad.vision.datasets import MNISTSample, mnist_sample_path, read_idx
from graphgrad.vision.datasets.mnist_sample import load_mnist_sample, split_indices

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
IDX = os.path.join(ROOT, "..", "shared", "data", "mnist")
needs_idx = pytest.mark.skipif(not os.path.isdir(IDX),
                               reason="../shared/data/mnist (the IDX files) not present")
# Change only together with tools/mnist_sample_rows.txt (and re-measure the recipes' figures).
SHA256 = "0111cd16393ebfc5bc47f1aab572cb64bf003af3a9d9673b5a0810763f9356a4"


def _build_tool():
    spec = importlib.util.spec_from_file_location("build_mnist_sample",
                                                  os.path.join(ROOT, "tools", "build_mnist_sample.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_file_checksum_and_contents():
    path = mnist_sample_path()
    assert path.startswith(os.path.dirname(graphgrad.__file__))  # inside the package
    with open(path, "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == SHA256
    with np.load(path, allow_pickle=False) as npz:
        assert sorted(npz.files) == ["idx_rows", "images", "labels"]
        assert npz["images"].shape == (5000, 28, 28) and npz["images"].dtype == np.uint8
        rows = npz["idx_rows"]
    assert len(np.unique(rows)) == 5000 and rows.max() < 60000
    assert np.array_equal(rows, np.loadtxt(os.path.join(ROOT, "tools", "mnist_sample_rows.txt")))
    images, labels = load_mnist_sample()
    assert labels.dtype == np.int64 and np.bincount(labels).tolist() == [500] * 10
    assert images.max() == 255 and images.min() == 0


def test_split_is_stratified_and_fixed():
    train, test = MNISTSample(train=True), MNISTSample(train=False)
    assert len(train) == 4000 and len(test) == 1000
    assert np.bincount(train.targets.numpy()).tolist() == [400] * 10
    assert np.bincount(test.targets.numpy()).tolist() == [100] * 10
    img, target = train[0]
    assert img.shape == (28, 28) and img.dtype == np.uint8 and isinstance(target, int)
    assert train.data.dtype == graphgrad.uint8 and img.max() > 100
    images, labels = load_mnist_sample()
    # no image is in both sets, and together they are the whole file
    tr, te = split_indices(labels, True), split_indices(labels, False)
    assert len(np.intersect1d(tr, te)) == 0 and len(tr) + len(te) == 5000
    # the rule: the first 400 rows of each digit, in file order
    first_zero_rows = np.flatnonzero(labels == 0)[:400]
    assert np.array_equal(np.flatnonzero(labels[tr] == 0), np.searchsorted(tr, first_zero_rows))


@needs_idx
def test_matches_the_idx_training_set():
    images, labels = load_mnist_sample()
    with np.load(mnist_sample_path(), allow_pickle=False) as npz:
        rows = npz["idx_rows"].astype(np.int64)
    idx_images = read_idx(os.path.join(IDX, "train-images-idx3-ubyte.gz"), 3)
    idx_labels = read_idx(os.path.join(IDX, "train-labels-idx1-ubyte.gz"), 1)
    assert np.array_equal(images, idx_images[rows]) and np.array_equal(labels, idx_labels[rows])


@needs_idx
def test_tool_rebuilds_the_same_file(tmp_path):
    tool = _build_tool()
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    tool.build(IDX, str(first))
    tool.build(IDX, str(second))
    assert first.read_bytes() == second.read_bytes()  # deterministic: no timestamps in the zip
    with np.load(first, allow_pickle=False) as new, np.load(mnist_sample_path(), allow_pickle=False) as old:
        for name in ("images", "labels", "idx_rows"):
            assert new[name].dtype == old[name].dtype and np.array_equal(new[name], old[name])


def test_tool_matches_csv_rows_by_pixels(tmp_path):
    tool = _build_tool()
    images = np.arange(4 * 784, dtype=np.int64).reshape(4, 28, 28).astype(np.uint8)
    images[:, 0, 0] = np.arange(4)  # four distinct images
    labels = np.array([3, 1, 4, 1], dtype=np.uint8)
    csv = tmp_path / "s.csv"
    pick = [2, 0]
    csv.write_text("".join(",".join(map(str, images[i].reshape(-1).tolist() + [labels[i]])) + "\n"
                           for i in pick))
    assert tool.match_rows(str(csv), images, labels).tolist() == pick
    labels[2] = 9
    with pytest.raises(ValueError, match="row 1 is not an image of the IDX training set"):
        tool.match_rows(str(csv), images, labels)
