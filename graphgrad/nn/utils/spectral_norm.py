"""Spectral normalisation (Miyato et al. 2018), as ``torch.nn.utils.spectral_norm``: a layer's weight is
divided by its largest singular value, estimated by power iteration, so the layer is 1-Lipschitz.
GAN discriminators use it to keep their gradients from exploding without batch norm.

``spectral_norm(module)`` replaces the parameter ``weight`` with ``weight_orig`` (the parameter the
optimizer updates) and two buffers ``weight_u``, ``weight_v`` (the power iteration's singular
vectors), and recomputes ``module.weight = weight_orig / sigma`` before every forward. In training
mode each forward first runs ``n_power_iterations`` steps (``v = normalize(W^T u)``,
``u = normalize(W v)``) on the buffers; ``sigma = u . (W v)`` is differentiated through ``W`` only,
as in PyTorch. In eval mode the stored vectors are used as they are.
"""
from __future__ import annotations

import numpy as np

from ...autograd.grad_mode import no_grad
from ...autograd.tensor import Tensor
from ...ops.creation import randn
from ..modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from ..parameter import Parameter


def _normalized(a: np.ndarray, eps: float) -> np.ndarray:
    return a / max(float(np.linalg.norm(a)), eps)


class SpectralNorm:
    """The forward pre-hook that ``spectral_norm`` installs (one per normalised parameter)."""

    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float):
        if n_power_iterations < 0:
            raise ValueError("spectral_norm: n_power_iterations must be >= 0, got "
                             f"{n_power_iterations}")
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps

    def weight_matrix(self, weight):
        """``weight`` with ``dim`` moved first, flattened to ``(weight.shape[dim], -1)`` (a Tensor or
        an array)."""
        if self.dim != 0:
            weight = weight.movedim(self.dim, 0) if isinstance(weight, Tensor) else \
                np.moveaxis(weight, self.dim, 0)
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        if do_power_iteration and self.n_power_iterations:
            w = self.weight_matrix(weight.detach().numpy())
            u_a, v_a = u.numpy(force=True), v.numpy(force=True)
            for _ in range(self.n_power_iterations):
                v_a[...] = _normalized(w.T @ u_a, self.eps)
                u_a[...] = _normalized(w @ v_a, self.eps)
            u._bump_version()  # a graph that saved the old vectors now refuses to backward
            v._bump_version()
            # the buffers change at the next forward; sigma below must keep this step's vectors
            u, v = u.clone(), v.clone()
        sigma = u.dot(self.weight_matrix(weight).mv(v))
        return weight / sigma

    def __call__(self, module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module, module.training))

    def remove(self, module) -> None:
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        for suffix in ("_orig", "_u", "_v"):
            delattr(module, self.name + suffix)
        module.register_parameter(self.name, Parameter(weight.detach()))


def spectral_norm(module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None):
    """Spectrally normalise ``module``'s parameter ``name`` in place and return ``module``.

    ``dim`` is the output dimension of the weight: 0, or 1 for the transposed convolutions (whose
    weight is ``(in, out, *k)``), as PyTorch."""
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            raise RuntimeError(f"spectral_norm: {type(module).__name__}.{name} is already "
                               "spectrally normalised")
    weight = module._parameters.get(name)
    if weight is None:
        raise ValueError(f"spectral_norm: {type(module).__name__} has no parameter {name!r}")
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
    fn = SpectralNorm(name, n_power_iterations, dim, eps)
    h, w = fn.weight_matrix(weight.detach().numpy()).shape
    with no_grad():
        u = Tensor._make(_normalized(randn(h, dtype=weight.dtype).numpy(), eps))
        v = Tensor._make(_normalized(randn(w, dtype=weight.dtype).numpy(), eps))
    delattr(module, name)
    module.register_parameter(name + "_orig", weight)
    setattr(module, name, weight.detach())
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module, name: str = "weight"):
    """Undo ``spectral_norm``: ``name`` becomes a parameter again, holding the normalised weight."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"remove_spectral_norm: spectral_norm of {name!r} not found in "
                     f"{type(module).__name__}")
