"""ImageFolder / DatasetFolder on generated PNG files."""
import numpy as np
import pytest

from graphgrad.vision import transforms as T
from graphgrad.vision.datasets import DatasetFolder, ImageFolder

Image = pytest.importorskip("PIL.Image")


def _tree(root):
    colours = {"cat": (255, 0, 0), "dog": (0, 255, 0)}
    for cls, rgb in colours.items():
        (root / cls).mkdir(parents=True)
        for k in range(2):
            arr = np.zeros((4, 6, 3), np.uint8)
            arr[...] = rgb
            arr[0, 0] = k
            Image.fromarray(arr).save(root / cls / f"{k}.png")
        (root / cls / "notes.txt").write_text("not an image")
    return colours


def test_image_folder(tmp_path):
    _tree(tmp_path)
    ds = ImageFolder(str(tmp_path), transform=T.ToTensor())
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    assert len(ds) == 4 and ds.targets == [0, 0, 1, 1]
    x, y = ds[2]
    assert x.shape == (3, 4, 6) and y == 1
    assert np.allclose(x.numpy()[:, 1, 1], [0, 1, 0])
    raw, _ = ImageFolder(str(tmp_path))[0]
    assert raw.mode == "RGB" and raw.size == (6, 4)


def test_dataset_folder_with_loader(tmp_path):
    _tree(tmp_path)
    ds = DatasetFolder(str(tmp_path), loader=lambda p: open(p).read(), extensions=(".txt",))
    assert len(ds) == 2 and ds[1] == ("not an image", 1)


def test_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ImageFolder(str(tmp_path / "none"))
    (tmp_path / "empty_class").mkdir()
    with pytest.raises(FileNotFoundError, match="no valid file for the classes empty_class.*png"):
        ImageFolder(str(tmp_path))
    assert len(ImageFolder(str(tmp_path), allow_empty=True)) == 0
    (tmp_path / "empty_class" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="broken.png: cannot read the image"):
        ImageFolder(str(tmp_path))[0]
