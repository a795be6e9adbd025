"""Make each layer reachable at the module path PyTorch gives it, not only where graphgrad
defines it. Programs name classes by those paths, e.g. in ``torch.serialization.safe_globals``
lists (``torch.nn.modules.activation.MultiheadAttention``, ``torch.nn.modules.pixelshuffle
.PixelShuffle``). graphgrad groups some layers differently (the rarer activations in
more_activations.py, lazy layers in lazy.py), so this table adds the missing names to the module
that PyTorch uses; it runs at the end of ``nn/modules/__init__``, after every file is loaded, so
no file has to import a file that imports it back. Files PyTorch has and graphgrad does not
(``batchnorm``, ``channelshuffle``, ``fold``) are small modules of re-exports.
tests/nn/test_torch_module_paths.py checks the table against PyTorch's own layout."""
from __future__ import annotations

import importlib

# graphgrad.nn.modules.<file> -> class names (defined elsewhere in graphgrad.nn.modules)
TORCH_PATHS = {
    "activation": ["Threshold", "RReLU", "Hardsigmoid", "Mish", "Hardswish", "CELU", "GLU",
                   "Hardshrink", "LogSigmoid", "Softshrink", "MultiheadAttention", "PReLU",
                   "Softsign", "Tanhshrink", "Softmin", "Softmax2d"],
    "conv": ["LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
             "LazyConvTranspose2d", "LazyConvTranspose3d"],
    "instancenorm": ["LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"],
    "linear": ["LazyLinear"],
    "pooling": ["FractionalMaxPool2d", "FractionalMaxPool3d", "LPPool3d", "AdaptiveMaxPool3d"],
}


def add_torch_paths(package) -> None:
    """Set each name of ``TORCH_PATHS`` on its PyTorch-named module, taken from ``package``."""
    for file, names in TORCH_PATHS.items():
        module = importlib.import_module(f"{package.__name__}.{file}")
        for name in names:
            setattr(module, name, getattr(package, name))
