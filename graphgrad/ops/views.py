"""Shape ops that return views of their input's storage: reshape/view, expand, permute, transpose,
squeeze, unsqueeze, flatten, unflatten, ``T``. Views share the version counter of their base, so an
in-place change through either is seen by backward's checks, as in PyTorch."""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.tensor import Tensor
from ._util import register_methods, wrap_dim


def mark_view(out: Tensor, base: Tensor) -> Tensor:
    """Make ``out`` share ``base``'s version counter when their storage overlaps."""
    if np.may_share_memory(out._data, base._data):
        out._vc = base._vc
        out._base = base if base._base is None else base._base
    return out


def _infer_shape(shape, numel: int, op: str, in_shape) -> tuple:
    shape = tuple(int(s) for s in shape)
    if shape.count(-1) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred, got shape {list(shape)}")
    if -1 in shape:
        known = 1
        for s in shape:
            if s != -1:
                known *= s
        if known == 0 or numel % known:
            raise RuntimeError(
                f"{op}: shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    n = 1
    for s in shape:
        if s < 0:
            raise RuntimeError(f"{op}: invalid shape dimension {s} in {list(shape)}")
        n *= s
    if n != numel:
        raise RuntimeError(
            f"{op}: shape '{list(shape)}' is invalid for input of size {numel} "
            f"(input shape {tuple(in_shape)})")
    return shape


class Reshape(ArrayFunction):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None

    @staticmethod
    def backward_arrays(ctx, g):
        return g.reshape(ctx.in_shape), None


class Expand(ArrayFunction):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        if x.shape == tuple(shape):
            return x.view()  # nothing is broadcast: stays writable, as in PyTorch
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        from ._util import sum_to

        return sum_to(g, ctx.in_shape), None

    @staticmethod
    def backward_arrays(ctx, g):
        from ._util import sum_to_array

        return sum_to_array(g, ctx.in_shape), None


class Permute(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        return g.permute(tuple(np.argsort(ctx.dims))), None

    @staticmethod
    def backward_arrays(ctx, g):
        return g.transpose(np.argsort(ctx.dims)), None


def reshape(input: Tensor, *shape) -> Tensor:
    """A tensor with the same data and a new shape (a view when the storage allows, as in PyTorch)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    target = _infer_shape(shape, input._data.size, "reshape", input._data.shape)
    if target == input._data.shape:
        out = Reshape.apply(input, target) if input._requires_grad else Tensor._make(input._data)
    else:
        out = Reshape.apply(input, target)
    return mark_view(out, input)


def view(input: Tensor, *shape) -> Tensor:
    """As ``reshape``, but like PyTorch requires a layout that a view can express."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int, np.integer)):
        return _view_dtype(input, shape[0])
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    target = _infer_shape(shape, input._data.size, "view", input._data.shape)
    if not input._data.flags.c_contiguous and target != input._data.shape:
        try:
            probe = input._data.view()
            probe.shape = target  # raises when no view exists
        except AttributeError:
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead.") from None
    return reshape(input, target)


def _view_dtype(input: Tensor, dtype) -> Tensor:
    """``view(dtype)``: the same bytes read as another dtype (the last dim scales with the element
    size, as in PyTorch). Not differentiable unless the dtype is unchanged."""
    from ..backend import to_np_dtype

    nd = to_np_dtype(dtype)
    if nd == input._data.dtype:
        return reshape(input, input._data.shape)
    a = input._data
    if nd.itemsize != a.itemsize:
        if a.ndim == 0 or a.strides[-1] != a.itemsize or (a.shape[-1] * a.itemsize) % nd.itemsize:
            raise RuntimeError(
                f"view: self.size(-1) must be divisible by {nd.itemsize // a.itemsize or 1} to view "
                f"{a.dtype} as {nd} (different element sizes), and the last dim must be contiguous; "
                f"got shape {tuple(a.shape)}")
    return mark_view(Tensor._make(a.view(nd)), input)


def view_as(input: Tensor, other: Tensor) -> Tensor:
    return view(input, other._data.shape)


def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    return reshape(input, other._data.shape)


def expand(input: Tensor, *sizes) -> Tensor:
    """Broadcast to ``sizes`` without copying (-1 keeps a dimension)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    sizes = tuple(int(s) for s in sizes)
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to the "
            f"number of dimensions in the tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError("expand: -1 is not allowed in a leading, non-existing dimension")
            target.append(s)
            continue
        cur = shape[i - lead]
        if s == -1:
            target.append(cur)
        elif cur == 1 or cur == s:
            target.append(s)
        else:
            raise RuntimeError(
                f"expand: the expanded size of the tensor ({s}) must match the existing size ({cur}) "
                f"at non-singleton dimension {i}. Target sizes: {list(sizes)}. Tensor sizes: {list(shape)}")
    return mark_view(Expand.apply(input, tuple(target)), input)


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, other._data.shape)


def broadcast_to(input: Tensor, shape) -> Tensor:
    return expand(input, tuple(shape))


def permute(input: Tensor, *dims) -> Tensor:
    """Reorder dimensions (a view)."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    ndim = input._data.ndim
    if len(dims) != ndim:
        raise RuntimeError(
            f"permute: number of dims don't match in permute (got {len(dims)} dims for a tensor of "
            f"shape {tuple(input._data.shape)})")
    dims = tuple(wrap_dim(d, ndim, "permute") for d in dims)
    if len(set(dims)) != ndim:
        raise RuntimeError(f"permute: repeated dim in {list(dims)}")
    return mark_view(Permute.apply(input, dims), input)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions (a view)."""
    ndim = input._data.ndim
    if ndim == 0:
        wrap_dim(dim0, ndim, "transpose"), wrap_dim(dim1, ndim, "transpose")
        return reshape(input, ())
    d0, d1 = wrap_dim(dim0, ndim, "transpose"), wrap_dim(dim1, ndim, "transpose")
    dims = list(range(ndim))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return mark_view(Permute.apply(input, tuple(dims)), input)


swapaxes = swapdims = transpose


def t(input: Tensor) -> Tensor:
    """Transpose a tensor of at most 2 dimensions."""
    if input._data.ndim > 2:
        raise RuntimeError(f"t: expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D")
    return transpose(input, 0, 1) if input._data.ndim == 2 else reshape(input, input._data.shape)


def _T(self):
    ndim = self._data.ndim
    return permute(self, tuple(reversed(range(ndim)))) if ndim >= 2 else reshape(self, self._data.shape)


def _mT(self):
    return transpose(self, -2, -1)


def squeeze(input: Tensor, dim=None) -> Tensor:
    """Remove dimensions of size 1 (all, or those in ``dim``)."""
    shape = input._data.shape
    if dim is None:
        target = tuple(s for s in shape if s != 1)
    else:
        dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        dims = {wrap_dim(d, len(shape), "squeeze") for d in dims} if shape else set()
        target = tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1))
    return reshape(input, target)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a dimension of size 1 at ``dim``."""
    ndim = input._data.ndim
    d = wrap_dim(dim, ndim + 1, "unsqueeze")
    shape = input._data.shape
    return reshape(input, shape[:d] + (1,) + shape[d:])


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim..end_dim`` into one."""
    shape = input._data.shape
    if not shape:
        return reshape(input, (1,))
    s = wrap_dim(start_dim, len(shape), "flatten")
    e = wrap_dim(end_dim, len(shape), "flatten")
    if s > e:
        raise RuntimeError("flatten: start_dim cannot come after end_dim")
    n = 1
    for k in shape[s:e + 1]:
        n *= k
    return reshape(input, shape[:s] + (n,) + shape[e + 1:])


def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """Split dimension ``dim`` into ``sizes`` (one entry may be -1)."""
    shape = input._data.shape
    d = wrap_dim(dim, len(shape), "unflatten")
    sizes = _infer_shape(sizes, shape[d], "unflatten", shape)
    return reshape(input, shape[:d] + tuple(sizes) + shape[d + 1:])


def ravel(input: Tensor) -> Tensor:
    return reshape(input, (-1,))


def contiguous(input: Tensor, memory_format=None) -> Tensor:
    """A C-contiguous tensor with the same values (itself when it already is one)."""
    if input._data.flags.c_contiguous:
        return input
    from .copying import Clone

    return Clone.apply(input)


register_methods(
    reshape=reshape, view=view, view_as=view_as, reshape_as=reshape_as, expand=expand,
    expand_as=expand_as, broadcast_to=broadcast_to, permute=permute, transpose=transpose,
    swapaxes=transpose, swapdims=transpose, t=t, T=property(_T), mT=property(_mT),
    squeeze=squeeze, unsqueeze=unsqueeze, flatten=flatten, unflatten=unflatten, ravel=ravel,
    contiguous=contiguous,
)

__all__ = ["reshape", "view_as", "expand", "broadcast_to", "permute", "transpose", "swapaxes",
           "swapdims", "t", "squeeze", "unsqueeze", "flatten", "unflatten", "ravel"]
