"""Joining, splitting and rearranging: cat/concat, stack, split, chunk, unbind, flip, roll, tril,
triu, repeat, tile, narrow, movedim, hstack/vstack.

Each is one op whose backward is its mirror image: the gradient of ``cat`` is the slices of the
output gradient, that of ``split`` the concatenation of the pieces' gradients (zeros for a piece
that got none), ``stack`` and ``unbind`` likewise. ``split``, ``chunk``, ``unbind`` and ``narrow``
return views sharing storage with their input, as in PyTorch; ``flip``, ``roll``, ``repeat`` copy.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor
from ._util import promote_types, register_methods, wrap_dim, wrap_dims
from .indexing import BasicIndex
from .views import mark_view, permute


def _at(dim: int, index) -> tuple:
    """The basic index selecting ``index`` (an int or a slice) along ``dim``."""
    return (slice(None),) * dim + (index, Ellipsis)


# ------------------------------------------------------------------------------------ ops
class Cat(ArrayFunction):
    @staticmethod
    def forward(ctx, *xs, dim):
        ctx.dim = dim
        ctx.bounds = np.cumsum([0] + [x.shape[dim] for x in xs]).tolist()
        return np.concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        b, dim = ctx.bounds, ctx.dim
        return tuple(BasicIndex.apply(g, _at(dim, slice(b[i], b[i + 1]))) if need else None
                     for i, need in enumerate(ctx.needs_input_grad))

    @staticmethod
    def backward_arrays(ctx, g):
        b, dim = ctx.bounds, ctx.dim
        return tuple(g[_at(dim, slice(b[i], b[i + 1]))] if need else None
                     for i, need in enumerate(ctx.needs_input_grad))


class Split(ArrayFunction):
    """Views of consecutive pieces of ``x`` along ``dim`` with the given sizes."""

    @staticmethod
    def forward(ctx, x, dim, sizes):
        ctx.dim = dim
        bounds = np.cumsum([0] + list(sizes)).tolist()
        return tuple(x[_at(dim, slice(bounds[i], bounds[i + 1]))] for i in range(len(sizes)))

    @staticmethod
    def backward(ctx, *grads):
        return Cat.apply(*grads, dim=ctx.dim), None, None

    @staticmethod
    def backward_arrays(ctx, *grads):
        return np.concatenate(grads, axis=ctx.dim), None, None


class Stack(ArrayFunction):
    @staticmethod
    def forward(ctx, *xs, dim):
        ctx.dim = dim
        return np.stack(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return tuple(BasicIndex.apply(g, _at(ctx.dim, i)) if need else None
                     for i, need in enumerate(ctx.needs_input_grad))

    @staticmethod
    def backward_arrays(ctx, g):
        return tuple(g[_at(ctx.dim, i)] if need else None
                     for i, need in enumerate(ctx.needs_input_grad))


class Unbind(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return tuple(x[_at(dim, i)] for i in range(x.shape[dim]))

    @staticmethod
    def backward(ctx, *grads):
        return Stack.apply(*grads, dim=ctx.dim), None

    @staticmethod
    def backward_arrays(ctx, *grads):
        return np.stack(grads, axis=ctx.dim), None


class Flip(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.ascontiguousarray(np.flip(x, dims)) if dims else x.copy()

    @staticmethod
    def backward(ctx, g):
        return Flip.apply(g, ctx.dims), None


class Roll(ArrayFunction):
    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        if dims is None:
            return np.roll(x.reshape(-1), shifts[0]).reshape(x.shape)
        return np.roll(x, shifts, axis=dims)

    @staticmethod
    def backward(ctx, g):
        return Roll.apply(g, tuple(-s for s in ctx.shifts), ctx.dims), None, None


class Triangle(ArrayFunction):
    """``tril`` (upper=False) or ``triu`` (upper=True) of the last two dims."""

    @staticmethod
    def forward(ctx, x, diagonal, upper):
        ctx.diagonal, ctx.upper = diagonal, upper
        return np.triu(x, diagonal) if upper else np.tril(x, diagonal)

    @staticmethod
    def backward(ctx, g):
        return Triangle.apply(g, ctx.diagonal, ctx.upper), None, None

    @staticmethod
    def backward_arrays(ctx, g):
        return (np.triu(g, ctx.diagonal) if ctx.upper else np.tril(g, ctx.diagonal)), None, None


class Repeat(ArrayFunction):
    @staticmethod
    def forward(ctx, x, reps):
        ctx.in_shape, ctx.reps = x.shape, reps
        return np.tile(x, reps)

    @staticmethod
    def _folded(ctx):
        """The output viewed as (r0, s0, r1, s1, ...) and the axes of the repeats."""
        padded = (1,) * (len(ctx.reps) - len(ctx.in_shape)) + tuple(ctx.in_shape)
        folded = tuple(v for r, s in zip(ctx.reps, padded) for v in (r, s))
        return folded, tuple(range(0, 2 * len(padded), 2))

    @staticmethod
    def backward(ctx, g):
        folded, axes = Repeat._folded(ctx)
        return g.reshape(folded).sum(dim=axes).reshape(ctx.in_shape), None

    @staticmethod
    def backward_arrays(ctx, g):
        folded, axes = Repeat._folded(ctx)
        return g.reshape(folded).sum(axis=axes).reshape(ctx.in_shape), None


# ------------------------------------------------------------------------ public functions
def _common_dtype(tensors, op: str):
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected a sequence of Tensors, got an element of type "
                            f"{type(t).__name__}")
    dtype = tensors[0]._data.dtype
    for t in tensors[1:]:
        dtype = promote_types(dtype, t._data.dtype)
    return [t if t._data.dtype == dtype else t.to(dtype) for t in tensors]


def cat(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Concatenate tensors along an existing ``dim``; they must agree in every other dim.
    1-D empty tensors are skipped, as in PyTorch. Dtypes are promoted."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("cat: expected a non-empty list of Tensors")
    tensors = _common_dtype(tensors, "cat")
    numbered = [(i, t) for i, t in enumerate(tensors) if t._data.shape != (0,)] or [(0, tensors[0])]
    kept = [t for _, t in numbered]
    ref = kept[0]._data.shape
    if not ref:
        raise RuntimeError("cat: zero-dimensional tensor (at position 0) cannot be concatenated")
    d = wrap_dim(dim, len(ref), "cat")
    for i, t in numbered:
        shape = t._data.shape
        if len(shape) != len(ref):
            raise RuntimeError(
                f"cat: Tensors must have same number of dimensions: got {len(ref)} and {len(shape)} "
                f"(shapes {[tuple(k._data.shape) for k in kept]})")
        for k, (a, b) in enumerate(zip(ref, shape)):
            if k != d and a != b:
                raise RuntimeError(
                    f"cat: Sizes of tensors must match except in dimension {d}. Expected size {a} "
                    f"but got size {b} for tensor number {i} in the list (shapes "
                    f"{[tuple(k._data.shape) for k in tensors]})")
    result = Cat.apply(*kept, dim=d)
    if out is not None:
        out.copy_(result)
        return out
    return result


concat = concatenate = cat


def stack(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Join equally shaped tensors along a new ``dim``."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack: expects a non-empty TensorList")
    tensors = _common_dtype(tensors, "stack")
    ref = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != ref:
            raise RuntimeError(
                f"stack: expects each tensor to be equal size, but got {list(ref)} at entry 0 and "
                f"{list(t._data.shape)} at entry {i}")
    d = wrap_dim(dim, len(ref) + 1, "stack")
    result = Stack.apply(*tensors, dim=d)
    if out is not None:
        out.copy_(result)
        return out
    return result


def hstack(tensors) -> Tensor:
    tensors = [t if t._data.ndim else t.reshape(1) for t in tensors]
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    return cat([t.reshape(1, -1) if t._data.ndim < 2 else t for t in tensors], 0)


def _split_sizes(input: Tensor, split_size_or_sections, d: int, op: str) -> list:
    n = input._data.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        s = int(split_size_or_sections)
        if s < 0 or (s == 0 and n != 0):
            raise RuntimeError(f"{op}: split_size can only be 0 if dimension size is 0, but got "
                               f"split_size={s} for dimension {d} of size {n}")
        if n == 0:
            return [0]
        return [s] * (n // s) + ([n % s] if n % s else [])
    sizes = [int(s) for s in split_size_or_sections]
    if sum(sizes) != n or any(s < 0 for s in sizes):
        raise RuntimeError(
            f"{op}: split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
            f"at dimension {d}), but got split_sizes={sizes}")
    return sizes


def _pieces(input: Tensor, d: int, sizes) -> tuple:
    outs = Split.apply(input, d, tuple(sizes))
    return tuple(mark_view(o, input) for o in outs)


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Views of ``tensor`` cut along ``dim`` into pieces of ``split_size`` (the last may be smaller)
    or of the listed sizes."""
    if tensor._data.ndim == 0:
        raise RuntimeError("split: expected at least a 1-dimensional tensor")
    d = wrap_dim(dim, tensor._data.ndim, "split")
    return _pieces(tensor, d, _split_sizes(tensor, split_size_or_sections, d, "split"))


