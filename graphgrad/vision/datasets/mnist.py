"""MNIST and Fashion-MNIST from their IDX files (``.gz`` or raw), with optional download."""
from __future__ import annotations

import os
import struct

import numpy as np

from ...autograd.tensor import Tensor
from ...utils.data import Dataset
from ._download import download_from_mirrors, read_maybe_gzip

__all__ = ["MNIST", "FashionMNIST", "read_idx"]

# IDX type byte -> big-endian NumPy dtype
_IDX_TYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}

_cache: dict = {}


def read_idx(path: str, ndim: int | None = None) -> np.ndarray:
    """Read an IDX file (the format of MNIST), optionally gzipped, into an array.

    ``ndim`` (3 for images, 1 for labels) is checked against the magic number. Raises
    ``ValueError`` naming the file for a wrong magic number, a truncated file, trailing bytes or a
    corrupt ``.gz``. Parsed arrays are cached in memory by path, size and modification time."""
    st = os.stat(path)
    key = (os.path.realpath(path), st.st_size, st.st_mtime_ns)
    if key in _cache:
        return _cache[key]
    raw = read_maybe_gzip(path)
    if len(raw) < 4:
        raise ValueError(f"{path}: file is truncated: {len(raw)} bytes, too short for an IDX header")
    code, nd = raw[2], raw[3]
    want = f"0x00000{8:x}{ndim:02x}" if ndim is not None else "0x0000TTNN"
    if raw[:2] != b"\x00\x00" or code not in _IDX_TYPES or (ndim is not None and nd != ndim):
        raise ValueError(f"{path}: wrong magic number 0x{raw[:4].hex()}: not an IDX file of "
                         f"{ndim if ndim is not None else 'any'} dimension(s) (expected {want})")
    header = 4 + 4 * nd
    if len(raw) < header:
        raise ValueError(f"{path}: file is truncated inside its header ({len(raw)} bytes)")
    dims = struct.unpack(f">{nd}I", raw[4:header])
    dtype = _IDX_TYPES[code]
    need = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    have = len(raw) - header
    if have < need:
        raise ValueError(f"{path}: file is truncated: its header says shape {dims} "
                         f"({need} bytes of data) but only {have} bytes follow; download it again")
    if have > need:
        raise ValueError(f"{path}: {have - need} unexpected bytes after the {need} bytes of data "
                         f"of shape {dims}; the file is corrupt")
    array = np.frombuffer(raw, dtype=dtype, count=need // dtype.itemsize, offset=header)
    array = array.astype(dtype.newbyteorder("="), copy=False).reshape(dims)
    if len(_cache) > 16:
        _cache.clear()
    _cache[key] = array
    return array


class MNIST(Dataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28 uint8.

    Looks for the four standard files (``train-images-idx3-ubyte`` etc., raw or ``.gz``) in
    ``root``, ``root/MNIST/raw`` and ``root/MNIST``. ``download=True`` fetches missing files into
    ``root/MNIST/raw`` and verifies their MD5. ``dataset[i]`` is ``(image, target)``: a (28, 28)
    uint8 array (``transforms.ToTensor()`` makes it a (1, 28, 28) float tensor) and an int.
    ``data`` (N, 28, 28) uint8 and ``targets`` (N,) int64 are tensors, as in torchvision.

    For data that needs no files at all, see ``MNISTSample``.
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/"]
    resources = [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                 ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                 ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                 ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]
    default_roots: tuple = ()
    how_to_get = "pass download=True, or use graphgrad.vision.datasets.MNISTSample (no files needed)"

    def __init__(self, root: str | None = None, train: bool = True, transform=None,
                 target_transform=None, download: bool = False):
        self.root = root
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        prefix = "train" if train else "t10k"
        names = (f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte")
        paths = self._find(names)
        if paths is None and download:
            if root is None:
                raise ValueError(f"{type(self).__name__}: download=True needs a root folder")
            self.download()
            paths = self._find(names)
        if paths is None:
            raise FileNotFoundError(self._missing_message(names))
        images = read_idx(paths[0], ndim=3)
        labels = read_idx(paths[1], ndim=1)
        if len(images) != len(labels):
            raise ValueError(f"{type(self).__name__}: {paths[0]} has {len(images)} images but "
                             f"{paths[1]} has {len(labels)} labels")
        self._images = images
        self._labels = labels.astype(np.int64)
        self.data = Tensor._make(self._images)
        self.targets = Tensor._make(self._labels)

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    def _folders(self) -> list[str]:
        folders = []
        if self.root is not None:
            name = type(self).__name__
            folders += [self.root, os.path.join(self.root, name, "raw"),
                        os.path.join(self.root, name)]
        else:
            folders += list(self.default_roots)
        return folders

    def _find(self, names):
        found = []
        for name in names:
            for folder in self._folders():
                hit = next((os.path.join(folder, name + ext) for ext in (".gz", "")
                            if os.path.isfile(os.path.join(folder, name + ext))), None)
                if hit:
                    found.append(hit)
                    break
            else:
                return None
        return found

    def _missing_message(self, names) -> str:
        cls = type(self).__name__
        where = ", ".join(self._folders()) or "(no root given and no default folder)"
        return (f"{cls}: dataset files not found. Looked for {' and '.join(n + '[.gz]' for n in names)}"
                f" in: {where}. To get them, {self.how_to_get}; the files are "
                + ", ".join(f for f, _ in self.resources) + f" from {self.mirrors[0]}")

    def download(self) -> None:
        """Fetch the four files into ``root/<Name>/raw`` (skipping those already there and
        intact), verifying each MD5."""
        for filename, md5 in self.resources:
            try:
                download_from_mirrors(self.mirrors, self.raw_folder, filename, md5)
            except RuntimeError as err:
                # offline: say where files copied by hand are found (raw or .gz)
                raise RuntimeError(
                    f"{type(self).__name__}: {err}\nWithout a network, copy the files "
                    + ", ".join(f for f, _ in self.resources)
                    + f" (gzipped or not) into {self.raw_folder} or {self.root}") from err

    def __len__(self) -> int:
        return len(self._labels)

    def __getitem__(self, index):
        img, target = self._images[index], int(self._labels[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    @property
    def class_to_idx(self) -> dict:
        return {c: i for i, c in enumerate(self.classes)}

    def __repr__(self) -> str:
        split = "Train" if self.train else "Test"
        return f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n    " \
               f"Split: {split}"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: the MNIST format with 10 kinds of clothing.

    With no ``root``, looks in ``/usr/share/datasets/fashion-mnist`` (where Debian's
    ``dataset-fashion-mnist`` package puts the files)."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                 ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                 ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                 ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
    default_roots = ("/usr/share/datasets/fashion-mnist",)
    how_to_get = "pass download=True, or install Debian's package (apt-get install dataset-fashion-mnist)"
