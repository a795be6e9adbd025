"""vision.utils.make_grid / save_image: torchvision's layout and pixels on hand-checked arrays."""
import io

import numpy as np
import pytest
from PIL import Image

import graphgrad
from graphgrad.vision.utils import make_grid, save_image


def _batch(n, c=1, h=2, w=3):
    return graphgrad.tensor(np.arange(n * c * h * w, dtype=np.float32).reshape(n, c, h, w) / 100)


def test_layout_padding_and_rows():
    images = _batch(3)
    grid = make_grid(images, nrow=2, padding=1, pad_value=0.5).numpy()
    # 2 columns x 2 rows of (2 x 3) images with 1-pixel borders; gray becomes RGB
    assert grid.shape == (3, 2 * 3 + 1, 2 * 4 + 1)
    for k, (row, col) in enumerate([(0, 0), (0, 1), (1, 0)]):
        top, left = row * 3 + 1, col * 4 + 1
        for ch in range(3):
            np.testing.assert_array_equal(grid[ch, top:top + 2, left:left + 3], images.numpy()[k, 0])
    assert (grid[:, 0, :] == 0.5).all() and (grid[:, :, 0] == 0.5).all()
    assert (grid[:, 4:6, 5:8] == 0.5).all()  # the empty fourth cell


def test_inputs_torchvision_accepts():
    assert make_grid(_batch(1)).shape == (3, 2, 3)  # one image: no padding
    assert make_grid(_batch(5, c=3), nrow=8).shape == (3, 6, 2 + 5 * 5)
    assert make_grid([_batch(1, c=3)[0], _batch(1, c=3)[0]], padding=0).shape == (3, 2, 6)
    assert make_grid(graphgrad.ones(4, 5)).shape == (3, 4, 5)
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        make_grid(_batch(2), normalize=True, value_range=[0, 1])
    with pytest.raises(TypeError):
        make_grid("not a tensor")


def test_normalize_whole_batch_and_each_image():
    images = graphgrad.tensor(np.array([[[[0.0, 2.0]]], [[[4.0, 8.0]]]], dtype=np.float32))
    whole = make_grid(images, padding=0, normalize=True).numpy()[0]
    np.testing.assert_allclose(whole, [[0.0, 0.25, 0.5, 1.0]])
    each = make_grid(images, padding=0, normalize=True, scale_each=True).numpy()[0]
    np.testing.assert_allclose(each, [[0.0, 1.0, 0.0, 1.0]])
    ranged = make_grid(images, padding=0, normalize=True, value_range=(0.0, 4.0)).numpy()[0]
    np.testing.assert_allclose(ranged, [[0.0, 0.5, 1.0, 1.0]])


def test_save_image_pixels_and_atomic_file(tmp_path):
    values = np.array([0.0, 0.2, 0.5, 0.998, 1.2, -0.1], dtype=np.float32).reshape(1, 1, 2, 3)
    path = tmp_path / "grid.png"
    save_image(graphgrad.tensor(values), path)
    pixels = np.asarray(Image.open(path))
    assert pixels.shape == (2, 3, 3) and pixels.dtype == np.uint8
    # torchvision: x * 255 + 0.5, clamped to [0, 255], truncated to uint8
    expected = np.clip(values[0, 0] * 255 + 0.5, 0, 255).astype(np.uint8)
    for ch in range(3):
        np.testing.assert_array_equal(pixels[..., ch], expected)
    assert [p.name for p in tmp_path.iterdir()] == ["grid.png"]
    buf = io.BytesIO()
    save_image(_batch(4, c=3), buf, format="PNG", nrow=2)
    assert Image.open(io.BytesIO(buf.getvalue())).size == (2 + 2 * 5, 2 + 2 * 4)
    with pytest.raises(ValueError, match="unknown file extension"):
        save_image(_batch(1), tmp_path / "grid.unknown")
