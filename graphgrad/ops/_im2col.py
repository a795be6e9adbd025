"""Array-level helpers shared by convolution, pooling and fold/unfold (N-d, any stride, dilation and
asymmetric padding). Nothing here records a graph; the ops in conv.py and pool.py wrap them.

Conventions: an input is ``(N, C, *spatial)``; ``pads`` is one ``(lo, hi)`` pair per spatial dim;
a "column" array is ``(N, C, *kernel, *out)`` (``im2col``, used by unfold/fold) or channel-major
``(C, *kernel, N, *out)`` (``im2col_cm``, used by convolution: a ``(C k, N P)`` matrix): for every
kernel offset, the input values that the offset sees at every output position. Building it takes
one slice copy per kernel offset (the technique of Chainer's ``utils/conv.py``); the inverse
(``col2im``) is one slice add per offset.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from ._parallel import parallel_for

# A small free list for the large temporaries of convolution (column arrays, GEMM results, layout
# copies) that never leave graphgrad's ops. Reusing them between training steps avoids faulting
# in fresh pages for every multi-megabyte temporary (see PERF.md: ~2.3 us per 4 KiB page here).
WORKSPACE_LIMIT_BYTES = 256 * 2 ** 20
_workspace: dict = {}
_workspace_bytes = [0]


def workspace(shape, dtype) -> np.ndarray:
    """An uninitialised array, recycled from ``release`` when one of that shape is free."""
    free = _workspace.get((tuple(shape), np.dtype(dtype).str))
    if free:
        a = free.pop()
        _workspace_bytes[0] -= a.nbytes
        return a
    return np.empty(shape, dtype)


def release(*arrays) -> None:
    """Give temporaries from ``workspace`` back. Only for arrays no one else references."""
    for a in arrays:
        if a is None or a.base is not None or not a.flags.c_contiguous or \
                _workspace_bytes[0] + a.nbytes > WORKSPACE_LIMIT_BYTES:
            continue
        free = _workspace.setdefault((a.shape, a.dtype.str), [])
        if len(free) < 2:
            free.append(a)
            _workspace_bytes[0] += a.nbytes


# Column matrices are built and multiplied this much of the batch at a time (both layouts): small
# enough that a chunk comes back from cache for its product and memory stays bounded, large enough
# that the hand-offs to the intra-op thread and OpenBLAS's threads are few. Position-major columns
# used 2 MiB until 8 MiB measured faster in whole steps (graphgrad alone, 2 threads, 3 alternated
# runs each: ResNet-20 322-344 -> 344-360 images/s, CNN training no slower).
CHUNK_BYTES = 8 * 2 ** 20

# A convolution's forward keeps its column matrix for the weight gradient when it is at most this
# large (saves redoing im2col in backward); larger ones are rebuilt chunk by chunk, trading time
# for memory. Both column layouts (_conv_arrays, _conv_positions) use it.
COL_CACHE_BYTES = 64 * 2 ** 20


def batch_chunks(n: int, bytes_per_image: int, chunk_bytes: int) -> list:
    """``(start, stop)``: the batch of ``n`` in equal chunks whose column matrices are at most
    about ``chunk_bytes`` (one chunk when the whole batch's are)."""
    if n == 0:
        return []
    count = min(n, max(1, -(-n * bytes_per_image // chunk_bytes)))
    bounds = [n * i // count for i in range(count + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


def clear_workspace() -> None:
    """Drop every recycled temporary, so that what follows allocates afresh (a measurement of a
    forward's memory must not depend on which convolutions ran before it)."""
    _workspace.clear()
    _workspace_bytes[0] = 0


def ntuple(value, n: int, name: str, op: str) -> tuple:
    """``3`` -> ``(3, 3)``; a sequence of length ``n`` stays; anything else is an error."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    try:
        out = tuple(int(v) for v in value)
    except TypeError:
        raise TypeError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value!r}") from None
    if len(out) == 1 and n > 1:
        out = out * n
    if len(out) != n:
        raise ValueError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    return out


def conv_out_size(size: int, k: int, s: int, lo: int, hi: int, d: int) -> int:
    """floor((W + P_lo + P_hi - D(F-1) - 1) / S) + 1."""
    return (size + lo + hi - d * (k - 1) - 1) // s + 1


def pool_out_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output size; with ceil_mode the last window must start inside the input
    or the left padding."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def pad_array(x: np.ndarray, pads, value=0.0) -> np.ndarray:
    """Pad the spatial dims of ``x`` by ``pads`` ((lo, hi) per dim) with ``value``."""
    if not any(lo or hi for lo, hi in pads):
        return x
    shape = x.shape[:2] + tuple(s + lo + hi for s, (lo, hi) in zip(x.shape[2:], pads))
    out = np.empty(shape, x.dtype)
    inside = interior(x.shape[2:], pads)

    def fill(first, last):  # images [first, last)
        out[first:last].fill(value)
        out[first:last][inside] = x[first:last]
    parallel_for(fill, len(out), 2 * out.nbytes)
    return out


def interior(spatial, pads) -> tuple:
    """The index of the unpadded region inside a padded array."""
    return (slice(None), slice(None)) + tuple(
        slice(lo, lo + s) for s, (lo, _) in zip(spatial, pads))


def offsets(kernel):
    """Every kernel offset, as index tuples in C order (the order of the flattened kernel)."""
    return itertools.product(*(range(k) for k in kernel))


def window(offset, stride, dilation, out_shape) -> tuple:
    """The index (into a padded array) of the values kernel offset ``offset`` sees."""
    return (slice(None), slice(None)) + tuple(
        slice(o * d, o * d + s * (n - 1) + 1, s)
        for o, s, d, n in zip(offset, stride, dilation, out_shape))


def padded_extent(spatial, kernel, stride, pads, dilation, out_shape) -> tuple:
    """Size of the padded buffer: the padded input, grown if the windows reach further."""
    return tuple(max(s + lo + hi, st * (n - 1) + d * (k - 1) + 1)
                 for s, k, st, (lo, hi), d, n in zip(spatial, kernel, stride, pads, dilation,
                                                      out_shape))


def im2col(x: np.ndarray, kernel, stride, pads, dilation, out_shape, out=None) -> np.ndarray:
    """Columns ``(N, C, *kernel, *out_shape)`` of ``x`` ``(N, C, *spatial)`` (into ``out`` when
    given)."""
    xp = pad_array(x, pads)
    n, c = x.shape[:2]
    shape = (n, c) + tuple(kernel) + tuple(out_shape)
    col = np.empty(shape, dtype=x.dtype) if out is None else out.reshape(shape)
    lead = (slice(None), slice(None))
    for off in offsets(kernel):
        col[lead + off] = xp[window(off, stride, dilation, out_shape)]
    return col


def col2im(col: np.ndarray, spatial, kernel, stride, pads, dilation) -> np.ndarray:
    """Scatter-add columns ``(N, C, *kernel, *out)`` back into an ``(N, C, *spatial)`` array (the
    adjoint of ``im2col``)."""
    nd = len(kernel)
    out_shape = col.shape[2 + nd:]
    n, c = col.shape[:2]
    extent = padded_extent(spatial, kernel, stride, pads, dilation, out_shape)
    buf = np.zeros((n, c) + extent, dtype=col.dtype)
    lead = (slice(None), slice(None))
    for off in offsets(kernel):
        view = buf[window(off, stride, dilation, out_shape)]
        view += col[lead + off]
    if tuple(extent) == tuple(spatial):
        return buf
    return np.ascontiguousarray(buf[interior(spatial, pads)])


def im2col_cm(x: np.ndarray, kernel, stride, pads, dilation, out_shape, out=None) -> np.ndarray:
    """Channel-major columns ``(C, *kernel, N, *out_shape)`` of ``x`` ``(N, C, *spatial)`` (into
    ``out`` when given, else into a workspace array)."""
    xt = pad_array(x, pads).swapaxes(0, 1)
    n, c = x.shape[:2]
    col = workspace((c,) + tuple(kernel) + (n,) + tuple(out_shape), x.dtype) if out is None else out
    taps = list(offsets(kernel))

    def copy_taps(first, last):
        for off in taps[first:last]:
            col[(slice(None),) + off] = xt[window(off, stride, dilation, out_shape)]
    parallel_for(copy_taps, len(taps), 2 * col.nbytes)
    return col


def shift_grid(out_shape, kernel, stride, dilation) -> tuple:
    """The grid ``col2im_cm`` wants its columns on: each of ``out_shape`` grown by the largest
    whole-stride shift a kernel offset makes, ``(k - 1) d // s``."""
    return tuple(o + (k - 1) * d // s for o, k, s, d in zip(out_shape, kernel, stride, dilation))


def col2im_cm(col: np.ndarray, spatial, stride, pads, dilation, out_shape, out=None) -> np.ndarray:
    """The adjoint of ``im2col_cm``: scatter-add ``(C, *k, N, *grid)`` into ``(N, C, *spatial)``
    (into ``out`` when given).

    ``col`` is laid out on ``shift_grid(out_shape, ...)`` with zeros outside ``out_shape``. Kernel
    offset ``t`` sends output position ``o`` to padded position ``(o + t d // s) s + t d % s``: to
    phase ``t d % s`` of the stride, shifted by ``t d // s`` whole steps. On that phase's own grid
    the shift is a single offset into the flattened ``(N, *grid)`` block of each channel, so one
    kernel offset is ONE contiguous add of C rows (the zero margin absorbs what spills over),
    where a strided add into the image would loop over C N rows of a few values each. The phases
    are then interleaved into the image, one strided copy per phase.
    """
    nd = len(spatial)
    kernel = col.shape[1:1 + nd]
    c, n, grid = col.shape[0], col.shape[1 + nd], col.shape[2 + nd:]
    block = n * math.prod(grid)
    step = [math.prod(grid[j + 1:]) for j in range(nd)]  # element strides of the grid
    phase_of = {}
    for off in offsets(kernel):
        phase_of.setdefault(tuple(t * d % s for t, s, d in zip(off, stride, dilation)), []).append(off)
    acc = workspace((len(phase_of), c, block), col.dtype)
    shifts = [[(off, sum(t * d // s * e for t, s, d, e in zip(off, stride, dilation, step)))
               for off in taps] for taps in phase_of.values()]

    # A phase's unshifted tap (start 0) covers every position: it is copied, not added to zeros.
    shifts = [sorted(taps, key=lambda tap: tap[1] != 0) for taps in shifts]

    def accumulate(lo, hi):  # positions [lo, hi) of every phase's flat (N, *grid) block
        for acc_phase, taps in zip(acc, shifts):
            if taps[0][1] != 0:
                acc_phase[:, lo:hi].fill(0)
            for k, (off, start) in enumerate(taps):  # position p gets column p - start
                first = max(lo, start)
                if first < hi:
                    source = col[(slice(None),) + off].reshape(c, block)[:, first - start:hi - start]
                    if k == 0 and start == 0:
                        np.copyto(acc_phase[:, lo:hi], source)
                    else:
                        target = acc_phase[:, first:hi]
                        target += source
    parallel_for(accumulate, block, 3 * acc.nbytes)
    if out is None:
        out = np.empty((n, c) + tuple(spatial), dtype=col.dtype)
    places, covered = [], 0
    for phase in phase_of:
        src, dst = [slice(None), slice(None)], [slice(None), slice(None)]
        for r, s, (lo, _), size, g in zip(phase, stride, pads, spatial, grid):
            first = max(0, -(-(lo - r) // s))  # grid steps that land inside the unpadded image
            count = max(0, min(g, (lo + size - 1 - r) // s + 1) - first)
            begin = first * s + r - lo
            src.append(slice(first, first + count))
            dst.append(slice(begin, begin + (count - 1) * s + 1, s) if count else slice(0, 0))
        places.append((tuple(src), tuple(dst)))
        covered += math.prod(sl.stop - sl.start for sl in src[2:])
    # The phases' positions are disjoint; when they cover the image there is nothing to zero.
    zero = covered < math.prod(spatial)

    def interleave(first, last):  # images [first, last)
        if zero:
            out[first:last].fill(0)
        for acc_phase, (src, dst) in zip(acc, places):
            phase_img = acc_phase.reshape((c, n) + tuple(grid))[:, first:last]
            out[first:last][dst] = phase_img[src].swapaxes(0, 1)
    parallel_for(interleave, n, 2 * out.nbytes)
    release(acc)
    return out
