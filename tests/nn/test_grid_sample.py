"""F.affine_grid and F.grid_sample against PyTorch (2-D and 3-D, every mode and padding mode,
align_corners both ways; values and gradients for input, grid and theta; float32 and float64),
float64 gradcheck, a spatial-transformer identity check, and errors."""
import itertools

import numpy as np
import pytest
from parity import check_grads, compare_with_torch, torch_or_skip

import graphgrad as gg
import graphgrad.nn.functional as F

torch = torch_or_skip()
TF = torch.nn.functional


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _grid(shape, seed=1):
    # beyond [-1, 1] on purpose (padding modes), away from integer pixel positions
    return np.random.default_rng(seed).uniform(-1.3, 1.3, shape).astype(np.float32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode,padding_mode,align_corners", list(itertools.product(
    ["bilinear", "nearest"], ["zeros", "border", "reflection"], [False, True])))
def test_grid_sample_2d_matches_torch(mode, padding_mode, align_corners, dtype):
    x, grid = randn(2, 3, 5, 6).astype(dtype), _grid((2, 4, 7, 2)).astype(dtype)
    kw = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    compare_with_torch(lambda x, g: F.grid_sample(x, g, **kw),
                       lambda x, g: TF.grid_sample(x, g, **kw), [x, grid],
                       grad_inputs=[0, 1] if mode == "bilinear" else [0])


@pytest.mark.parametrize("mode,padding_mode,align_corners", [
    ("bilinear", "zeros", False), ("bilinear", "reflection", True), ("bilinear", "border", False),
    ("nearest", "zeros", True)])
def test_grid_sample_3d_matches_torch(mode, padding_mode, align_corners):
    x, grid = randn(2, 2, 3, 4, 5), _grid((2, 2, 3, 4, 3))
    kw = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    compare_with_torch(lambda x, g: F.grid_sample(x, g, **kw),
                       lambda x, g: TF.grid_sample(x, g, **kw), [x, grid],
                       grad_inputs=[0, 1] if mode == "bilinear" else [0])


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 3, 4, 2)])
def test_affine_grid_matches_torch(size, align_corners):
    nd = len(size) - 2
    theta = randn(size[0], nd, nd + 1)
    compare_with_torch(lambda t: F.affine_grid(t, size, align_corners=align_corners),
                       lambda t: TF.affine_grid(t, size, align_corners=align_corners), [theta])


def test_spatial_transformer_pipeline_and_identity():
    x, theta = randn(2, 3, 6, 5), randn(2, 2, 3, seed=4) * 0.3

    def stn(F_, x, theta):
        grid = F_.affine_grid(theta, list(x.shape), align_corners=False)
        return F_.grid_sample(x, grid, align_corners=False, padding_mode="border")

    compare_with_torch(lambda x, t: stn(F, x, t), lambda x, t: stn(TF, x, t), [x, theta])
    identity = gg.tensor(np.tile(np.eye(2, 3, dtype=np.float32), (2, 1, 1)))
    for align in (False, True):
        grid = F.affine_grid(identity, [2, 3, 6, 5], align_corners=align)
        np.testing.assert_allclose(F.grid_sample(gg.tensor(x), grid, align_corners=align).numpy(),
                                   x, rtol=1e-5, atol=1e-6)


def test_gradcheck():
    x, grid = randn(1, 2, 4, 5).astype(np.float64), _grid((1, 3, 3, 2)).astype(np.float64)
    for padding_mode in ("zeros", "border", "reflection"):
        check_grads(lambda x, g: F.grid_sample(x, g, padding_mode=padding_mode,
                                               align_corners=False), [x, grid])
    check_grads(lambda t: F.affine_grid(t, [1, 1, 3, 4], align_corners=True),
                [randn(1, 2, 3).astype(np.float64)])


def test_errors_and_default_align_corners_warning():
    x = gg.randn(1, 1, 3, 3)
    grid = gg.zeros(1, 2, 2, 2)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.grid_sample(x, grid)
    with pytest.raises(ValueError, match="expected mode to be 'bilinear', 'nearest' or 'bicubic'"):
        F.grid_sample(x, grid, mode="area", align_corners=False)
    with pytest.raises(ValueError, match="expected padding_mode"):
        F.grid_sample(x, grid, padding_mode="wrap", align_corners=False)
    with pytest.raises(NotImplementedError, match="bicubic"):
        F.grid_sample(x, grid, mode="bicubic", align_corners=False)
    with pytest.raises(RuntimeError, match=r"got input \(1, 1, 3, 3\) and grid \(1, 2, 2, 3\)"):
        F.grid_sample(x, gg.zeros(1, 2, 2, 3), align_corners=False)
    with pytest.raises(ValueError, match="Expected a batch of 2D affine matrices of shape Nx2x3"):
        F.affine_grid(gg.zeros(1, 3, 4), [1, 1, 3, 3], align_corners=False)
    with pytest.raises(NotImplementedError, match="only supports 4D and 5D sizes"):
        F.affine_grid(gg.zeros(1, 2, 3), [1, 3, 3], align_corners=False)
