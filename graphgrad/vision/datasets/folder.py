"""Datasets laid out as one sub-folder per class: ``DatasetFolder`` and ``ImageFolder``."""
from __future__ import annotations

import os

from ...utils.data import Dataset

__all__ = ["DatasetFolder", "ImageFolder", "IMG_EXTENSIONS", "pil_loader", "default_loader",
           "find_classes", "make_dataset"]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def find_classes(directory: str):
    """Sorted class names (the sub-folders of ``directory``) and their indices."""
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"dataset folder {directory} does not exist; expected one "
                                "sub-folder per class, each holding that class's files")
    classes = sorted(e.name for e in os.scandir(directory) if e.is_dir())
    if not classes:
        raise FileNotFoundError(f"couldn't find any class folder in {directory}; expected one "
                                "sub-folder per class (e.g. root/cat/1.png, root/dog/2.png)")
    return classes, {c: i for i, c in enumerate(classes)}


def make_dataset(directory, class_to_idx, extensions=None, is_valid_file=None,
                 allow_empty: bool = False):
    """``(path, class_index)`` for every valid file, classes in order, files sorted by path."""
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("make_dataset: give exactly one of extensions and is_valid_file")
    if extensions is not None:
        exts = tuple(e.lower() for e in extensions)

        def is_valid_file(path):
            return path.lower().endswith(exts)
    samples, empty = [], []
    for cls in sorted(class_to_idx):
        root = os.path.join(directory, cls)
        found = 0
        for dirpath, _, files in sorted(os.walk(root, followlinks=True)):
            for name in sorted(files):
                path = os.path.join(dirpath, name)
                if is_valid_file(path):
                    samples.append((path, class_to_idx[cls]))
                    found += 1
        if not found:
            empty.append(cls)
    if empty and not allow_empty:
        msg = f"Found no valid file for the classes {', '.join(empty)} in {directory}."
        if extensions is not None:
            msg += f" Supported extensions are: {', '.join(extensions)}"
        raise FileNotFoundError(msg)
    return samples


class DatasetFolder(Dataset):
    """Samples from ``root/<class>/**/<file>``: ``(loader(path), class_index)``.

    Attributes as torchvision's: ``classes``, ``class_to_idx``, ``samples``, ``targets``."""

    def __init__(self, root: str, loader, extensions=None, transform=None, target_transform=None,
                 is_valid_file=None, allow_empty: bool = False):
        self.root = os.fspath(root)
        self.loader = loader
        self.extensions = extensions
        self.transform = transform
        self.target_transform = target_transform
        self.classes, self.class_to_idx = self.find_classes(self.root)
        self.samples = make_dataset(self.root, self.class_to_idx, extensions, is_valid_file,
                                    allow_empty)
        self.targets = [s[1] for s in self.samples]

    def find_classes(self, directory):
        return find_classes(directory)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index):
        path, target = self.samples[index]
        sample = self.loader(path)
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target


def pil_loader(path: str):
    """Open an image file with Pillow and convert it to RGB (as torchvision's loader does)."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError as exc:  # pragma: no cover - Pillow is a dependency
        raise ImportError("ImageFolder needs Pillow to read images: pip install Pillow") from exc
    try:
        with open(path, "rb") as f:
            img = Image.open(f)
            return img.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError(f"{path}: cannot read the image ({exc}); the file is corrupt or not an "
                         "image") from exc


default_loader = pil_loader


class ImageFolder(DatasetFolder):
    """Images in ``root/<class>/<file>.{png,jpg,...}``, loaded as RGB Pillow images.

    ``transforms.ToTensor()`` (or any transform here) accepts what the loader returns."""

    def __init__(self, root: str, transform=None, target_transform=None, loader=default_loader,
                 is_valid_file=None, allow_empty: bool = False):
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None,
                         transform=transform, target_transform=target_transform,
                         is_valid_file=is_valid_file, allow_empty=allow_empty)
        self.imgs = self.samples