def tensor_split(input: Tensor, indices_or_sections, dim: int = 0) -> tuple:
    """Views cut into ``n`` nearly equal pieces (the first ones one larger), or at ``indices``."""
    d = wrap_dim(dim, input._data.ndim, "tensor_split")
    n = input._data.shape[d]
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0:
            raise RuntimeError(f"tensor_split: number of sections must be larger than 0, got {k}")
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    else:
        cuts = [min(max(int(i), 0), n) for i in indices_or_sections]
        bounds = [0] + cuts + [n]
        sizes = [max(b - a, 0) for a, b in zip(bounds[:-1], bounds[1:])]
        if sum(sizes) != n:
            raise RuntimeError(f"tensor_split: indices {list(indices_or_sections)} must be sorted")
    return _pieces(input, d, sizes)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """Split into at most ``chunks`` views of size ``ceil(n / chunks)`` along ``dim``."""
    if chunks <= 0:
        raise RuntimeError(f"chunk: chunk expects `chunks` to be greater than 0, got: {chunks}")
    if input._data.ndim == 0:
        raise RuntimeError("chunk: expected at least a 1-dimensional tensor")
    d = wrap_dim(dim, input._data.ndim, "chunk")
    n = input._data.shape[d]
    size = -(-n // chunks)
    if n == 0:
        return _pieces(input, d, [0] * chunks)
    return _pieces(input, d, _split_sizes(input, size, d, "chunk"))


def unbind(input: Tensor, dim: int = 0) -> tuple:
    """The slices of ``input`` along ``dim``, as a tuple of views with that dim removed."""
    if input._data.ndim == 0:
        raise IndexError("unbind: dimension specified as 0 but tensor has no dimensions")
    d = wrap_dim(dim, input._data.ndim, "unbind")
    if input._data.shape[d] == 0:
        return ()
    outs = Unbind.apply(input, d)
    return tuple(mark_view(o, input) for o in outs)


def flip(input: Tensor, dims) -> Tensor:
    """Reverse the order of entries along ``dims`` (a copy)."""
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    axes = wrap_dims(dims, input._data.ndim, "flip") if input._data.ndim else ()
    return Flip.apply(input, axes or ())


def fliplr(input: Tensor) -> Tensor:
    return flip(input, (1,))


def flipud(input: Tensor) -> Tensor:
    return flip(input, (0,))


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Shift entries cyclically by ``shifts`` along ``dims`` (of the flattened tensor if None)."""
    shifts = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    shifts = tuple(int(s) for s in shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"roll: shifts {shifts} must have one entry when dims is None")
        return Roll.apply(input, shifts, None)
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(
            f"roll: shifts and dimensions must align. shifts: {len(shifts)}, dims: {len(dims)}")
    dims = tuple(wrap_dim(d, input._data.ndim, "roll") for d in dims)
    return Roll.apply(input, shifts, dims)


def _triangle(input: Tensor, diagonal: int, upper: bool, op: str) -> Tensor:
    if input._data.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions, got shape "
                           f"{tuple(input._data.shape)}")
    return Triangle.apply(input, int(diagonal), upper)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (entries with ``j - i <= diagonal``); the rest 0."""
    return _triangle(input, diagonal, False, "tril")


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (entries with ``j - i >= diagonal``); the rest 0."""
    return _triangle(input, diagonal, True, "triu")


def repeat(input: Tensor, *sizes) -> Tensor:
    """``Tensor.repeat``: tile ``input`` ``sizes[i]`` times along dim i (extra sizes add leading dims)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    sizes = tuple(int(s) for s in sizes)
    if len(sizes) < input._data.ndim:
        raise RuntimeError(
            f"repeat: Number of dimensions of repeat dims ({len(sizes)}) can not be smaller than "
            f"number of dimensions of tensor ({input._data.ndim}, shape {tuple(input._data.shape)})")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"repeat: repeats must be non-negative, got {list(sizes)}")
    return Repeat.apply(input, sizes)


