"""download=True against an HTTP server on 127.0.0.1: MD5 checks, atomic writes, dropped links."""
import gzip
import hashlib
import io
import os
import sys
import tarfile

import numpy as np
import pytest

from graphgrad.vision.datasets import CIFAR10, MNIST
from graphgrad.vision.datasets._download import atomic_write, download_url

sys.path.insert(0, os.path.dirname(__file__))
from vision_files import cifar_bytes, idx_bytes  # noqa: E402


def _md5(b):
    return hashlib.md5(b).hexdigest()


def _mnist_payload():
    rng = np.random.default_rng(1)
    files, arrays = {}, {}
    for prefix, n in (("train", 6), ("t10k", 4)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        files[f"{prefix}-images-idx3-ubyte.gz"] = gzip.compress(idx_bytes(images))
        files[f"{prefix}-labels-idx1-ubyte.gz"] = gzip.compress(idx_bytes(labels))
        arrays[prefix] = (images, labels)
    return files, arrays


def _leftovers(folder):
    return [n for n in os.listdir(folder) if n.endswith(".part")] if os.path.isdir(folder) else []


def test_mnist_download_verifies_and_loads(tmp_path, http_server):
    base, served = http_server
    files, arrays = _mnist_payload()
    for name, body in files.items():
        served["/mnist/" + name] = body

    class LocalMNIST(MNIST):
        mirrors = [base + "/missing/", base + "/mnist/"]  # the first mirror fails: 404
        resources = [(n, _md5(b)) for n, b in files.items()]

    ds = LocalMNIST(str(tmp_path), train=True, download=True)
    assert np.array_equal(ds.data.numpy(), arrays["train"][0])
    raw = tmp_path / "LocalMNIST" / "raw"
    assert sorted(os.listdir(raw)) == sorted(files)
    # a second call finds intact files and does not download again
    served.clear()
    assert len(LocalMNIST(str(tmp_path), train=False, download=True)) == 4


def test_checksum_mismatch_keeps_nothing(tmp_path, http_server):
    base, served = http_server
    files, _ = _mnist_payload()
    for name, body in files.items():
        served["/mnist/" + name] = body

    class BadMNIST(MNIST):
        mirrors = [base + "/mnist/"]
        resources = [(n, "0" * 32) for n in files]

    with pytest.raises(RuntimeError, match=r"checksum mismatch.*expected MD5 0{32}, got [0-9a-f]{32}"):
        BadMNIST(str(tmp_path), download=True)
    raw = tmp_path / "BadMNIST" / "raw"
    assert not raw.exists() or os.listdir(raw) == []


def test_dropped_connection_leaves_nothing(tmp_path, http_server):
    base, served = http_server
    body = os.urandom(50000)
    served["/drop/file.bin"] = body
    with pytest.raises(RuntimeError, match=r"interrupted after \d+ (bytes|of 50000)"):
        download_url(base + "/drop/file.bin", str(tmp_path), md5=_md5(body), timeout=10)
    assert os.listdir(tmp_path) == []


def test_unreachable_and_404(tmp_path, http_server):
    base, _ = http_server
    with pytest.raises(RuntimeError, match="could not download .*404"):
        download_url(base + "/nothing.gz", str(tmp_path))
    assert os.listdir(tmp_path) == []


def test_existing_bad_file_is_replaced(tmp_path, http_server):
    base, served = http_server
    served["/f.bin"] = b"good bytes"
    (tmp_path / "f.bin").write_bytes(b"stale")
    download_url(base + "/f.bin", str(tmp_path), md5=_md5(b"good bytes"))
    assert (tmp_path / "f.bin").read_bytes() == b"good bytes"


def test_atomic_write_failure_keeps_old_file(tmp_path):
    target = tmp_path / "x.txt"
    target.write_text("old")
    with pytest.raises(ZeroDivisionError):
        with atomic_write(str(target), "w") as f:
            f.write("new, half")
            1 / 0
    assert target.read_text() == "old" and _leftovers(tmp_path) == []


def _cifar_archive(rng):
    buf = io.BytesIO()
    arrays = {}
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
        for name in names:
            images = rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
            labels = rng.integers(0, 10, 3)
            arrays[name] = (images, labels)
            data = cifar_bytes(images, labels)
            info = tarfile.TarInfo("cifar-10-batches-bin/" + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        meta = "\n".join(f"class{i}" for i in range(10)).encode() + b"\n\n"
        info = tarfile.TarInfo("cifar-10-batches-bin/batches.meta.txt")
        info.size = len(meta)
        tar.addfile(info, io.BytesIO(meta))
    return buf.getvalue(), arrays


def test_cifar_download_and_extract(tmp_path, http_server):
    base, served = http_server
    archive, arrays = _cifar_archive(np.random.default_rng(0))
    served["/cifar-10-binary.tar.gz"] = archive

    class LocalCIFAR(CIFAR10):
        url = base + "/cifar-10-binary.tar.gz"
        tgz_md5 = _md5(archive)

    ds = LocalCIFAR(str(tmp_path), train=False, download=True)
    assert len(ds) == 3 and ds.classes[0] == "class0"
    img, target = ds[1]
    assert img.shape == (32, 32, 3) and np.array_equal(img, arrays["test_batch.bin"][0][1])
    assert target == arrays["test_batch.bin"][1][1]
    assert len(LocalCIFAR(str(tmp_path), train=True)) == 15
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".")]


def test_cifar_corrupt_archive(tmp_path, http_server):
    base, served = http_server
    archive, _ = _cifar_archive(np.random.default_rng(0))
    broken = archive[: len(archive) // 2]
    served["/c.tar.gz"] = broken

    class BrokenCIFAR(CIFAR10):
        url = base + "/c.tar.gz"
        tgz_md5 = _md5(broken)

    with pytest.raises(ValueError, match="not a valid tar archive"):
        BrokenCIFAR(str(tmp_path), download=True)
    assert not (tmp_path / "cifar-10-batches-bin").exists()
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".")]


def test_mnist_unreachable_says_where_to_copy_the_files(tmp_path, http_server):
    """download=True with no file to be had (offline, here a server that has none): the error
    names the failure and the folder where copied files are found."""
    base, _ = http_server

    class OfflineMNIST(MNIST):
        mirrors = [base + "/absent/"]

    with pytest.raises(RuntimeError, match=r"(?s)could not download .*copy the files "
                       r"train-images-idx3-ubyte.gz.*OfflineMNIST/raw"):
        OfflineMNIST(str(tmp_path), download=True)
    (tmp_path / "OfflineMNIST" / "raw").mkdir(parents=True, exist_ok=True)
    files, _ = _mnist_payload()
    for name, body in files.items():
        (tmp_path / "OfflineMNIST" / "raw" / name).write_bytes(body)
    assert len(OfflineMNIST(str(tmp_path), train=True, download=True)) > 0  # files copied by hand
