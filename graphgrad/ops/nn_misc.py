"""Layer building blocks of ``nn.functional``: the fused ``linear``, ``dropout`` (and its
channel-wise forms), ``one_hot``, ``pad`` (constant, reflect, replicate, circular), ``normalize``,
``cosine_similarity`` and ``pairwise_distance``."""
from __future__ import annotations

import warnings

import numpy as np

from .. import backend
from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor
from .arithmetic import apply_inplace
from ._util import broadcast_shapes_checked, wrap_dim


def _fmt(shape) -> str:
    return "x".join(str(s) for s in shape) if shape else "scalar"


# ------------------------------------------------------------------------ linear
class Linear(ArrayFunction):
    """``x @ W.T + b`` in one node: ``x (*, in)``, ``W (out, in)``, ``b (out,)`` or None."""

    @staticmethod
    def forward(ctx, x, w, b):
        need_x, need_w, _ = ctx.needs_input_grad
        ctx.save_for_backward(x if need_w else None, w if need_x else None)
        ctx.x_shape = x.shape
        if x.ndim > 2:  # one 2-D product instead of a batched one
            out = (x.reshape(-1, x.shape[-1]) @ w.T).reshape(x.shape[:-1] + (w.shape[0],))
        else:
            out = x @ w.T
        if b is not None:
            out += b
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        n_out = g.shape[-1] if g.ndim else 1
        g2 = g.reshape(-1, n_out)
        grad_x = (g2 @ w).reshape(ctx.x_shape) if need_x else None
        grad_w = g2.t() @ x.reshape(-1, x.shape[-1]) if need_w else None
        grad_b = g2.sum(0) if need_b else None
        return grad_x, grad_w, grad_b

    @staticmethod
    def backward_arrays(ctx, g):
        x, w = ctx.saved_arrays
        need_x, need_w, need_b = ctx.needs_input_grad
        g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
        grad_x = (g2 @ w).reshape(ctx.x_shape) if need_x else None
        grad_w = g2.T @ x.reshape(-1, x.shape[-1]) if need_w else None
        grad_b = g2.sum(axis=0) if need_b else None
        return grad_x, grad_w, grad_b


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``. Shapes: input ``(*, in)``, weight ``(out, in)``, bias
    ``(out,)``; result ``(*, out)``."""
    for name, t in (("input", input), ("weight", weight), ("bias", bias)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"linear: {name} must be a Tensor, got {type(t).__name__}")
    xs, ws = tuple(input._data.shape), tuple(weight._data.shape)
    if weight._data.ndim != 2 or input._data.ndim == 0:
        raise RuntimeError(f"linear: expected input (*, in) and a 2-D weight (out, in), got input "
                           f"{xs} and weight {ws}")
    if xs[-1] != ws[1]:
        rows = int(np.prod(xs[:-1])) if len(xs) > 1 else 1
        raise RuntimeError(f"linear: mat1 and mat2 shapes cannot be multiplied ({rows}x{xs[-1]} "
                           f"and {ws[1]}x{ws[0]}) (input {xs}, weight {ws}: in_features must "
                           "match)")
    dtypes = {input._data.dtype, weight._data.dtype}
    if bias is not None:
        if bias._data.shape not in ((ws[0],), ()):
            raise RuntimeError(f"linear: bias of shape {tuple(bias._data.shape)} does not match "
                               f"weight {ws} (expected ({ws[0]},))")
        dtypes.add(bias._data.dtype)
    if len(dtypes) > 1:
        got = ", ".join(str(t._data.dtype) for t in (input, weight, bias) if t is not None)
        raise RuntimeError(f"linear: expected input, weight and bias of the same dtype, got {got}")
    return Linear.apply(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y_k = x1 @ W_k @ x2 + b_k``. Shapes: ``(*, in1)``, ``(*, in2)``, weight
    ``(out, in1, in2)``, bias ``(out,)``; result ``(*, out)``."""
    from .einsum import einsum

    out = einsum("...i,kij,...j->...k", input1, weight, input2)
    return out + bias if bias is not None else out


