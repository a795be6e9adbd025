"""Spatial transformers (Jaderberg et al. 2015): ``F.affine_grid`` makes sampling grids from
affine matrices and ``F.grid_sample`` reads an input at those (fractional) positions, in 2-D
(``(N, C, H, W)``) and 3-D (``(N, C, D, H, W)``).

Both are written from differentiable primitives: the sampling positions are computed from the
grid with tensor arithmetic (so the gradient reaches the grid, and through ``affine_grid`` the
matrices), and each of the 2^d corners is one ``gather`` from the flattened input (whose backward
is the scatter-add into the input). Integer parts (the corner indices, masks, reflection flips)
are constants of that arithmetic, as they are piecewise constant in the grid.
"""
from __future__ import annotations

import itertools
import warnings

import numpy as np

from ..autograd.tensor import Tensor

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False "
                  "since 1.3.0. Please specify align_corners=True if the old behavior is desired. "
                  "See the documentation of grid_sample for details.")


def _align(align_corners) -> bool:
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=3)
        return False
    return bool(align_corners)


def _base_coords(steps: int, align_corners: bool, dtype) -> np.ndarray:
    """Normalised positions of ``steps`` pixel centres (or corners) in [-1, 1]."""
    if steps <= 1:
        return np.zeros(max(steps, 0), dtype=dtype)
    coords = np.linspace(-1.0, 1.0, steps)
    return (coords if align_corners else coords * (steps - 1) / steps).astype(dtype)


def affine_grid(theta: Tensor, size, align_corners: bool | None = None) -> Tensor:
    """Sampling grid ``(N, H, W, 2)`` (or ``(N, D, H, W, 3)``) of the affine maps ``theta``
    ``(N, 2, 3)`` (or ``(N, 3, 4)``) applied to the normalised output positions of ``size``
    ``(N, C, H, W)`` (or ``(N, C, D, H, W)``); the last grid axis holds (x, y[, z])."""
    align_corners = _align(align_corners)
    if not isinstance(theta, Tensor) or theta._data.dtype.kind != "f":
        raise ValueError(f"Expected theta to have floating point type, but got "
                         f"{getattr(getattr(theta, '_data', None), 'dtype', type(theta))}")
    size = [int(s) for s in size]
    if len(size) not in (4, 5):
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D affine "
                                  f"transforms, respectively. Got size {size}.")
    nd = len(size) - 2
    if theta.dim() != 3 or tuple(theta.shape[1:]) != (nd, nd + 1):
        raise ValueError(f"Expected a batch of {nd}D affine matrices of shape Nx{nd}x{nd + 1} for "
                         f"size {size}. Got {list(theta.shape)}.")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids "
                      "when align_corners=True. This is not an intended use case of affine_grid. "
                      "See the documentation of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise ValueError(f"affine_grid: theta holds {theta.shape[0]} matrices for a batch of "
                         f"{size[0]} (size {size})")
    dtype = theta._data.dtype
    # coordinates listed x (last spatial dim) first, then y, z, then the 1 of the translation
    axes = [_base_coords(s, align_corners, dtype) for s in reversed(spatial)]
    mesh = np.meshgrid(*reversed(axes), indexing="ij")  # each of shape `spatial`
    base = np.stack([m for m in reversed(mesh)] + [np.ones(spatial, dtype=dtype)], axis=-1)
    points = Tensor._make(base.reshape(1, -1, nd + 1))
    grid = points @ theta.transpose(1, 2)  # (N, positions, nd)
    return grid.reshape([size[0]] + spatial + [nd])


def _unnormalize(coord: Tensor, size: int, align_corners: bool) -> Tensor:
    if align_corners:
        return (coord + 1) * ((size - 1) / 2)
    return ((coord + 1) * size - 1) / 2


