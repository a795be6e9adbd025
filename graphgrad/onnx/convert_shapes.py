"""Converters of ops that move data around or reduce it: reshape and permute, indexing, padding,
joining and splitting, sums, means and extremes."""
from __future__ import annotations

import numpy as np

from ..ops.indexing import BasicIndex
from ..ops.joining import Cat, Flip, Split, Stack, Unbind
from ..ops.nn_misc import ConstantPad, ModePad
from ..ops.reduce import Mean, Sum
from ..ops.reductions import Cumsum, Extreme, ExtremeDim
from ..ops.views import Expand, Permute, Reshape
from .graph import converts, reshape_target

_BIG = np.iinfo(np.int64).max  # an ONNX Slice bound past the end of any axis


@converts(Reshape, varying=(1,))
def reshape(site):
    target = reshape_target(site, site.inputs[0], site.call.outputs[0])
    site.out("Reshape", [site.input(0), site.g.ints(target)])


@converts(Permute)
def permute(site):
    site.out("Transpose", [site.input(0)], perm=[int(d) for d in site.args[1]])


@converts(Expand, varying=(1,))
def expand(site):
    in_v, out_v = site.inputs[0], site.call.outputs[0]
    in1, in2 = in_v.shape, site.g.shape2(in_v)
    lead = len(out_v.shape) - len(in1)
    target = []
    for i, (a, b) in enumerate(zip(out_v.shape, site.g.shape2(out_v))):
        j = i - lead
        if a == b:
            target.append(a)
        elif j >= 0 and in1[j] == a and in2[j] == b:
            target.append(1)  # 1 keeps the input's own (dynamic) size
        else:
            raise site.error(f"it broadcasts {in1} to {out_v.shape}, a size that follows the "
                             "input's dynamic axes")
    site.out("Expand", [site.input(0), site.g.ints(target)])


@converts(BasicIndex)
def basic_index(site):
    """``x[ints, slices, None, ...]``: one Slice, then a Squeeze of the integer axes, then an
    Unsqueeze for each None."""
    index = site.args[1] if isinstance(site.args[1], tuple) else (site.args[1],)
    ndim = len(site.shape(0))
    if any(item is Ellipsis for item in index):
        k = index.index(Ellipsis)
        real = sum(1 for item in index if item is not None and item is not Ellipsis)
        index = index[:k] + (slice(None),) * (ndim - real) + index[k + 1:]
    index = index + (slice(None),) * (ndim - sum(1 for item in index if item is not None))
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    axis = out_axis = 0
    for item in index:
        if item is None:
            unsqueeze.append(out_axis)
            out_axis += 1
            continue
        if isinstance(item, slice):
            if item != slice(None):
                step = 1 if item.step is None else int(item.step)
                lo_default, hi_default = (0, _BIG) if step > 0 else (-1, -_BIG)
                starts.append(lo_default if item.start is None else int(item.start))
                ends.append(hi_default if item.stop is None else int(item.stop))
                axes.append(axis)
                steps.append(step)
            out_axis += 1
        else:  # an integer: a slice of one, squeezed away
            i = int(item)
            starts.append(i)
            ends.append(i + 1 if i != -1 else _BIG)
            axes.append(axis)
            steps.append(1)
            squeeze.append(axis)
        axis += 1
    g = site.g
    y = [site.input(0)]
    if axes:
        y = g.emit("Slice", y + [g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)])
    if squeeze:
        y = g.emit("Squeeze", y + [g.ints(squeeze)])
    if unsqueeze:
        y = g.emit("Unsqueeze", y + [g.ints(unsqueeze)])
    site.out_as(y)


@converts(ConstantPad)
def constant_pad(site):
    _, pads, value = site.args
    g = site.g
    y = [site.input(0)]
    if any(lo < 0 or hi < 0 for lo, hi in pads):  # negative amounts crop
        axes = [i for i, (lo, hi) in enumerate(pads) if lo < 0 or hi < 0]
        starts = [max(-pads[i][0], 0) for i in axes]
        ends = [pads[i][1] if pads[i][1] < 0 else _BIG for i in axes]
        y = g.emit("Slice", y + [g.ints(starts), g.ints(ends), g.ints(axes)])
    widths = [max(lo, 0) for lo, _ in pads] + [max(hi, 0) for _, hi in pads]
    if any(widths):
        fill = g.const(np.asarray(value, dtype=site.dtype()), "pad_value")
        y = g.emit("Pad", y + [g.ints(widths), fill], mode="constant")
    site.out_as(y)


