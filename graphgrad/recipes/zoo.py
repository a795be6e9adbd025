"""Models by name, for recipes, ``graphgrad eval``/``predict`` and ``graphgrad summary``."""
from __future__ import annotations

import numpy as np

from .. import models
from .registry import RecipeError

# name -> (constructor, default input size (C, H, W) for summary)
MODELS = {
    "logreg": (models.LogisticRegression, (1, 28, 28)),
    "mlp": (models.MLP, (1, 28, 28)),
    "simple_cnn": (models.SimpleCNN, (1, 28, 28)),
    "lenet5": (models.LeNet5, (1, 28, 28)),
    "highway": (models.HighwayNet, (1, 28, 28)),
    "alexnet": (models.AlexNet, (3, 224, 224)),
    **{f"vgg{d}": (lambda d=d, **kw: models.VGG(d, **kw), (3, 224, 224)) for d in (11, 13, 16, 19)},
    **{f"vgg{d}_bn": (lambda d=d, **kw: models.VGG(d, batch_norm=True, **kw), (3, 224, 224))
       for d in (11, 13, 16, 19)},
    **{f"resnet{d}": (lambda d=d, **kw: models.ResNet(d, **kw), (3, 224, 224))
       for d in (18, 34, 50, 101, 152)},
    **{f"resnet{d}": (lambda d=d, **kw: models.CifarResNet(d, **kw), (3, 32, 32))
       for d in (20, 32, 44, 56, 110)},
    **{f"plain{d}": (lambda d=d, **kw: models.PlainNet(d, **kw), (3, 32, 32))
       for d in (20, 32, 44, 56, 110)},
}


def build_model(name: str, **kwargs):
    if name not in MODELS:
        raise RecipeError(f"unknown model {name!r}; known models: {', '.join(sorted(MODELS))}")
    try:
        return MODELS[name][0](**kwargs)
    except TypeError as exc:
        raise RecipeError(f"model {name}: {exc}") from None


def classifier_args(name: str, input_size, num_classes: int, args=None) -> dict:
    """The keyword arguments that build classifier ``name`` for inputs of ``input_size`` (C, H, W)
    and ``num_classes`` classes; the run's ``model_args`` (``args``) come first."""
    out = dict(args or {})
    if name in ("logreg", "mlp", "highway"):
        out.setdefault("in_features", int(np.prod(input_size)))
    elif name != "alexnet":
        out.setdefault("in_channels", input_size[0])
    if name == "simple_cnn":
        out.setdefault("image_size", input_size[-1])
    out.setdefault("num_classes", num_classes)
    return out


def build_for_summary(name: str, input_size: str | None):
    model = build_model(name)
    if input_size is None:
        size = MODELS[name][1]
    else:
        try:
            size = tuple(int(s) for s in input_size.replace("x", ",").split(","))
        except ValueError:
            raise RecipeError(f"--input-size expects C,H,W such as 3,224,224, got {input_size!r}") from None
    return model, size
