"""Convolution: ``conv1d/2d/3d`` and ``conv_transpose1d/2d/3d`` with PyTorch's signatures.

Three ops cover everything, each the others' derivative:

- ``ConvNd(x, w, b)``: im2col of ``x`` (one slice copy per kernel offset) and one matrix product
  per group and batch chunk (``_conv_arrays.py``).
- ``ConvTransposeNd(x, w, b)``: the adjoint of ``ConvNd`` in its input: one matrix product with
  ``w``'s transpose, then col2im (one flat add per kernel offset, see ``_im2col.col2im_cm``).
- ``ConvWeight(x, gy)``: the weight gradient of ``ConvNd`` (bilinear in ``x`` and ``gy``).

d ConvNd / dx is ConvTransposeNd, d ConvNd / dw is ConvWeight; d ConvTransposeNd / dx is ConvNd,
d ConvTransposeNd / dw is ConvWeight with the roles swapped; ConvWeight's derivatives are ConvNd and
ConvTransposeNd. The recorded backwards are written with these ops, so second derivatives (a
gradient penalty through a convolutional network) work; ``backward_arrays`` runs the same array code
without recording.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor
from ._conv_arrays import (bias_grad_array, channel_major_grad, conv_array, conv_transpose_array,
                           conv_weight_array)
from ._im2col import conv_out_size, ntuple, release

def _bias_dims(g: Tensor) -> tuple:
    return (0,) + tuple(range(2, g.ndim))


class ConvNd(ArrayFunction):
    """``y = conv(x, w) + b`` for 1, 2 or 3 spatial dims (padding pairs may be asymmetric)."""

    @staticmethod
    def forward(ctx, x, w, b, stride, pads, dilation, groups, out_shape):
        need_x, need_w = ctx.needs_input_grad[:2]
        y, col = conv_array(x, w, groups, stride, pads, dilation, out_shape, b, keep_col=need_w)
        ctx.geom = (stride, pads, dilation, groups)
        ctx.x_spatial = x.shape[2:]
        ctx.x_channels = x.shape[1]
        ctx.kernel = w.shape[2:]
        ctx.col = col
        ctx.save_for_backward(x if need_w else None, w if need_x else None)
        return y

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        stride, pads, dilation, groups = ctx.geom
        gx = gw = gb = None
        if need_x:
            gx = ConvTransposeNd.apply(gy, w, None, stride, pads, dilation, groups, ctx.x_spatial)
        if need_w:
            gw = ConvWeight.apply(x, gy, ctx.kernel, stride, pads, dilation, groups)
        if need_b:
            gb = gy.sum(dim=_bias_dims(gy))
        return gx, gw, gb, None, None, None, None, None

    @staticmethod
    def backward_arrays(ctx, gy):
        x, w = ctx.saved_arrays
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        stride, pads, dilation, groups = ctx.geom
        gx = gw = gb = None
        gy_cm = channel_major_grad(gy, ctx.x_channels, groups)  # shared by all three gradients
        if need_x:
            gx = conv_transpose_array(gy, w, groups, stride, pads, dilation, ctx.x_spatial,
                                      x_cm=gy_cm)
        if need_w:
            gw = conv_weight_array(x, gy, ctx.kernel, groups, stride, pads, dilation, ctx.col,
                                   gy_cm)
            ctx.col = None
        if need_b:
            gb = bias_grad_array(gy, gy_cm)
        release(gy_cm)
        return gx, gw, gb, None, None, None, None, None


class ConvTransposeNd(ArrayFunction):
    """``y = conv_transpose(x, w) + b``: the adjoint of ``ConvNd`` mapping ``(N, O, *in)`` to
    ``(N, C, *spatial)``, with ``w`` ``(O, C/g, *k)`` (PyTorch's transposed-convolution layout)."""

    @staticmethod
    def forward(ctx, x, w, b, stride, pads, dilation, groups, spatial):
        need_x, need_w = ctx.needs_input_grad[:2]
        ctx.geom = (stride, pads, dilation, groups)
        ctx.x_spatial = x.shape[2:]
        ctx.kernel = w.shape[2:]
        ctx.save_for_backward(x if need_w else None, w if need_x else None)
        return conv_transpose_array(x, w, groups, stride, pads, dilation, spatial, b)

    @staticmethod
    def backward(ctx, gz):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        stride, pads, dilation, groups = ctx.geom
        gx = gw = gb = None
        if need_x:
            gx = ConvNd.apply(gz, w, None, stride, pads, dilation, groups, ctx.x_spatial)
        if need_w:
            gw = ConvWeight.apply(gz, x, ctx.kernel, stride, pads, dilation, groups)
        if need_b:
            gb = gz.sum(dim=_bias_dims(gz))
        return gx, gw, gb, None, None, None, None, None

    @staticmethod
    def backward_arrays(ctx, gz):
        x, w = ctx.saved_arrays
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        stride, pads, dilation, groups = ctx.geom
        gx = gw = gb = col = None
        if need_x:  # the columns of gz serve the weight gradient too: built once
            gx, col = conv_array(gz, w, groups, stride, pads, dilation, ctx.x_spatial,
                                 keep_col=need_w)
        if need_w:
            gw = conv_weight_array(gz, x, ctx.kernel, groups, stride, pads, dilation, col)
        if need_b:
            gb = bias_grad_array(gz)
        return gx, gw, gb, None, None, None, None, None


class ConvWeight(ArrayFunction):
    """The weight gradient of ``conv(x, w)`` given the output gradient ``gy``."""

    @staticmethod
    def forward(ctx, x, gy, kernel, stride, pads, dilation, groups):
        need_x, need_gy = ctx.needs_input_grad[:2]
        ctx.geom = (stride, pads, dilation, groups)
        ctx.x_spatial = x.shape[2:]
        ctx.y_spatial = gy.shape[2:]
        ctx.save_for_backward(x if need_gy else None, gy if need_x else None)
        return conv_weight_array(x, gy, kernel, groups, stride, pads, dilation)

    @staticmethod
    def backward(ctx, ggw):
        x, gy = ctx.saved_tensors
        need_x, need_gy = ctx.needs_input_grad[:2]
        stride, pads, dilation, groups = ctx.geom
        gx = ggy = None
        if need_x:
            gx = ConvTransposeNd.apply(gy, ggw, None, stride, pads, dilation, groups, ctx.x_spatial)
        if need_gy:
            ggy = ConvNd.apply(x, ggw, None, stride, pads, dilation, groups, ctx.y_spatial)
        return gx, ggy, None, None, None, None, None


# ------------------------------------------------------------------------ argument checking
def _shape(t) -> list:
    return list(t.shape)


def _check_common(op, input, weight, bias, nd, groups):
    for name, t in (("input", input), ("weight", weight)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
    if bias is not None and not isinstance(bias, Tensor):
        raise TypeError(f"{op}: bias must be a Tensor or None, got {type(bias).__name__}")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"{op}: Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input, but got input of "
            f"size: {_shape(input)}")
    if weight.ndim != nd + 2:
        raise RuntimeError(
            f"{op}: expected a {nd + 2}D weight, but got weight of size {_shape(weight)}")
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive integer, got {groups!r}")
    if input.dtype != weight.dtype or (bias is not None and bias.dtype != weight.dtype):
        raise RuntimeError(
            f"{op}: input, weight and bias must have the same dtype, got input {input.dtype}, "
            f"weight {weight.dtype}" + (f", bias {bias.dtype}" if bias is not None else ""))
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got {input.dtype}")


def _check_kernel_fits(op, spatial, kernel, pads, dilation, in_shape):
    padded = [s + lo + hi for s, (lo, hi) in zip(spatial, pads)]
    eff = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(
            f"{op}: Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(map(str, eff))}). Kernel size can't be greater than actual "
            f"input size (input shape {tuple(in_shape)})")


def _pads(op, padding, kernel, stride, dilation, nd):
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
            totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
            return tuple((t // 2, t - t // 2) for t in totals)
        raise ValueError(f"{op}: Invalid padding string {padding!r}, should be one of "
                         "{'valid', 'same'}")
    p = ntuple(padding, nd, "padding", op)
    if any(v < 0 for v in p):
        raise RuntimeError(f"{op}: negative padding is not supported, got {p}")
    return tuple((v, v) for v in p)


def _positive(op, name, values):
    if any(v < 1 for v in values):
        raise RuntimeError(f"{op}: {name} should be greater than zero, got {values}")


def _conv(op, nd, input, weight, bias, stride, padding, dilation, groups):
    _check_common(op, input, weight, bias, nd, groups)
    unbatched = input.ndim == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    stride = ntuple(stride, nd, "stride", op)
    dilation = ntuple(dilation, nd, "dilation", op)
    _positive(op, "stride", stride)
    _positive(op, "dilation", dilation)
    kernel = tuple(weight.shape[2:])
    pads = _pads(op, padding, kernel, stride, dilation, nd)
    c = x.shape[1]
    o = weight.shape[0]
    if o % groups:
        raise RuntimeError(
            f"{op}: Given groups={groups}, expected weight to be divisible by {groups} at dimension "
            f"0, but got weight of size {_shape(weight)} instead")
    if weight.shape[1] * groups != c:
        raise RuntimeError(
            f"{op}: Given groups={groups}, weight of size {_shape(weight)}, expected input"
            f"{_shape(x)} to have {weight.shape[1] * groups} channels, but got {c} channels instead")
    if bias is not None and tuple(bias.shape) != (o,):
        raise RuntimeError(f"{op}: expected bias of shape ({o},), got {tuple(bias.shape)}")
    spatial = tuple(x.shape[2:])
    _check_kernel_fits(op, spatial, kernel, pads, dilation, x.shape)
    out_shape = tuple(conv_out_size(s, k, st, lo, hi, d) for s, k, st, (lo, hi), d
                      in zip(spatial, kernel, stride, pads, dilation))
    y = ConvNd.apply(x, weight, bias, stride, pads, dilation, int(groups), out_shape)
    return y.squeeze(0) if unbatched else y


def _conv_transpose(op, nd, input, weight, bias, stride, padding, output_padding, groups,
                    dilation, output_size=None):
    _check_common(op, input, weight, bias, nd, groups)
    unbatched = input.ndim == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    stride = ntuple(stride, nd, "stride", op)
    dilation = ntuple(dilation, nd, "dilation", op)
    padding = ntuple(padding, nd, "padding", op)
    _positive(op, "stride", stride)
    _positive(op, "dilation", dilation)
    if any(p < 0 for p in padding):
        raise RuntimeError(f"{op}: negative padding is not supported, got {padding}")
    kernel = tuple(weight.shape[2:])
    spatial_in = tuple(x.shape[2:])
    if output_size is not None:
        output_padding = _output_padding_for(op, output_size, spatial_in, kernel, stride, padding,
                                             dilation)
    output_padding = ntuple(output_padding, nd, "output_padding", op)
    for op_, s, d in zip(output_padding, stride, dilation):
        if op_ < 0 or (op_ >= s and op_ >= d):
            raise RuntimeError(
                f"{op}: output padding must be smaller than either stride or dilation, but got "
                f"output_padding={output_padding}, stride={stride}, dilation={dilation}")
    c = x.shape[1]
    if weight.shape[0] != c:
        raise RuntimeError(
            f"{op}: Given transposed=1, weight of size {_shape(weight)}, expected input{_shape(x)} "
            f"to have {weight.shape[0]} channels, but got {c} channels instead")
    if c % groups:
        raise RuntimeError(
            f"{op}: Given groups={groups}, expected weight to be divisible by {groups} at dimension "
            f"0, but got weight of size {_shape(weight)} instead")
    c_out = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (c_out,):
        raise RuntimeError(f"{op}: expected bias of shape ({c_out},), got {tuple(bias.shape)}")
    out = tuple((i - 1) * s - 2 * p + d * (k - 1) + q + 1 for i, s, p, d, k, q
                in zip(spatial_in, stride, padding, dilation, kernel, output_padding))
    if any(v < 1 for v in out):
        raise RuntimeError(
            f"{op}: the output size {out} is too small (input shape {tuple(x.shape)}, kernel "
            f"{kernel}, stride {stride}, padding {padding}, dilation {dilation})")
    pads = tuple((p, p) for p in padding)
    y = ConvTransposeNd.apply(x, weight, bias, stride, pads, dilation, int(groups), out)
    return y.squeeze(0) if unbatched else y


def _output_padding_for(op, output_size, spatial_in, kernel, stride, padding, dilation):
    size = list(output_size)[-len(kernel):]
    result = []
    for want, i, k, s, p, d in zip(size, spatial_in, kernel, stride, padding, dilation):
        smallest = (i - 1) * s - 2 * p + d * (k - 1) + 1
        if not smallest <= want < smallest + s:
            raise ValueError(
                f"{op}: requested an output size of {tuple(size)}, but valid sizes range from "
                f"{smallest} to {smallest + s - 1} (for an input of {tuple(spatial_in)})")
        result.append(want - smallest)
    return tuple(result)


# ------------------------------------------------------------------------------ public API
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution. input ``(N, C, L)`` or ``(C, L)``, weight ``(O, C/groups, k)``, bias ``(O,)``
    -> ``(N, O, L_out)`` with L_out = floor((L + 2P - D(k-1) - 1)/S) + 1. ``padding`` may be an int,
    a tuple, 'valid' or 'same'."""
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution. input ``(N, C, H, W)`` or ``(C, H, W)``, weight ``(O, C/groups, kh, kw)``,
    bias ``(O,)`` -> ``(N, O, H_out, W_out)``."""
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution. input ``(N, C, D, H, W)``, weight ``(O, C/groups, kd, kh, kw)``."""
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 1-D convolution (the gradient of conv1d in its input). input ``(N, C_in, L)``,
    weight ``(C_in, C_out/groups, k)`` -> ``(N, C_out, (L-1)S - 2P + D(k-1) + output_padding + 1)``."""
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 2-D convolution. input ``(N, C_in, H, W)``, weight ``(C_in, C_out/groups, kh, kw)``."""
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 3-D convolution. input ``(N, C_in, D, H, W)``, weight
    ``(C_in, C_out/groups, kd, kh, kw)``."""
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]
