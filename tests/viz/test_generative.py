"""Generative-model pictures: tiling, PNG grids, the animated GIF, and every plot writes a PNG."""
import numpy as np
import pytest
from PIL import Image

from graphgrad.viz import generative as gviz

PNG = b"\x89PNG\r\n\x1a\n"


def test_tile_images_layout_and_range():
    images = np.zeros((5, 1, 4, 4))
    images[1] = 1.0
    tile = gviz.tile_images(images, nrow=3, padding=1)
    assert tile.shape == (2 * 5 + 1, 3 * 5 + 1) and tile.dtype == np.uint8
    assert tile[1:5, 1:5].max() == 0 and tile[1:5, 6:10].min() == 255
    assert tile[0].min() == 255  # padding
    # tanh outputs in [-1, 1]
    assert gviz.tile_images(-np.ones((1, 1, 2, 2)), value_range=(-1, 1), padding=0).max() == 0
    rgb = gviz.tile_images(np.zeros((2, 3, 4, 4)), padding=0)
    assert rgb.shape == (4, 8, 3)
    with pytest.raises(ValueError, match=r"\(N, 1 or 3, H, W\)"):
        gviz.tile_images(np.zeros((2, 2, 4, 4)))


def test_png_grid_and_gif(tmp_path):
    frames = []
    for k in range(3):
        path = str(tmp_path / f"f{k}.png")
        gviz.save_image_grid(np.full((4, 1, 8, 8), k / 2), path, scale=2)
        assert open(path, "rb").read(8) == PNG
        frames.append(path)
    gif = gviz.write_gif(frames, str(tmp_path / "a.gif"), duration_ms=100)
    with Image.open(gif) as img:
        assert img.format == "GIF" and img.n_frames == 3
    gviz.write_gif([gviz.tile_images(np.zeros((1, 1, 4, 4)))] * 2, str(tmp_path / "b.gif"))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]
    with pytest.raises(ValueError, match="no frames"):
        gviz.write_gif([], str(tmp_path / "c.gif"))


def test_interpolate_latents_endpoints():
    z = gviz.interpolate_latents([0, 0], [1, 2], steps=5)
    np.testing.assert_allclose(z[0], [0, 0])
    np.testing.assert_allclose(z[-1], [1, 2])
    np.testing.assert_allclose(z[2], [0.5, 1])


def test_plots_write_pngs(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.random((6, 1, 8, 8))
    labels = np.arange(50) % 10
    history = [{"epoch": e, "d_loss": 1.0 / e, "g_loss": 2.0, "d_real": 0.6, "d_fake": 0.4,
                "train_loss": 100 / e, "val_loss": 110 / e, "train_recon": 90 / e, "train_kl": 10.0,
                "val_recon": 95 / e, "val_kl": 12.0} for e in (1, 2, 3)]
    calls = {
        "recon.png": lambda p: gviz.plot_reconstructions(x, x, p),
        "latent2.png": lambda p: gviz.plot_latent_scatter(rng.standard_normal((50, 2)), labels, p),
        "latent8.png": lambda p: gviz.plot_latent_scatter(rng.standard_normal((50, 8)), labels, p),
        "interp.png": lambda p: gviz.plot_interpolations([x, x], p),
        "grid.png": lambda p: gviz.plot_sample_grid(x * 2 - 1, p, "t", value_range=(-1, 1)),
        "gan.png": lambda p: gviz.plot_gan_losses(history, p),
        "elbo.png": lambda p: gviz.plot_elbo(history, p),
    }
    import matplotlib.pyplot as plt

    for name, call in calls.items():
        plt.close(call(str(tmp_path / name)))
        assert (tmp_path / name).read_bytes()[:8] == PNG, name
