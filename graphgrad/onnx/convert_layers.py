"""Converters of the layer ops: linear and matrix products, convolutions, pooling, normalisation,
local response normalisation and embedding lookups."""
from __future__ import annotations

import math

import numpy as np

from ..ops.conv import ConvNd, ConvTransposeNd
from ..ops.linalg import Matmul
from ..ops.nn_misc import Linear
from ..ops.norm import Embedding, LocalResponseNorm, Normalize
from ..ops.pool import MaxPoolNd, WindowSum
from .graph import converts, shape_target


def _onnx_pads(pairs) -> list:
    """graphgrad's ((lo, hi), ...) per spatial dim -> ONNX's [lo..., hi...]."""
    return [int(lo) for lo, _ in pairs] + [int(hi) for _, hi in pairs]


@converts(Linear)
def linear(site):
    x, w = site.input(0), site.input(1)
    b = [site.input(2)] if site.has(2) else []
    if len(site.shape(0)) == 2:
        site.out("Gemm", [x, w] + b, transB=1)
        return
    g = site.g
    y = g.emit("MatMul", [x, g.emit("Transpose", [w], perm=[1, 0])[0]])
    if b:
        site.out("Add", y + b)
    else:
        site.out_as(y)


@converts(Matmul)
def matmul(site):
    site.out("MatMul", [site.input(0), site.input(1)])


@converts(ConvNd, varying=(7,))
def conv(site):
    _, _, _, stride, pads, dilation, groups, _ = site.args
    inputs = [site.input(0), site.input(1)] + ([site.input(2)] if site.has(2) else [])
    site.out("Conv", inputs, strides=list(stride), pads=_onnx_pads(pads), dilations=list(dilation),
             group=int(groups), kernel_shape=list(site.shape(1)[2:]))


@converts(ConvTransposeNd, varying=(7,))
def conv_transpose(site):
    _, _, _, stride, pads, dilation, groups, _ = site.args
    kernel = site.shape(1)[2:]

    def output_padding(spatial, in_shape):
        # graphgrad gives the output size; ONNX takes the extra rows at the end as output_padding
        return [o - ((i - 1) * s + d * (k - 1) + 1 - lo - hi) for o, i, s, d, k, (lo, hi)
                in zip(spatial, in_shape[2:], stride, dilation, kernel, pads)]

    extra = site.static("output padding", output_padding(site.args[7], site.shape(0)),
                        output_padding(site.call2.args[7], site.g.shape2(site.inputs[0])))
    inputs = [site.input(0), site.input(1)] + ([site.input(2)] if site.has(2) else [])
    site.out("ConvTranspose", inputs, strides=list(stride), pads=_onnx_pads(pads),
             dilations=list(dilation), group=int(groups), kernel_shape=list(kernel),
             output_padding=extra)


@converts(MaxPoolNd, varying=(5,))
def max_pool(site):
    _, kernel, stride, pads, dilation, _, _ = site.args
    if len(site.outputs) > 1 and site.outputs[1]:
        raise site.error("max pooling's indices (return_indices=True) are used; ONNX numbers them "
                         "differently")
    site.g.emit("MaxPool", [site.input(0)], site.outputs[:1], kernel_shape=list(kernel),
                strides=list(stride), pads=_onnx_pads(pads), dilations=list(dilation))


@converts(WindowSum, varying=(5,))
def window_sum(site):
    """Average pooling (and adaptive average pooling with even windows): ``scale`` times the sum
    of each window; ONNX's AveragePool gives the sum over the kernel size, so the rest of the
    scale (divisors that exclude padding, or a divisor override) is one Mul."""
    g = site.g
    _, scale, kernel, stride, pads, _ = site.args
    avg = g.emit("AveragePool", [site.input(0)], kernel_shape=list(kernel), strides=list(stride),
                 pads=_onnx_pads(pads), count_include_pad=1)
    rest = np.asarray(scale, dtype=np.float64) * math.prod(kernel)
    if np.allclose(rest, 1.0, rtol=1e-6, atol=0):
        site.out_as(avg)
    else:
        site.out("Mul", avg + [g.const(rest.astype(site.dtype()), "pool_scale")])


