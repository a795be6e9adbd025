"""interpolate (every mode), pixel_shuffle/unshuffle and fold/unfold against PyTorch, with
gradcheck/gradgradcheck in float64 and error messages."""
import numpy as np
import pytest

import graphgrad
import graphgrad.nn.functional as F
from parity import check_grads, compare_with_torch, torch_or_skip


def _x(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("opts", [
    dict(scale_factor=2), dict(scale_factor=3), dict(size=(7, 12)), dict(scale_factor=1.7),
    dict(size=(3, 4)), dict(scale_factor=(2, 3)), dict(scale_factor=0.6, mode="nearest-exact"),
    dict(size=(9, 9), mode="nearest-exact"),
    dict(scale_factor=2, mode="bilinear"), dict(scale_factor=2, mode="bilinear", align_corners=True),
    dict(size=(4, 11), mode="bilinear"), dict(size=(1, 3), mode="bilinear", align_corners=True),
    dict(scale_factor=1.5, mode="bilinear", recompute_scale_factor=True),
    dict(scale_factor=1.3, mode="bilinear"), dict(size=(8, 3), mode="bicubic"),
    dict(size=(8, 13), mode="bicubic", align_corners=True), dict(size=(3, 4), mode="area"),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_interpolate_2d_matches_torch(opts, dtype):
    torch = torch_or_skip()
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else {}
    compare_with_torch(lambda x: F.interpolate(x, **opts),
                       lambda x: torch.nn.functional.interpolate(x, **opts),
                       [_x((2, 3, 5, 7), dtype)], **tol)


@pytest.mark.parametrize("shape, opts", [
    ((2, 3, 6), dict(scale_factor=2.5, mode="linear")),
    ((2, 3, 6), dict(size=4, mode="linear", align_corners=True)),
    ((2, 3, 6), dict(scale_factor=2)),
    ((1, 2, 3, 4, 5), dict(size=(5, 6, 4), mode="trilinear")),
    ((1, 2, 3, 4, 5), dict(scale_factor=2)),
    ((1, 2, 3, 4, 5), dict(size=(2, 3, 3), mode="area")),
])
def test_interpolate_1d_3d_matches_torch(shape, opts):
    torch = torch_or_skip()
    compare_with_torch(lambda x: F.interpolate(x, **opts),
                       lambda x: torch.nn.functional.interpolate(x, **opts), [_x(shape)])


def test_pixel_shuffle_and_unshuffle_match_torch():
    torch = torch_or_skip()
    tf = torch.nn.functional
    compare_with_torch(lambda x: F.pixel_shuffle(x, 2), lambda x: tf.pixel_shuffle(x, 2),
                       [_x((2, 8, 3, 4))])
    compare_with_torch(lambda x: F.pixel_shuffle(x, 3), lambda x: tf.pixel_shuffle(x, 3),
                       [_x((9, 2, 2))])
    compare_with_torch(lambda x: F.pixel_unshuffle(x, 2), lambda x: tf.pixel_unshuffle(x, 2),
                       [_x((2, 2, 6, 4))])


@pytest.mark.parametrize("k, d, p, s", [(2, 1, 0, 1), ((2, 3), (1, 2), 1, (2, 1)), (3, 1, 1, 3)])
def test_unfold_and_fold_match_torch(k, d, p, s):
    torch = torch_or_skip()
    tf = torch.nn.functional
    x = _x((2, 3, 7, 8))
    cols = compare_with_torch(lambda t: F.unfold(t, k, d, p, s), lambda t: tf.unfold(t, k, d, p, s),
                              [x])
    compare_with_torch(lambda t: F.fold(t, (7, 8), k, d, p, s),
                       lambda t: tf.fold(t, (7, 8), k, d, p, s), [cols[0].detach().numpy()])


@pytest.mark.parametrize("fn", [
    lambda x: F.interpolate(x, scale_factor=1.5, mode="bilinear"),
    lambda x: F.interpolate(x, size=(5, 4), mode="bicubic", align_corners=True),
    lambda x: F.interpolate(x, scale_factor=2),
    lambda x: F.interpolate(x, size=(4, 5)),
    lambda x: F.pixel_shuffle(x.repeat(1, 2, 1, 1), 2),
    lambda x: F.unfold(x, 2, padding=1, stride=2),
    lambda x: F.fold(x.reshape(2, 4, 6), (4, 3), 2),
])
def test_gradcheck_and_gradgradcheck(fn):
    check_grads(fn, [_x((2, 2, 3, 4))])


def test_errors():
    x = graphgrad.randn(1, 2, 4, 4)
    with pytest.raises(NotImplementedError, match="Got 4D input, but linear mode needs 3D input"):
        F.interpolate(x, scale_factor=2, mode="linear")
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(RuntimeError, match=r"input.size\(-3\)=2 is not divisible by 4"):
        F.pixel_shuffle(x, 2)
    with pytest.raises(RuntimeError, match="fold: .*calculated number of sliding blocks"):
        F.fold(graphgrad.randn(1, 4, 5), (3, 3), 2)