def tile(input: Tensor, dims) -> Tensor:
    """As ``repeat``, but fewer ``dims`` than the tensor has are padded with 1s on the left."""
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    dims = (1,) * (input._data.ndim - len(dims)) + tuple(dims)
    return repeat(input, dims)


def narrow(input: Tensor, dim: int, start, length: int) -> Tensor:
    """The view ``input[..., start:start + length, ...]`` along ``dim``."""
    if input._data.ndim == 0:
        raise RuntimeError("narrow: cannot be applied to a 0-dim tensor")
    d = wrap_dim(dim, input._data.ndim, "narrow")
    n = input._data.shape[d]
    start = int(start)
    if not -n <= start <= n:
        raise IndexError(f"narrow: start ({start}) out of range for dimension {d} of size {n}")
    start %= n if n else 1
    if length < 0 or start + length > n:
        raise RuntimeError(
            f"narrow: start ({start}) + length ({length}) exceeds dimension size ({n}) of dim {d}")
    return mark_view(BasicIndex.apply(input, _at(d, slice(start, start + length))), input)


def movedim(input: Tensor, source, destination) -> Tensor:
    """Move dims ``source`` to positions ``destination`` (a view); the others keep their order."""
    ndim = input._data.ndim
    src = (source,) if isinstance(source, (int, np.integer)) else tuple(source)
    dst = (destination,) if isinstance(destination, (int, np.integer)) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
            f"contain the same number of dims as destination ({list(dst)} dims)")
    src = [wrap_dim(s, ndim, "movedim") for s in src]
    dst = [wrap_dim(s, ndim, "movedim") for s in dst]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in source {src} or destination {dst}")
    order = [k for k in range(ndim) if k not in src]
    for dest, s in sorted(zip(dst, src)):
        order.insert(dest, s)
    return permute(input, tuple(order))


moveaxis = movedim


def _split_method(self, split_size, dim=0):
    return split(self, split_size, dim)


register_methods(
    split=_split_method, tensor_split=tensor_split, chunk=chunk, unbind=unbind, flip=flip,
    fliplr=fliplr, flipud=flipud, roll=roll, tril=tril, triu=triu, repeat=repeat, tile=tile,
    narrow=narrow, movedim=movedim, moveaxis=movedim,
)

__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "split", "tensor_split",
           "chunk", "unbind", "flip", "fliplr", "flipud", "roll", "tril", "triu", "tile", "narrow",
           "movedim", "moveaxis"]
