"""Every layer graphgrad has is reachable at PyTorch's module path as well, as programs name
classes that way (``torch.nn.modules.activation.MultiheadAttention`` in a ``safe_globals`` list of
pytorch/examples' word_language_model, ``torch.nn.modules.pixelshuffle.PixelShuffle`` in
super_resolution)."""
import importlib
import inspect
import pkgutil

import pytest

import graphgrad.nn as gnn


def _torch_layout():
    torch_modules = pytest.importorskip("torch.nn.modules")
    layout = {}
    for info in pkgutil.iter_modules(torch_modules.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"torch.nn.modules.{info.name}")
        layout[info.name] = sorted(name for name, obj in vars(module).items()
                                   if inspect.isclass(obj) and obj.__module__ == module.__name__
                                   and not name.startswith("_"))
    return layout


def test_every_shared_layer_is_at_pytorchs_module_path():
    missing = []
    for file, names in _torch_layout().items():
        ours = [n for n in names if hasattr(gnn, n)]
        if not ours:
            continue
        try:
            module = importlib.import_module(f"graphgrad.nn.modules.{file}")
        except ImportError:
            missing += [f"{file}.{n}" for n in ours]
            continue
        missing += [f"{file}.{n}" for n in ours if getattr(module, n, None) is not getattr(gnn, n)]
    assert not missing, f"not at PyTorch's module path: {missing}"


def test_paths_that_example_programs_allowlist():
    import graphgrad as torch

    named = [torch.nn.modules.activation.MultiheadAttention,
             torch.nn.modules.linear.NonDynamicallyQuantizableLinear,
             torch.nn.modules.normalization.LayerNorm,
             torch.nn.modules.pixelshuffle.PixelShuffle,
             torch.nn.modules.transformer.TransformerEncoderLayer,
             torch.nn.modules.container.ModuleList, torch.nn.modules.sparse.Embedding]
    assert named[0] is torch.nn.MultiheadAttention and named[3] is torch.nn.PixelShuffle
    attention = torch.nn.MultiheadAttention(8, 2)
    assert type(attention.out_proj) is named[1] and isinstance(attention.out_proj, torch.nn.Linear)