# ----------------------------------------------------------------------- dropout
class Dropout(ArrayFunction):
    """Multiply by a mask of 0 (probability ``p``) and ``1 / (1 - p)``; the mask has ``mask_shape``
    (the input's, or ``(N, C, 1, ...)`` for channel-wise dropout) and broadcasts."""

    @staticmethod
    def forward(ctx, x, p, mask_shape):
        rng = backend.rng()
        if p >= 1:
            mask = np.zeros(mask_shape, dtype=x.dtype)
        else:
            mask = (rng.random(mask_shape, dtype=np.float32 if x.dtype == np.float32
                               else np.float64) >= p).astype(x.dtype)
            mask *= x.dtype.type(1.0 / (1.0 - p))
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        return g * mask, None, None

    @staticmethod
    def backward_arrays(ctx, g):
        (mask,) = ctx.saved_arrays
        return g * mask, None, None


def _dropout(input, p, training, inplace, mask_shape, op):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a Tensor as input, got {type(input).__name__}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")
    if input._data.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point tensor, got {input._data.dtype}")
    if not training or p == 0:
        return input
    result = Dropout.apply(input, float(p), mask_shape)
    return apply_inplace(input, result, op + "_") if inplace else result


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` (only when
    ``training``). Draws from graphgrad's seeded generator (``graphgrad.manual_seed``)."""
    return _dropout(input, p, training, inplace, tuple(input.shape), "dropout")


def _feature_dropout(input, p, training, inplace, spatial, op):
    nd = input.ndim
    if nd not in (spatial + 1, spatial + 2):
        raise RuntimeError(f"{op}: expected {spatial + 1}-D or {spatial + 2}-D input, got shape "
                           f"{tuple(input.shape)}")
    lead = tuple(input.shape[: nd - spatial])
    return _dropout(input, p, training, inplace, lead + (1,) * spatial, op)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of ``(N, C, L)`` or ``(C, L)`` input with probability ``p``."""
    return _feature_dropout(input, p, training, inplace, 1, "dropout1d")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of ``(N, C, H, W)`` input with probability ``p``.

    As PyTorch: a 3-D input is taken as ``(N, C, L)`` (channel-wise 1-D dropout), and any other
    rank is accepted with a deprecation warning and masked per ``(N, C)`` pair (for a 2-D input,
    elementwise); fewer than 2 dims is an error."""
    if not isinstance(input, Tensor):
        raise TypeError(f"dropout2d: expected a Tensor as input, got {type(input).__name__}")
    nd = input.ndim
    if nd not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and will result "
            "in an error in a future release. To retain the behavior and silence this warning, "
            "please use dropout instead. Note that dropout2d exists to provide channel-wise "
            "dropout on inputs with 2 spatial dimensions, a channel dimension, and an optional "
            "batch dimension (i.e. 3D or 4D inputs).", UserWarning, stacklevel=2)
    if nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                      "1D dropout behavior is desired - input is interpreted as shape (N, C, L), "
                      "where C is the channel dim. This behavior will change in a future release "
                      "to interpret the input as one without a batch dimension, i.e. shape "
                      "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch "
                      "to using dropout1d instead.", UserWarning, stacklevel=2)
    if nd < 2:
        raise RuntimeError("dropout2d: Feature dropout requires at least 2 dimensions in the input "
                           f"(got shape {tuple(input.shape)})")
    mask_shape = tuple(input.shape[:2]) + (1,) * (nd - 2)
    return _dropout(input, p, training, inplace, mask_shape, "dropout2d")


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input with probability
    ``p``."""
    return _feature_dropout(input, p, training, inplace, 3, "dropout3d")


# ----------------------------------------------------------------------- one_hot
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding: shape ``(*)`` of class indices gives ``(*, num_classes)``."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"one_hot: expected a Tensor, got {type(tensor).__name__}")
    t = tensor._data
    if t.dtype != np.int64:
        raise TypeError(f"one_hot: expected an index tensor of dtype int64, got "
                        f"{tensor._data.dtype} of shape {tuple(t.shape)}")
    if num_classes == -1:
        if t.size == 0:
            raise RuntimeError("one_hot: can not infer total number of classes from empty tensor; "
                               "pass num_classes")
        num_classes = int(t.max()) + 1
    if t.size and t.min() < 0:
        raise RuntimeError(f"one_hot: class values must be non-negative, got {int(t.min())}")
    if t.size and t.max() >= num_classes:
        raise RuntimeError(f"one_hot: class values must be smaller than num_classes "
                           f"({num_classes}), got {int(t.max())}")
    return Tensor._make((t[..., None] == np.arange(num_classes)).astype(np.int64))


# --------------------------------------------------------------------------- pad
def _slices(ndim, axis, start, stop):
    idx = [slice(None)] * ndim
    idx[axis] = slice(start, stop)
    return tuple(idx)


def _constant_pad_array(x, pads, value):
    """Pad (positive amounts) or crop (negative amounts) every dimension; ``pads[i] = (l, r)``."""
    crop = tuple(slice(max(-l, 0), x.shape[i] - max(-r, 0)) for i, (l, r) in enumerate(pads))
    x = x[crop]
    widths = [(max(l, 0), max(r, 0)) for l, r in pads]
    if not any(l or r for l, r in widths):
        return np.array(x, copy=True)
    return np.pad(x, widths, mode="constant", constant_values=value)


class ConstantPad(ArrayFunction):
    """Constant padding (negative amounts crop). Its adjoint is the same op with negated amounts."""

    @staticmethod
    def forward(ctx, x, pads, value):
        ctx.pads = pads
        return _constant_pad_array(x, pads, value)

    @staticmethod
    def backward(ctx, g):
        return ConstantPad.apply(g, tuple((-l, -r) for l, r in ctx.pads), 0), None, None

    @staticmethod
    def backward_arrays(ctx, g):
        return _constant_pad_array(g, tuple((-l, -r) for l, r in ctx.pads), 0), None, None


_NP_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _mode_pad_adjoint_array(g, pads, mode):
    """The transpose of reflect/replicate/circular padding: fold the border back onto the core."""
    nd = g.ndim
    for axis, (l, r) in enumerate(pads):
        if not (l or r):
            continue
        n = g.shape[axis] - l - r
        core = np.array(g[_slices(nd, axis, l, l + n)], copy=True)
        left = g[_slices(nd, axis, 0, l)]
        right = g[_slices(nd, axis, l + n, None)]
        if mode == "reflect":
            core[_slices(nd, axis, 1, l + 1)] += np.flip(left, axis)
            core[_slices(nd, axis, n - 1 - r, n - 1)] += np.flip(right, axis)
        elif mode == "replicate":
            core[_slices(nd, axis, 0, 1)] += left.sum(axis=axis, keepdims=True)
            core[_slices(nd, axis, n - 1, n)] += right.sum(axis=axis, keepdims=True)
        else:  # circular
            core[_slices(nd, axis, n - l, n)] += left
            core[_slices(nd, axis, 0, r)] += right
        g = core
    return g


class ModePad(ArrayFunction):
    """Reflect, replicate or circular padding; backward is ``ModePadAdjoint`` (and vice versa)."""

    @staticmethod
    def forward(ctx, x, pads, mode):
        ctx.pads, ctx.mode = pads, mode
        return np.pad(x, pads, mode=_NP_MODES[mode])

    @staticmethod
    def backward(ctx, g):
        return ModePadAdjoint.apply(g, ctx.pads, ctx.mode), None, None

    @staticmethod
    def backward_arrays(ctx, g):
        return _mode_pad_adjoint_array(g, ctx.pads, ctx.mode), None, None


class ModePadAdjoint(ArrayFunction):
    @staticmethod
    def forward(ctx, g, pads, mode):
        ctx.pads, ctx.mode = pads, mode
        return _mode_pad_adjoint_array(g, pads, mode)

    @staticmethod
    def backward(ctx, gg):
        return ModePad.apply(gg, ctx.pads, ctx.mode), None, None


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad ``input``; ``pad = (left_last, right_last, left_2nd_last, right_2nd_last, ...)`` pairs
    from the last dimension backwards, as in PyTorch. ``mode``: 'constant' (negative amounts crop),
    'reflect', 'replicate' or 'circular'."""
    if not isinstance(input, Tensor):
        raise TypeError(f"pad: expected a Tensor as input, got {type(input).__name__}")
    amounts = [int(p) for p in pad]
    shape = tuple(input._data.shape)
    nd = len(shape)
    if len(amounts) % 2:
        raise ValueError(f"pad: padding length must be divisible by 2, got pad={tuple(amounts)}")
    if len(amounts) // 2 > nd:
        raise ValueError(f"pad: padding length too large: pad={tuple(amounts)} pads "
                         f"{len(amounts) // 2} dimensions but the input {shape} has {nd}")
    pads = [(0, 0)] * nd
    for i in range(len(amounts) // 2):
        pads[nd - 1 - i] = (amounts[2 * i], amounts[2 * i + 1])
    pads = tuple(pads)
    if mode == "constant":
        for axis, (l, r) in enumerate(pads):
            if shape[axis] + l + r < 0:
                raise ValueError(f"pad: the padding {(l, r)} of dimension {axis} of input {shape} "
                                 "would give a negative size")
        fill = 0 if value is None else value
        return ConstantPad.apply(input, pads, fill)
    if mode not in _NP_MODES:
        raise NotImplementedError(f"pad: unsupported mode {mode!r}; expected 'constant', "
                                  "'reflect', 'replicate' or 'circular'")
    if value not in (None, 0):
        raise ValueError(f"pad: padding mode {mode!r} doesn't take in a value argument")
    for axis, (l, r) in enumerate(pads):
        if l < 0 or r < 0:
            raise ValueError(f"pad: negative padding {(l, r)} is only supported in constant mode "
                             f"(got mode {mode!r})")
        if mode == "reflect" and (l >= shape[axis] or r >= shape[axis]) and (l or r):
            raise RuntimeError(f"pad: padding size should be less than the corresponding input "
                               f"dimension, but got padding {(l, r)} at dimension {axis} of input "
                               f"{shape} (mode 'reflect')")
        if mode == "circular" and (l > shape[axis] or r > shape[axis]):
            raise RuntimeError(f"pad: padding {(l, r)} at dimension {axis} of input {shape} is "
                               "larger than the dimension (mode 'circular')")
        if mode == "replicate" and shape[axis] == 0 and (l or r):
            raise RuntimeError(f"pad: cannot replicate-pad the empty dimension {axis} of {shape}")
    return ModePad.apply(input, pads, mode)


# ------------------------------------------------------------ norms and distances
def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """``input / max(||input||_p, eps)`` with the norm taken along ``dim``. Shape unchanged."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps)
    result = input / denom
    if out is not None:
        out.copy_(result)
        return out
    return result


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps))`` along ``dim`` (inputs broadcast).

    As PyTorch, each input is divided by its own norm first (keeps the result in [-1, 1]), and the
    gradient flows through the norms as if the ``eps`` floor were not there."""
    shape = broadcast_shapes_checked(tuple(x1.shape), tuple(x2.shape), "cosine_similarity")
    x1 = x1.expand(shape) if tuple(x1.shape) != shape else x1
    x2 = x2.expand(shape) if tuple(x2.shape) != shape else x2
    if x1._data.dtype.kind != "f":
        x1 = x1.to(backend.get_default_dtype())
    if x2._data.dtype.kind != "f":
        x2 = x2.to(backend.get_default_dtype())
    dim = wrap_dim(dim, len(shape), "cosine_similarity")
    return ((x1 / _norm_floor(x1, dim, eps)) * (x2 / _norm_floor(x2, dim, eps))).sum(dim)


def _norm_floor(x, dim, eps):
    """``||x||`` along ``dim`` (kept), raised to ``eps`` in value only (no gradient through it)."""
    n = x.norm(2, dim, keepdim=True)
    floor = np.maximum(n._data, eps) - n._data
    return n + Tensor._make(floor) if floor.any() else n


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dimension. Shapes: ``(N, D)`` or ``(D,)``, broadcast;
    result ``(N,)`` (``(N, 1)`` with ``keepdim``)."""
    nd = max(x1.ndim, x2.ndim)
    broadcast_shapes_checked(tuple(x1.shape), tuple(x2.shape), "pairwise_distance")
    if nd == 0:
        raise RuntimeError("pairwise_distance: expected inputs with at least one dimension, got "
                           "two scalars")
    return (x1 - x2 + eps).norm(p, nd - 1, keepdim=keepdim)


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """The p-norm distances between all pairs of rows of ``input`` ``(N, M)``: a 1-D tensor of
    ``N (N - 1) / 2`` distances, ``(0, 1), (0, 2), ..., (1, 2), ...`` (the upper triangle)."""
    if not isinstance(input, Tensor) or input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: "
                           f"{getattr(input, 'ndim', type(input).__name__)}D")
    if p < 0:
        raise RuntimeError(f"pdist only supports non-negative p values, got {p}")
    first, second = np.triu_indices(input.shape[0], k=1)
    rows = input.index_select(0, Tensor._make(first.astype(np.int64)))
    cols = input.index_select(0, Tensor._make(second.astype(np.int64)))
    return (rows - cols).norm(p, 1)


__all__ = ["cosine_similarity", "pairwise_distance", "pdist"]
