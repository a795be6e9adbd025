"""Convolution layers: ``Conv1d/2d/3d`` (padding_mode 'zeros', 'reflect', 'replicate',
'circular') and ``ConvTranspose1d/2d/3d``, with PyTorch's arguments, parameter names and shapes and
default initialisation (weight ``kaiming_uniform_(a=sqrt(5))``, bias U(-1/sqrt(fan_in),
1/sqrt(fan_in)))."""
from __future__ import annotations

import math

from ...autograd.tensor import Tensor
from ...backend import check_device, get_default_dtype
from ...ops import conv as C
from ...ops._im2col import ntuple
from ...ops.creation import empty
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    _nd = 2
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None,
                 output_padding=0):
        check_device(device, type(self).__name__)
        super().__init__()
        name = type(self).__name__
        nd = self._nd
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
        if in_channels % groups != 0:
            raise ValueError(f"{name}: in_channels ({in_channels}) must be divisible by groups "
                             f"({groups})")
        if out_channels % groups != 0:
            raise ValueError(f"{name}: out_channels ({out_channels}) must be divisible by groups "
                             f"({groups})")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {_PADDING_MODES}, but got "
                             f"padding_mode={padding_mode!r}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = ntuple(kernel_size, nd, "kernel_size", name)
        self.stride = ntuple(stride, nd, "stride", name)
        self.dilation = ntuple(dilation, nd, "dilation", name)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: Invalid padding string {padding!r}, should be one of "
                                 "{'valid', 'same'}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 "convolutions")
            self.padding = padding
        else:
            self.padding = ntuple(padding, nd, "padding", name)
        self.output_padding = ntuple(output_padding, nd, "output_padding", name)
        self.transposed = self._transposed
        self.groups = groups
        self.padding_mode = padding_mode
        dtype = dtype or get_default_dtype()
        if self._transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(empty(*shape, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def _reversed_padding_repeated_twice(self) -> list:
        """F.pad's amounts (last dim first) for a non-zero padding_mode."""
        if self.padding == "valid":
            pads = [(0, 0)] * self._nd
        elif self.padding == "same":
            totals = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]
            pads = [(t // 2, t - t // 2) for t in totals]
        else:
            pads = [(p, p) for p in self.padding]
        return [v for lo_hi in reversed(pads) for v in lo_hi]

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, " \
            f"stride={self.stride}"
        if self.padding != (0,) * self._nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self._nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    _fn = staticmethod(C.conv2d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                         bias, padding_mode, device, dtype)

    def _conv_forward(self, input: Tensor, weight: Tensor, bias) -> Tensor:
        fn = type(self)._fn
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice(), mode=self.padding_mode)
            return fn(padded, weight, bias, self.stride, 0, self.dilation, self.groups)
        return fn(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    """1-D convolution: ``(N, C_in, L)`` -> ``(N, C_out, L_out)``; weight
    ``(C_out, C_in/groups, k)``, bias ``(C_out,)``."""
    _nd = 1
    _fn = staticmethod(C.conv1d)


class Conv2d(_Conv):
    """2-D convolution: ``(N, C_in, H, W)`` -> ``(N, C_out, H_out, W_out)`` with
    H_out = floor((H + 2P - D(k-1) - 1)/S) + 1; weight ``(C_out, C_in/groups, kh, kw)``."""
    _nd = 2
    _fn = staticmethod(C.conv2d)


class Conv3d(_Conv):
    """3-D convolution: ``(N, C_in, D, H, W)`` -> ``(N, C_out, D_out, H_out, W_out)``."""
    _nd = 3
    _fn = staticmethod(C.conv3d)


class _ConvTranspose(_ConvNd):
    _transposed = True
    _fn = staticmethod(C.conv_transpose2d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple, got "
                             f"{padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                         bias, padding_mode, device, dtype, output_padding=output_padding)

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        """``output_size`` (optional) picks among the sizes a strided transposed convolution can
        produce; it sets ``output_padding`` for this call."""
        op = type(self).__name__
        output_padding = self.output_padding
        if output_size is not None:
            output_padding = C._output_padding_for(op, output_size, tuple(input.shape[-self._nd:]),
                                                   self.kernel_size, self.stride, self.padding,
                                                   self.dilation)
        return type(self)._fn(input, self.weight, self.bias, self.stride, self.padding,
                              output_padding, self.groups, self.dilation)


class ConvTranspose1d(_ConvTranspose):
    """Transposed 1-D convolution: ``(N, C_in, L)`` -> ``(N, C_out, L_out)``,
    L_out = (L-1)S - 2P + D(k-1) + output_padding + 1; weight ``(C_in, C_out/groups, k)``."""
    _nd = 1
    _fn = staticmethod(C.conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """Transposed 2-D convolution; weight ``(C_in, C_out/groups, kh, kw)``."""
    _nd = 2
    _fn = staticmethod(C.conv_transpose2d)


class ConvTranspose3d(_ConvTranspose):
    """Transposed 3-D convolution; weight ``(C_in, C_out/groups, kd, kh, kw)``."""
    _nd = 3
    _fn = staticmethod(C.conv_transpose3d)
