"""``FakeData``: torchvision's dataset of random images, for trying a pipeline without data."""
from __future__ import annotations

import numpy as np

from ...utils.data import Dataset


class FakeData(Dataset):
    """``FakeData(size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
    target_transform=None, random_offset=0)``: item ``i`` is a Pillow image of standard-normal
    noise (converted as ``ToPILImage`` converts floats) and an int class, both drawn from a
    generator seeded with ``i + random_offset``, so an item is the same every time it is read
    (the values differ from torchvision's, whose generator is PyTorch's)."""

    def __init__(self, size: int = 1000, image_size=(3, 224, 224), num_classes: int = 10,
                 transform=None, target_transform=None, random_offset: int = 0):
        if len(image_size) != 3 or image_size[0] not in (1, 3):
            raise ValueError(f"FakeData: image_size must be (C, H, W) with C 1 or 3, got "
                             f"{tuple(image_size)}")
        self.size, self.image_size = int(size), tuple(image_size)
        self.num_classes, self.random_offset = num_classes, random_offset
        self.transform, self.target_transform = transform, target_transform

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int):
        from PIL import Image

        if index >= len(self) or index < -len(self):
            raise IndexError(f"{type(self).__name__} index out of range")
        rng = np.random.default_rng(int(index) % len(self) + self.random_offset)
        noise = rng.standard_normal(self.image_size).astype(np.float32)
        target = int(rng.integers(0, self.num_classes))
        pixels = np.clip(np.rint(noise * 255), 0, 255).astype(np.uint8).transpose(1, 2, 0)
        img = Image.fromarray(pixels[..., 0] if pixels.shape[2] == 1 else pixels)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __repr__(self) -> str:
        return f"Dataset {type(self).__name__}\n    Number of datapoints: {self.size}"
