"""Pictures of generative models: tiled sample grids (PNG, and animated GIF across epochs),
reconstructions beside their inputs, a 2-D latent space coloured by digit, latent interpolations,
GAN losses and the VAE's ELBO curve. Every file is written atomically."""
from __future__ import annotations

import math
import os

import numpy as np

from ..serialization import temporary_file
from ._figure import pyplot, save_figure


def _array(images) -> np.ndarray:
    a = images.detach().numpy() if hasattr(images, "detach") else np.asarray(images)
    if a.ndim == 3:
        a = a[:, None]
    if a.ndim != 4 or a.shape[1] not in (1, 3):
        raise ValueError(f"expected images of shape (N, 1 or 3, H, W) or (N, H, W), got {a.shape}")
    return a


def tile_images(images, nrow: int | None = None, padding: int = 2, value_range=(0.0, 1.0),
                pad_value: float = 1.0) -> np.ndarray:
    """Tile ``images`` (N, C, H, W) into one uint8 picture (H', W') or (H', W', 3), ``nrow`` images
    per row (default: a square-ish grid). Pixel values are mapped from ``value_range`` to 0..255
    and clipped (so tanh outputs use ``(-1, 1)``)."""
    a = _array(images).astype(np.float64)
    n, c, h, w = a.shape
    if n == 0:
        raise ValueError("tile_images: no images")
    lo, hi = value_range
    a = np.clip((a - lo) / (hi - lo), 0.0, 1.0)
    ncol = nrow or math.ceil(math.sqrt(n))
    nrows = math.ceil(n / ncol)
    grid = np.full((c, nrows * (h + padding) + padding, ncol * (w + padding) + padding), pad_value)
    for k in range(n):  # a loop over a few dozen images, once per picture
        r, q = divmod(k, ncol)
        y, x = padding + r * (h + padding), padding + q * (w + padding)
        grid[:, y:y + h, x:x + w] = a[k]
    out = np.round(grid * 255).astype(np.uint8)
    return out[0] if c == 1 else out.transpose(1, 2, 0)


def _atomic(path: str, write) -> str:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = temporary_file(path, os.path.splitext(path)[1])  # the umask's permissions
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def save_image_grid(images, path: str, nrow: int | None = None, value_range=(0.0, 1.0),
                    scale: int = 2) -> str:
    """Write ``images`` (N, C, H, W) tiled (``tile_images``) as a PNG, enlarged ``scale`` times."""
    from PIL import Image

    picture = tile_images(images, nrow, value_range=value_range)
    if scale > 1:
        picture = picture.repeat(scale, axis=0).repeat(scale, axis=1)
    return _atomic(path, lambda tmp: Image.fromarray(picture).save(tmp, format="PNG"))


def write_gif(frames, path: str, duration_ms: int = 400, loop: int = 0) -> str:
    """An animated GIF of ``frames``: uint8 pictures (as from ``tile_images``) or image file paths,
    each shown ``duration_ms``; ``loop=0`` repeats forever. The last frame is held three times as
    long."""
    from PIL import Image

    if not frames:
        raise ValueError("write_gif: no frames")
    pictures = []
    for f in frames:
        if isinstance(f, (str, os.PathLike)):
            with Image.open(f) as img:
                pictures.append(img.convert("L" if img.mode in ("L", "LA", "P", "1") else "RGB"))
        else:
            pictures.append(Image.fromarray(np.asarray(f, dtype=np.uint8)))
    durations = [duration_ms] * (len(pictures) - 1) + [3 * duration_ms]
    return _atomic(path, lambda tmp: pictures[0].save(
        tmp, format="GIF", save_all=True, append_images=pictures[1:], duration=durations,
        loop=loop))


def plot_sample_grid(images, path: str | None = None, title: str | None = None,
                     nrow: int | None = None, value_range=(0.0, 1.0)):
    """A titled figure of ``images`` tiled into one grid."""
    plt = pyplot()
    picture = tile_images(images, nrow, value_range=value_range)
    side = max(3.0, min(9.0, picture.shape[1] / 40))
    fig, ax = plt.subplots(figsize=(side, side * picture.shape[0] / picture.shape[1] + 0.4))
    ax.imshow(picture, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=9)
    save_figure(fig, path)
    return fig


def plot_reconstructions(originals, reconstructions, path: str | None = None, n: int = 10,
                         title: str = "Inputs (top) and reconstructions (bottom)"):
    """The first ``n`` inputs above their reconstructions (both (N, C, H, W) in [0, 1])."""
    top, bottom = _array(originals)[:n], _array(reconstructions)[:n]
    return plot_sample_grid(np.concatenate([top, bottom]), path, title, nrow=len(top))


