"""``sitecustomize`` for the PyTorch side of the runner, used only with ``--torchvision DIR``.

PyPI's torchvision wheel is built against CUDA PyTorch; next to PyTorch's CPU build its compiled
ops (``torchvision._C``) do not load, and ``import torchvision`` then stops while registering
shapes for ``torchvision::nms``. The datasets, transforms, models and utils that the examples use
are pure Python, so when the compiled ops cannot load this declares the two op schemas that the
import needs (never their kernels) and lets the import go on."""
import importlib.util
import os

_spec = importlib.util.find_spec("torchvision")
if _spec is not None:
    import torch

    try:
        torch.ops.load_library(os.path.join(os.path.dirname(_spec.origin), "_C.so"))
    except (OSError, RuntimeError):
        _lib = torch.library.Library("torchvision", "DEF")
        for _name in ("nms", "qnms"):
            _lib.define(f"{_name}(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