@converts(ModePad)
def mode_pad(site):
    _, pads, mode = site.args
    onnx_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    if onnx_mode == "wrap" and site.g.opset < 19:
        raise site.error("circular padding needs opset_version 19 or later")
    widths = [lo for lo, _ in pads] + [hi for _, hi in pads]
    site.out("Pad", [site.input(0), site.g.ints(widths)], mode=onnx_mode)


@converts(Cat)
def cat(site):
    dtype = site.dtype()
    site.out("Concat", [site.operand(i, dtype) for i in range(len(site.args))],
             axis=int(site.kwargs["dim"]))


@converts(Stack)
def stack(site):
    g, dim, dtype = site.g, int(site.kwargs["dim"]), site.dtype()
    axes = g.ints([dim])
    parts = [g.emit("Unsqueeze", [site.operand(i, dtype), axes])[0] for i in range(len(site.args))]
    site.out("Concat", parts, axis=dim)


def _named_outputs(site) -> list:
    """This op's output names, with fresh ones for unused outputs (ONNX Split needs them all)."""
    return [name or site.g.fresh("unused") for name in site.outputs]


@converts(Split)
def split(site):
    _, dim, sizes = site.args
    site.g.emit("Split", [site.input(0), site.g.ints(sizes)], _named_outputs(site), axis=int(dim))


@converts(Unbind)
def unbind(site):
    g, dim = site.g, int(site.args[1])
    n = site.static("number of slices", site.shape(0)[dim], g.shape2(site.inputs[0])[dim])
    pieces = g.emit("Split", [site.input(0), g.ints([1] * n)], n, axis=dim)
    axes = g.ints([dim])
    for piece, name in zip(pieces, site.outputs):
        if name:
            g.emit("Squeeze", [piece, axes], [name])


@converts(Flip)
def flip(site):
    dims = [int(d) for d in site.args[1]]
    g = site.g
    if not dims:
        site.out_as([site.input(0)])
        return
    site.out("Slice", [site.input(0), g.ints([-1] * len(dims)), g.ints([-_BIG] * len(dims)),
                       g.ints(dims), g.ints([-1] * len(dims))])


def _reduce(site, op_type, x, axes, keepdim, outputs=None):
    inputs = [x] if axes is None else [x, site.g.ints(axes)]
    return site.g.emit(op_type, inputs, outputs or site.outputs, keepdims=int(bool(keepdim)))


@converts(Sum)
def sum_(site):
    _, axes, keepdim, _ = site.args
    x = site.input(0)
    if site.dtype(0) != site.dtype():
        x = site.cast(x, site.dtype())
    _reduce(site, "ReduceSum", x, axes, keepdim)


@converts(Mean)
def mean(site):
    _reduce(site, "ReduceMean", site.input(0), site.args[1], site.args[2])


@converts(Extreme)
def extreme(site):
    _, axes, keepdim, largest = site.args
    _reduce(site, "ReduceMax" if largest else "ReduceMin", site.input(0), axes, keepdim)


@converts(ExtremeDim)
def extreme_dim(site):
    _, axis, keepdim, largest = site.args
    values, indices = site.outputs
    x = site.input(0)
    if values:
        _reduce(site, "ReduceMax" if largest else "ReduceMin", x, [axis], keepdim, [values])
    if indices:
        site.g.emit("ArgMax" if largest else "ArgMin", [x], [indices], axis=int(axis),
                    keepdims=int(bool(keepdim)))


@converts(Cumsum)
def cumsum(site):
    x = site.input(0)
    if site.dtype(0) != site.dtype():
        x = site.cast(x, site.dtype())
    site.out("CumSum", [x, site.g.const(np.asarray(int(site.args[1]), np.int64), "axis")])
