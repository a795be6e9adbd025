"""What a convolution channel responds to: the dataset patches that activate it most, each cropped
to that unit's receptive field; and the filters of any conv layer."""
from __future__ import annotations

import numpy as np

from .. import autograd, tensor
from ._figure import pyplot, save_figure
from .images import image_grid
from .receptive_field import receptive_field


def _module(model, name):
    for n, m in model.named_modules():
        if n == name:
            return m
    raise KeyError(f"no module named {name!r} in {type(model).__name__}; modules are "
                   f"{[n for n, _ in model.named_modules() if n]}")


def _batches(images, batch_size):
    """(N, C, H, W) arrays from an array/tensor, or from a dataset of (image, label) pairs."""
    if hasattr(images, "detach") or isinstance(images, np.ndarray):
        a = images.detach().numpy() if hasattr(images, "detach") else np.asarray(images)
        for i in range(0, len(a), batch_size):
            yield a[i:i + batch_size]
        return
    for i in range(0, len(images), batch_size):
        items = [images[j] for j in range(i, min(i + batch_size, len(images)))]
        xs = [it[0] if isinstance(it, (tuple, list)) else it for it in items]
        yield np.stack([x.detach().numpy() if hasattr(x, "detach") else np.asarray(x) for x in xs])


def top_activating_patches(model, layer: str, channel: int, images, k: int = 9,
                           batch_size: int = 256):
    """The ``k`` input patches that drive channel ``channel`` of conv/pool layer ``layer`` hardest.

    ``images``: an (N, C, H, W) array/tensor or a dataset of (image, label). Every spatial position
    of every image is a candidate; a patch is the receptive field of the winning unit, cut from the
    input (parts beyond the border are filled with the image's minimum, i.e. the background).
    Returns ``(patches (k, C, r, r), activations (k,), where [(image index, row, col)])``."""
    module = _module(model, layer)
    captured = {}
    handle = module.register_forward_hook(lambda m, a, out: captured.__setitem__("out", out))
    scores, places, seen = [], [], 0
    all_images = []
    was_training = model.training
    model.eval()
    try:
        with autograd.no_grad():
            for xb in _batches(images, batch_size):
                model(tensor(xb.astype(np.float32)))
                act = captured["out"].numpy()
                if act.ndim != 4:
                    raise ValueError(f"top_activating_patches: layer {layer!r} output has shape "
                                     f"{act.shape}; expected a 2-D feature map (N, C, H, W)")
                if not 0 <= channel < act.shape[1]:
                    raise IndexError(f"top_activating_patches: channel {channel} out of range for "
                                     f"{act.shape[1]} channels of {layer!r}")
                a = act[:, channel].reshape(len(xb), -1)
                best = a.argmax(axis=1)  # at most one patch per image keeps the set varied
                scores.append(a[np.arange(len(xb)), best])
                h, w = act.shape[2:]
                places += [(seen + i, int(b // w), int(b % w)) for i, b in enumerate(best)]
                all_images.append(xb)
                seen += len(xb)
    finally:
        handle.remove()
        model.train(was_training)
    scores = np.concatenate(scores)
    x = np.concatenate(all_images)
    rf = receptive_field(model, layer, x.shape[2:])
    order = np.argsort(-scores, kind="stable")[:k]
    r0, r1 = rf.size
    patches = []
    for i in order:
        n, row, col = places[i]
        (top, bottom), (left, right) = rf.window((row, col))
        img = x[n]
        patch = np.full((img.shape[0], r0, r1), img.min(), dtype=img.dtype)
        t, b = max(top, 0), min(bottom, img.shape[1] - 1)
        lft, rgt = max(left, 0), min(right, img.shape[2] - 1)
        if t <= b and lft <= rgt:
            patch[:, t - top:b - top + 1, lft - left:rgt - left + 1] = img[:, t:b + 1, lft:rgt + 1]
        patches.append(patch)
    return np.stack(patches), scores[order], [places[i] for i in order]


def plot_top_patches(model, layer: str, channels, images, k: int = 8, path: str | None = None):
    """One row per channel of ``layer``: its ``k`` most activating receptive-field patches."""
    channels = list(channels)
    rows = [top_activating_patches(model, layer, c, images, k) for c in channels]
    size = rows[0][0].shape[-1]
    plt = pyplot()
    fig, axes = plt.subplots(len(channels), k, figsize=(1.0 * k, 1.1 * len(channels) + 0.5),
                             squeeze=False)
    for r, (c, (patches, acts, _)) in enumerate(zip(channels, rows)):
        for j, ax in enumerate(axes[r]):
            ax.axis("off")
            if j < len(patches):
                p = patches[j]
                p = p[0] if p.shape[0] == 1 else p.transpose(1, 2, 0)
                ax.imshow((p - p.min()) / (np.ptp(p) or 1), cmap="gray")
                ax.set_title(f"ch {c}: {acts[j]:.2f}" if j == 0 else f"{acts[j]:.2f}", fontsize=6)
    fig.suptitle(f"Top patches of {layer} (receptive field {size}x{size})", fontsize=9)
    save_figure(fig, path)
    return fig


def plot_layer_filters(weight, path: str | None = None, max_filters: int = 32,
                       title: str = "Filters"):
    """Any conv weight (out, in, kh, kw): one row per output filter, one column per input channel
    (at most ``max_filters`` x 8), each scaled to its own range."""
    w = weight.detach().numpy() if hasattr(weight, "detach") else np.asarray(weight)
    if w.ndim != 4:
        raise ValueError(f"plot_layer_filters: expected (out, in, kh, kw), got shape {w.shape}")
    w = w[:max_filters, :8]
    tiles = [w[o, i][None] for o in range(w.shape[0]) for i in range(w.shape[1])]
    return image_grid(tiles, ncols=w.shape[1], path=path, title=title)