def plot_latent_scatter(codes, labels, path: str | None = None, title: str = "Latent space"):
    """Codes (N, d) as points coloured by digit label; for d > 2, their first two principal
    components (the axes say which)."""
    z = codes.detach().numpy() if hasattr(codes, "detach") else np.asarray(codes)
    z = z.reshape(len(z), -1).astype(np.float64)
    labels = np.asarray(labels)
    axes_names = ("z[0]", "z[1]")
    if z.shape[1] > 2:
        centred = z - z.mean(axis=0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        z = centred @ vt[:2].T
        axes_names = ("principal component 1", "principal component 2")
    elif z.shape[1] == 1:
        z = np.concatenate([z, np.zeros_like(z)], axis=1)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.2, 5.2))
    points = ax.scatter(z[:, 0], z[:, 1], c=labels, cmap="tab10", s=6, alpha=0.8,
                        vmin=-0.5, vmax=9.5)
    bar = fig.colorbar(points, ax=ax, ticks=range(10))
    bar.set_label("digit")
    ax.set_xlabel(axes_names[0])
    ax.set_ylabel(axes_names[1])
    ax.set_title(title)
    ax.grid(alpha=0.3)
    save_figure(fig, path)
    return fig


def interpolate_latents(z0, z1, steps: int = 10) -> np.ndarray:
    """``steps`` codes on the straight line from ``z0`` to ``z1`` (both (d,)): (steps, d)."""
    z0, z1 = np.asarray(z0, dtype=np.float32), np.asarray(z1, dtype=np.float32)
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    return (1 - t) * z0[None] + t * z1[None]


def plot_interpolations(rows, path: str | None = None,
                        title: str = "Latent interpolations (left digit to right digit)"):
    """``rows``: a list of (steps, C, H, W) image sequences, one grid row each."""
    rows = [_array(r) for r in rows]
    steps = len(rows[0])
    return plot_sample_grid(np.concatenate(rows), path, title, nrow=steps)


def plot_gan_losses(history, path: str | None = None, title: str = "GAN losses"):
    """Discriminator and generator losses per epoch on one plot, and (right) the discriminator's
    mean output on real and on generated images."""
    plt = pyplot()
    epochs = [row["epoch"] for row in history]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    for key, label in (("d_loss", "discriminator"), ("g_loss", "generator")):
        ax.plot(epochs, [row.get(key, np.nan) for row in history], marker="o", markersize=3,
                label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    for key, label in (("d_real", "D(x), real"), ("d_fake", "D(G(z)), generated")):
        ax2.plot(epochs, [row.get(key, np.nan) for row in history], marker="o", markersize=3,
                 label=label)
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("discriminator output")
    ax2.set_title("Discriminator on real and generated images")
    ax2.legend()
    ax2.grid(alpha=0.3)
    save_figure(fig, path)
    return fig


def plot_elbo(history, path: str | None = None, title: str = "VAE: negative ELBO per image"):
    """The negative ELBO (train and held-out) per epoch, and (right) its reconstruction and KL
    parts, all in nats per image."""
    plt = pyplot()
    epochs = [row["epoch"] for row in history]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))

    def line(axis, key, label, style="-"):
        values = [row.get(key) for row in history]
        if any(v is not None for v in values):
            axis.plot(epochs, [np.nan if v is None else v for v in values], style, marker="o",
                      markersize=3, label=label)

    line(ax, "train_loss", "train")
    line(ax, "val_loss", "held-out")
    ax.set_title(title)
    line(ax2, "train_recon", "reconstruction (train)")
    line(ax2, "val_recon", "reconstruction (held-out)", "--")
    line(ax2, "train_kl", "KL (train)")
    line(ax2, "val_kl", "KL (held-out)", "--")
    ax2.set_title("The two parts of the negative ELBO")
    for a in (ax, ax2):
        a.set_xlabel("epoch")
        a.set_ylabel("nats per image")
        a.legend(fontsize=8)
        a.grid(alpha=0.3)
    save_figure(fig, path)
    return fig


__all__ = ["interpolate_latents", "plot_elbo", "plot_gan_losses", "plot_interpolations",
           "plot_latent_scatter", "plot_reconstructions", "plot_sample_grid", "save_image_grid",
           "tile_images", "write_gif"]
