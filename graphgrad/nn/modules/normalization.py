"""Normalisation layers: ``BatchNorm1d``/``BatchNorm2d`` (with running statistics), ``LayerNorm``,
``GroupNorm``, ``LocalResponseNorm``. The arithmetic lives in ``graphgrad.ops.norm``."""
from __future__ import annotations

import numpy as np

from ...autograd.function import ArrayFunction
from ...autograd.tensor import Tensor
from ...backend import check_device, get_default_dtype
from ...ops.creation import empty, ones, tensor, zeros
from ...ops.einsum import einsum
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module


class _NormBase(Module):
    """Parameters ``weight``/``bias`` (``affine``) and buffers ``running_mean``, ``running_var``,
    ``num_batches_tracked`` (``track_running_stats``), with PyTorch's names and initial values."""

    _version = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None, dtype=None,
                 *, bias: bool = True):
        check_device(device, type(self).__name__)
        super().__init__()
        dtype = dtype or get_default_dtype()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(empty(num_features, dtype=dtype))
            if bias:
                self.bias = Parameter(empty(num_features, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", tensor(0))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input: Tensor) -> None:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")

    def _load_from_state_dict(self, state_dict, prefix, strict, missing_keys, unexpected_keys,
                              error_msgs, assign=False):
        super()._load_from_state_dict(state_dict, prefix, strict, missing_keys, unexpected_keys,
                                      error_msgs, assign)
        # checkpoints from before num_batches_tracked existed still load, as in PyTorch
        key = prefix + "num_batches_tracked"
        if key in missing_keys:
            missing_keys.remove(key)


class _BatchNorm(_NormBase):
    def _count_batch_and_factor(self) -> float:
        """Count a training batch in ``num_batches_tracked``; return the weight of this batch's
        statistics in the running ones (``momentum``, or 1/count for a cumulative average)."""
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked)
        return factor

    def _check_input(self, input: Tensor) -> None:
        self._check_input_dim(input)
        if input.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}: expected input with {self.num_features} "
                             f"channels, got input of shape {tuple(input.shape)}")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        factor = self._count_batch_and_factor()
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch_stats, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)`` input over the batch (and length), per
    channel (Ioffe & Szegedy 2015). In training, normalises with the batch statistics and updates the
    running ones (``momentum``; None means a cumulative average); in eval mode uses the running
    ones."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.ndim}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of ``(N, C, H, W)`` input per channel; see ``BatchNorm1d``."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim != 4:
            raise ValueError(f"expected 4D input (got {input.ndim}D input)")


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of ``(N, C, D, H, W)`` input per channel; see ``BatchNorm1d``."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim != 5:
            raise ValueError(f"expected 5D input (got {input.ndim}D input)")


def _register_affine(module, affine: bool, bias: bool, shape, dtype) -> None:
    """Register the per-element ``weight`` and ``bias`` parameters of a norm layer (uninitialised;
    ``reset_parameters`` fills them), or None for each that the options turn off."""
    dtype = dtype or get_default_dtype()
    module.register_parameter("weight", Parameter(empty(shape, dtype=dtype)) if affine else None)
    module.register_parameter("bias", Parameter(empty(shape, dtype=dtype)) if affine and bias
                              else None)


class LayerNorm(Module):
    """Normalise over the trailing ``normalized_shape`` dimensions of each sample (Ba et al. 2016),
    with elementwise ``weight`` (ones) and ``bias`` (zeros) of that shape."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None):
        check_device(device, type(self).__name__)
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _register_affine(self, elementwise_affine, bias, self.normalized_shape, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Normalise ``(N, C, *)`` input over groups of ``C // num_groups`` channels (Wu & He 2018),
    with per-channel ``weight`` and ``bias``."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 device=None, dtype=None, *, bias: bool = True):
        check_device(device, type(self).__name__)
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels must be divisible by num_groups (got num_channels="
                             f"{num_channels}, num_groups={num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _register_affine(self, affine, bias, num_channels, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class LocalResponseNorm(Module):
    """``x / (k + alpha / size * sum of x**2 over size neighbouring channels) ** beta``
    (AlexNet's; Krizhevsky et al. 2012 used size=5, alpha=1e-4, beta=0.75, k=2)."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input: Tensor) -> Tensor:
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class RMSNorm(Module):
    """Root-mean-square normalisation over the trailing ``normalized_shape`` dimensions (Zhang &
    Sennrich 2019): ``x / sqrt(mean(x**2) + eps) * weight``, ``weight`` (ones) of that shape.
    ``eps=None`` uses the machine epsilon of the input's dtype, as PyTorch."""

    def __init__(self, normalized_shape, eps: float | None = None, elementwise_affine: bool = True,
                 device=None, dtype=None):
        check_device(device, type(self).__name__)
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.register_parameter("weight", Parameter(empty(self.normalized_shape, dtype=dtype or
                                                          get_default_dtype()))
                                if elementwise_affine else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, input: Tensor) -> Tensor:
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


def _cross_map_windows(channels: int, size: int, dtype):
    """The ``(C, C)`` 0/1 matrices of PyTorch's legacy ``CrossMapLRN2d`` kernel: row c of
    ``forward`` marks the channels whose squares it sums for channel c (a running sum that never
    drops channel 0 once the window has moved past it), row c of ``backward`` the channels its
    hand-written backward sums (``c - size + (size - 1) // 2 ... c + (size - 1) // 2``, roughly)."""
    rows = np.arange(channels)[:, None]
    cols = np.arange(channels)[None, :]
    pre_pad = int((size - 1) / 2 + 1)
    forward = (cols <= np.minimum(rows + pre_pad - 1, channels - 1)) & np.where(
        rows > pre_pad, cols >= rows - pre_pad + 1, True)
    forward[:, 0] = True
    inverse_pre_pad = int(size - (size - 1) / 2)
    backward = (cols >= rows - inverse_pre_pad) & (cols <= rows + size - 1 - inverse_pre_pad)
    return forward.astype(dtype), backward.astype(dtype)


class _CrossMapLRN(ArrayFunction):
    """``x * (k + alpha / size * window_sum(x**2)) ** -beta`` with PyTorch's legacy windows; its
    backward is that kernel's formula (which is not the exact derivative of its forward, whose
    window it does not share), so that training matches PyTorch."""

    @staticmethod
    def forward(ctx, x, size, alpha, beta, k):
        fwd, bwd = _cross_map_windows(x.shape[1], size, x.dtype)
        scale = np.einsum("nchw,dc->ndhw", x * x, fwd) * (alpha / size) + k
        out = x * scale ** -beta
        ctx.save_for_backward(x, scale, out, bwd)
        ctx.options = (size, alpha, beta)
        return out

    @staticmethod
    def backward(ctx, g):
        x, scale, out, bwd = ctx.saved_tensors
        size, alpha, beta = ctx.options
        ratio = einsum("nchw,dc->ndhw", g * out / scale, bwd)
        return g * scale.pow(-beta) - x * ratio * (2 * alpha * beta / size), None, None, None, None


class CrossMapLRN2d(LocalResponseNorm):
    """Local response normalisation across channels of ``(N, C, H, W)`` input, as PyTorch's
    legacy ``CrossMapLRN2d``: ``x / (k + alpha / size * sum of x**2 over the window) ** beta``
    with that layer's windows and gradient (see ``_cross_map_windows``; ``LocalResponseNorm``
    is the usual layer)."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1):
        super().__init__(size, alpha, beta, k)

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D "
                             "instead.")
        return _CrossMapLRN.apply(input, self.size, self.alpha, self.beta, self.k)