@converts(Normalize, varying=(3, 7))  # 7: statistics, checked below when used
def normalize(site):
    """Batch norm on running statistics is ONNX's BatchNormalization; statistics of the input
    itself (layer, group and instance norm, batch norm without running statistics) are written
    out as means over ``axes`` of the input viewed as ``view``."""
    _, _, _, view, axes, pshape, eps, stats, batch_stats = site.args
    if stats is not None and not batch_stats:
        site.check_arg(7)
        _batch_norm_eval(site, stats, eps)
        return
    g = site.g
    x = site.input(0)
    xv = x if tuple(view) == site.shape(0) else g.emit(
        "Reshape", [x, g.ints(shape_target(site, site.inputs[0], view, site.call2.args[3]))])[0]
    axes_c = g.ints(axes)
    centred = g.emit("Sub", [xv, g.emit("ReduceMean", [xv, axes_c], keepdims=1)[0]])[0]
    var = g.emit("ReduceMean", [g.emit("Mul", [centred, centred])[0], axes_c], keepdims=1)
    eps_c = g.const(np.asarray(eps, dtype=site.dtype(0)), "eps")
    y = g.emit("Div", [centred, g.emit("Sqrt", g.emit("Add", var + [eps_c]))[0]])
    if tuple(view) != site.shape(0):
        target = shape_target(site, site.inputs[0], site.shape(0), g.shape2(site.inputs[0]))
        y = g.emit("Reshape", y + [g.ints(target)])
    _affine(site, y, pshape)


def _affine(site, y, pshape):
    g = site.g
    for i, op in ((1, "Mul"), (2, "Add")):
        if site.has(i):
            p = site.input(i)
            if site.shape(i) != tuple(pshape):
                p = g.emit("Reshape", [p, g.ints(pshape)])[0]
            y = g.emit(op, y + [p])
    site.out_as(y)


def _batch_norm_eval(site, stats, eps):
    g = site.g
    mean, invstd = (np.asarray(s) for s in stats)
    c = site.shape(0)[1]
    module = site.module()
    running = [getattr(module, k, None) for k in ("running_mean", "running_var")]
    named = all(r is not None and tuple(r.shape) == (c,) for r in running) and np.array_equal(
        running[0].numpy().reshape(-1).astype(mean.dtype), mean.reshape(-1))
    if not named or getattr(module, "eps", None) != eps:  # not a BatchNorm module's own statistics
        centred = g.emit("Sub", [site.input(0), g.const(mean, "mean")])
        y = g.emit("Mul", centred + [g.const(invstd, "invstd")])
        _affine(site, y, (1, c) + (1,) * (len(site.shape(0)) - 2))
        return
    path = site.call.module[0]
    dtype = site.dtype(0)
    scale = site.input(1) if site.has(1) else g.const(np.ones(c, dtype), "ones")
    shift = site.input(2) if site.has(2) else g.const(np.zeros(c, dtype), "zeros")
    stat_names = []
    for key, r in zip(("running_mean", "running_var"), running):
        name = f"{path}.{key}" if path else key
        g.initializers.setdefault(name, r.numpy().astype(dtype))
        stat_names.append(name)
    site.out("BatchNormalization", [site.input(0), scale, shift] + stat_names, epsilon=float(eps))


@converts(LocalResponseNorm)
def local_response_norm(site):
    _, size, alpha, beta, k = site.args
    if size % 2 == 0:  # ONNX centres an even window one channel later than PyTorch does
        raise site.error(f"local response norm with an even size ({size}) has no ONNX equivalent")
    site.out("LRN", [site.input(0)], size=int(size), alpha=float(alpha), beta=float(beta),
             bias=float(k))


@converts(Embedding, varying=(2,))  # 2: how gradients are scaled
def embedding(site):
    if not site.has(1):
        site.out("Gather", [site.input(0), site.g.const(np.asarray(site.args[1]), "indices")], axis=0)
        return
    site.out("Gather", [site.input(0), site.input(1)], axis=0)
