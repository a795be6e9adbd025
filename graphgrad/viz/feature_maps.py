"""Feature maps: the output of every convolution layer for one input, captured by forward hooks."""
from __future__ import annotations

import numpy as np

from .. import autograd, nn
from ._figure import pyplot, save_figure

CONV_TYPES = (nn.Conv1d, nn.Conv2d, nn.Conv3d)


def feature_maps(model, x, layer_types=CONV_TYPES, names=None) -> dict:
    """``{module name: output array}`` of every module of ``layer_types`` (default: convolutions),
    or of the modules named in ``names``, for input ``x`` (one image (C, H, W) or a batch).

    Runs the model once in eval mode without recording a graph, with temporary forward hooks."""
    if not hasattr(x, "detach"):
        from .. import tensor

        x = tensor(np.asarray(x, dtype=np.float32))
    if x.ndim == 3:
        x = x.unsqueeze(0)
    captured: dict = {}
    handles = []
    wanted = set(names) if names is not None else None
    for name, module in model.named_modules():
        if (wanted is not None and name in wanted) or (wanted is None and isinstance(module, layer_types)):
            def hook(mod, args, out, name=name):
                captured[name] = out.detach().numpy().copy()
            handles.append(module.register_forward_hook(hook))
    if wanted is not None and len(handles) != len(wanted):
        known = [n for n, _ in model.named_modules()]
        missing = sorted(wanted - set(known))
        raise KeyError(f"feature_maps: no module named {missing}; modules are {known}")
    if not handles:
        raise ValueError(f"feature_maps: {type(model).__name__} has no "
                         f"{'/'.join(t.__name__ for t in layer_types)} layer")
    was_training = model.training
    model.eval()
    try:
        with autograd.no_grad():
            model(x)
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return captured


def plot_feature_maps(model, x, path: str | None = None, max_channels: int = 16,
                      layer_types=CONV_TYPES, title: str | None = None):
    """One row per conv layer: the input, then up to ``max_channels`` maps of that layer for the
    first example of ``x``, each scaled to its own range."""
    maps = feature_maps(model, x, layer_types)
    image = x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)
    image = image[0] if image.ndim == 4 else image
    ncols = min(max_channels, max(m.shape[1] for m in maps.values())) + 1
    plt = pyplot()
    fig, axes = plt.subplots(len(maps), ncols, figsize=(1.1 * ncols, 1.25 * len(maps) + 0.4),
                             squeeze=False)
    for row, (name, m) in enumerate(maps.items()):
        for ax in axes[row]:
            ax.axis("off")
        shown = image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0)
        axes[row, 0].imshow((shown - shown.min()) / (np.ptp(shown) or 1), cmap="gray")
        axes[row, 0].set_title(f"{name}\n{m.shape[1]}x{m.shape[2]}x{m.shape[3]}" if m.ndim == 4
                               else name, fontsize=6)
        for c in range(min(max_channels, m.shape[1])):
            fm = m[0, c]
            if fm.ndim == 1:
                fm = fm[None, :]
            axes[row, c + 1].imshow(fm, cmap="viridis")
            axes[row, c + 1].set_title(str(c), fontsize=6)
    fig.suptitle(title or f"Feature maps of {type(model).__name__} (first {ncols - 1} channels)",
                 fontsize=9)
    save_figure(fig, path)
    return fig