def _reflect(coord: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """Mirror ``coord`` into [low, high] as often as needed: ``coord * sign + offset`` with the sign
    and offset taken from the (piecewise constant) number of reflections."""
    if twice_low == twice_high:
        return coord * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    x = coord._data
    side = np.where(x < low, -1.0, 1.0)  # abs(coord - low)
    distance = np.abs(x - low)
    flips = np.floor(distance / span)
    even = flips % 2 == 0
    # with extra = distance - flips * span and distance = side * (x - low):
    # an even number of flips lands on extra + low, an odd one on span - extra + low
    sign = np.where(even, side, -side).astype(x.dtype)
    offset = np.where(even, -side * low - flips * span + low,
                      span + side * low + flips * span + low).astype(x.dtype)
    return coord * Tensor._make(sign) + Tensor._make(offset)


def _source_positions(grid: Tensor, spatial, padding_mode: str, align_corners: bool) -> list:
    """Input-pixel coordinates per spatial dim (outermost first), after border/reflection."""
    nd = len(spatial)
    positions = []
    for axis, size in enumerate(spatial):
        coord = _unnormalize(grid[..., nd - 1 - axis], size, align_corners)
        if padding_mode == "reflection":
            coord = (_reflect(coord, 0, 2 * (size - 1)) if align_corners
                     else _reflect(coord, -1, 2 * size - 1))
        if padding_mode in ("border", "reflection"):
            coord = coord.clamp(0, size - 1)
        positions.append(coord)
    return positions


def _gather_corner(flat: Tensor, index: np.ndarray, channels: int) -> Tensor:
    """``flat (N, C, P_in)`` at ``index (N, P_out)``: ``(N, C, P_out)``."""
    n, p = index.shape
    idx = np.broadcast_to(index[:, None, :], (n, channels, p))
    return flat.gather(2, Tensor._make(np.ascontiguousarray(idx)))


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> Tensor:
    """Sample ``input`` ``(N, C, H, W)`` at ``grid`` ``(N, H_out, W_out, 2)`` (x, y in [-1, 1],
    -1 the left/top edge) into ``(N, C, H_out, W_out)``; 3-D likewise with ``(N, D_out, H_out,
    W_out, 3)``. ``mode`` 'bilinear' or 'nearest' ('bicubic' is not implemented);
    ``padding_mode`` 'zeros', 'border' or 'reflection'; ``align_corners`` as in PyTorch (None
    warns and means False). Differentiable in ``input`` and (bilinear) ``grid``."""
    op = "grid_sample"
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' "
                         f"or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if mode == "bicubic":
        raise NotImplementedError("grid_sample: mode='bicubic' is not implemented in graphgrad; "
                                  "use 'bilinear' or 'nearest'")
    align_corners = _align(align_corners)
    for name, t in (("input", input), ("grid", grid)):
        if not isinstance(t, Tensor) or t._data.dtype.kind != "f":
            raise TypeError(f"{op}: expected {name} to be a floating-point Tensor")
    nd = input.ndim - 2
    if nd not in (2, 3) or grid.ndim != input.ndim or grid.shape[-1] != nd \
            or grid.shape[0] != input.shape[0]:
        raise RuntimeError(f"{op}: expected input (N, C, H, W) with grid (N, H_out, W_out, 2), or "
                           f"input (N, C, D, H, W) with grid (N, D_out, H_out, W_out, 3); got "
                           f"input {tuple(input.shape)} and grid {tuple(grid.shape)}")
    if grid._data.dtype != input._data.dtype:
        raise RuntimeError(f"{op}: expected grid to have the input's dtype {input._data.dtype}, "
                           f"got {grid._data.dtype}")
    n, c = input.shape[:2]
    spatial = tuple(input.shape[2:])
    out_spatial = tuple(grid.shape[1:-1])
    flat = input.reshape(n, c, -1)
    points = grid.reshape(n, -1, nd)
    positions = _source_positions(points, spatial, padding_mode, align_corners)
    strides = [int(np.prod(spatial[k + 1:])) for k in range(nd)]
    dtype = input._data.dtype
    if mode == "nearest":
        index = np.zeros(points.shape[:2], dtype=np.int64)
        inside = np.ones(points.shape[:2], dtype=bool)
        for pos, size, stride in zip(positions, spatial, strides):
            k = np.rint(pos._data).astype(np.int64)
            inside &= (k >= 0) & (k < size)
            index += np.clip(k, 0, size - 1) * stride
        out = _gather_corner(flat, index, c) * Tensor._make(inside[:, None, :].astype(dtype))
        return out.reshape((n, c) + out_spatial)
    lows = [np.floor(pos._data) for pos in positions]
    fracs = [pos - Tensor._make(low.astype(dtype)) for pos, low in zip(positions, lows)]
    out = None
    for corner in itertools.product((0, 1), repeat=nd):
        index = np.zeros(points.shape[:2], dtype=np.int64)
        inside = np.ones(points.shape[:2], dtype=bool)
        weight = None
        for axis, (bit, low, frac, size, stride) in enumerate(
                zip(corner, lows, fracs, spatial, strides)):
            k = low.astype(np.int64) + bit
            inside &= (k >= 0) & (k < size)
            index += np.clip(k, 0, size - 1) * stride
            w = frac if bit else 1 - frac
            weight = w if weight is None else weight * w
        weight = weight * Tensor._make(inside.astype(dtype))
        term = _gather_corner(flat, index, c) * weight.unsqueeze(1)
        out = term if out is None else out + term
    return out.reshape((n, c) + out_spatial)


__all__: list = []  # nn.functional only (torch.grid_sampler is a different signature)
