"""Random transforms: seeding, parameter distributions and invariants."""
import numpy as np
import pytest

import graphgrad
from graphgrad.vision import transforms as T

RNG = np.random.default_rng(1)
IMG = graphgrad.tensor(RNG.random((3, 16, 16)).astype(np.float32))
U8 = RNG.integers(0, 256, (16, 16), dtype=np.uint8)

RANDOM = [
    T.RandomCrop(12, padding=2),
    T.RandomHorizontalFlip(),
    T.RandomVerticalFlip(),
    T.RandomRotation(30, interpolation="bilinear"),
    T.RandomAffine(20, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=10),
    T.RandomResizedCrop(8),
    T.ColorJitter(0.4, 0.4, 0.4, 0.1),
    T.RandomErasing(p=1.0),
    T.GaussianBlur(3),
    T.RandomApply([T.RandomRotation(10)], p=0.5),
    T.RandomChoice([T.RandomHorizontalFlip(1.0), T.RandomVerticalFlip(1.0)]),
    T.RandomGrayscale(0.5),
]


@pytest.mark.parametrize("t", RANDOM, ids=lambda t: type(t).__name__)
def test_seeded_through_manual_seed(t):
    graphgrad.manual_seed(11)
    a = [t(IMG).numpy() for _ in range(4)]
    graphgrad.manual_seed(11)
    b = [t(IMG).numpy() for _ in range(4)]
    for x, y in zip(a, b):
        assert np.array_equal(x, y)


@pytest.mark.parametrize("t", RANDOM[:9], ids=lambda t: type(t).__name__)
def test_random_transforms_accept_arrays_and_keep_kind(t):
    out = t(np.ascontiguousarray(U8))
    assert isinstance(out, np.ndarray) and out.dtype == np.uint8 and out.ndim == 2


def test_flip_probability():
    graphgrad.manual_seed(0)
    flips = sum(not np.array_equal(T.RandomHorizontalFlip(0.3)(U8), U8) for _ in range(2000))
    assert abs(flips / 2000 - 0.3) < 0.04


def test_random_crop_positions_uniform():
    t = T.RandomCrop(2)
    a = np.arange(16).reshape(4, 4)
    tops = [t(a)[0, 0] // 4 for _ in range(3000)]
    freq = np.bincount(tops, minlength=3) / 3000
    assert np.allclose(freq, 1 / 3, atol=0.04)
    assert T.RandomCrop(6, pad_if_needed=True)(a).shape == (6, 6)
    with pytest.raises(ValueError, match="larger than the input image size"):
        T.RandomCrop(6)(a)


def test_rotation_angle_distribution_and_zero_is_exact():
    angles = np.array([T.RandomRotation.get_params((-30, 30)) for _ in range(4000)])
    assert angles.min() >= -30 and angles.max() <= 30
    assert abs(angles.mean()) < 1.5 and abs(angles.std() - 60 / np.sqrt(12)) < 1.0
    assert np.array_equal(T.RandomRotation((0, 0))(U8), U8)
    assert np.array_equal(T.RandomAffine(0)(U8), U8)


def test_affine_params_ranges():
    for _ in range(500):
        angle, (tx, ty), s, (shx, shy) = T.RandomAffine.get_params(
            (-10, 10), (0.2, 0.1), (0.8, 1.2), (-5, 5, -3, 3), [20, 30])
        assert -10 <= angle <= 10 and abs(tx) <= 4 and abs(ty) <= 3 and 0.8 <= s <= 1.2
        assert -5 <= shx <= 5 and -3 <= shy <= 3
        assert isinstance(tx, int)


def test_resized_crop_params():
    for _ in range(300):
        i, j, h, w = T.RandomResizedCrop.get_params(U8, (0.25, 1.0), (3 / 4, 4 / 3))
        assert 0 <= i and i + h <= 16 and 0 <= j and j + w <= 16
        assert 0.2 <= h * w / 256 <= 1.0
    assert T.RandomResizedCrop((5, 7))(IMG).shape == (3, 5, 7)


def test_erasing_changes_only_one_rectangle():
    t = T.RandomErasing(p=1.0, value=0.5)
    for _ in range(50):
        out = t(IMG).numpy()
        diff = np.any(out != IMG.numpy(), axis=0)
        rows, cols = np.flatnonzero(diff.any(1)), np.flatnonzero(diff.any(0))
        if len(rows) == 0:
            continue
        box = diff[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
        assert box.all() and diff.sum() == box.size  # one solid rectangle, nothing else
        area = box.size / 256
        assert 0.0 < area <= 0.33 + 0.1
    assert np.array_equal(T.RandomErasing(p=0.0)(IMG).numpy(), IMG.numpy())
    noisy = T.RandomErasing(p=1.0, value="random")(IMG)
    assert noisy.shape == IMG.shape


def test_color_jitter_factor_ranges():
    for _ in range(200):
        order, b, c, s, h = T.ColorJitter.get_params((0.5, 1.5), (0.8, 1.2), (0, 2), (-0.1, 0.1))
        assert sorted(order) == [0, 1, 2, 3]
        assert 0.5 <= b <= 1.5 and 0.8 <= c <= 1.2 and 0 <= s <= 2 and -0.1 <= h <= 0.1
    assert T.ColorJitter().get_params((1, 1), (1, 1), (1, 1), (0, 0))[1:] == (None,) * 4
    with pytest.raises(ValueError, match="hue values should be between"):
        T.ColorJitter(hue=0.7)


def test_gaussian_blur_sigma_range():
    sig = [T.GaussianBlur.get_params(0.1, 2.0) for _ in range(500)]
    assert min(sig) >= 0.1 and max(sig) <= 2.0


def test_random_choice_and_apply_frequencies():
    graphgrad.manual_seed(0)
    t = T.RandomChoice([T.Lambda(lambda x: 0), T.Lambda(lambda x: 1)], p=[0.2, 0.8])
    assert abs(np.mean([t(None) for _ in range(2000)]) - 0.8) < 0.04
    a = T.RandomApply([T.Lambda(lambda x: x + 1)], p=0.25)
    assert abs(np.mean([a(0) for _ in range(2000)]) - 0.25) < 0.04


def test_batch_of_64_mnist_images_pipeline():
    aug = T.Compose([T.RandomRotation(15), T.RandomAffine(0, translate=(0.1, 0.1), scale=(0.9, 1.1)),
                     T.ToTensor(), T.RandomErasing(p=0.5)])
    batch = RNG.integers(0, 256, (64, 28, 28), dtype=np.uint8)
    out = [aug(img) for img in batch]
    assert all(o.shape == (1, 28, 28) for o in out)
