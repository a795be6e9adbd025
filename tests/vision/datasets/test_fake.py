"""FakeData: torchvision's arguments; items are PIL images and ints, the same on every read."""
import numpy as np
import pytest

from graphgrad.utils.data import DataLoader
from graphgrad.vision import datasets, transforms


def test_items_are_reproducible_images_and_classes():
    data = datasets.FakeData(size=10, image_size=(3, 8, 6), num_classes=4, random_offset=3)
    assert len(data) == 10
    img, target = data[2]
    assert img.size == (6, 8) and img.mode == "RGB" and 0 <= target < 4
    img2, target2 = data[2]
    assert np.array_equal(np.asarray(img), np.asarray(img2)) and target == target2
    assert not np.array_equal(np.asarray(img), np.asarray(data[3][0]))
    with pytest.raises(IndexError):
        data[10]


def test_transforms_and_a_loader():
    data = datasets.FakeData(size=6, image_size=(1, 28, 28), num_classes=10,
                             transform=transforms.ToTensor(), target_transform=lambda t: t + 100)
    x, y = next(iter(DataLoader(data, batch_size=6)))
    assert tuple(x.shape) == (6, 1, 28, 28) and (y.numpy() >= 100).all()
    with pytest.raises(ValueError, match="image_size"):
        datasets.FakeData(image_size=(2, 4, 4))
