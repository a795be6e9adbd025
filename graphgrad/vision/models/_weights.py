"""torchvision's ``weights=`` argument: graphgrad ships no pretrained weights, so only
``weights=None`` builds a model; anything else is a clear error. The ``*_Weights`` enums exist so
that code naming them (``models.VGG16_Weights.IMAGENET1K_V1``) reaches that error instead of an
AttributeError."""
from __future__ import annotations

import enum


class WeightsEnum(enum.Enum):
    """A torchvision weights enum: members name the checkpoints torchvision publishes."""

    @classmethod
    def verify(cls, obj):
        return obj if obj is None or isinstance(obj, cls) else cls[obj]


def weights_enum(name: str, *checkpoints: str) -> type:
    """An enum ``name`` with the given checkpoint names and ``DEFAULT`` (the first)."""
    members = {c: c for c in checkpoints}
    enum_cls = WeightsEnum(name, members)
    enum_cls.DEFAULT = enum_cls[checkpoints[0]]
    return enum_cls


def check_no_weights(builder: str, weights, kwargs: dict) -> None:
    """Refuse pretrained weights (and the old ``pretrained=True``) with an explanation."""
    pretrained = kwargs.pop("pretrained", False)
    if weights is None and not pretrained:
        return
    asked = weights if weights is not None else "pretrained=True"
    raise RuntimeError(
        f"{builder}(weights={asked!r}): graphgrad ships no pretrained weights and cannot download "
        f"them. Build the model with weights=None, then load a state dict you have, e.g. one "
        f"saved from torchvision and converted to a graphgrad file (the parameter names match "
        f"torchvision's): model.load_state_dict(graphgrad.load_safetensors(path)).")
