"""Deterministic transforms: exact results on hand-made images, all image kinds, errors."""
import numpy as np
import pytest

import graphgrad
from graphgrad.vision import transforms as T
from graphgrad.vision.transforms import functional as F

RNG = np.random.default_rng(0)
IMG_HWC = RNG.integers(0, 256, (5, 7, 3), dtype=np.uint8)
IMG_CHW = graphgrad.tensor(RNG.random((3, 5, 7)).astype(np.float32))


def test_to_tensor():
    x = T.ToTensor()(IMG_HWC)
    assert isinstance(x, graphgrad.Tensor) and x.shape == (3, 5, 7) and x.dtype == graphgrad.float32
    assert np.allclose(x.numpy(), IMG_HWC.transpose(2, 0, 1) / 255)
    assert T.ToTensor()(np.zeros((4, 4), np.uint8)).shape == (1, 4, 4)
    assert T.ToTensor()(np.zeros((2, 2, 1), np.float64)).dtype == graphgrad.float64


def test_normalize_and_errors():
    out = T.Normalize([0.5, 0.25, 0.0], [0.5, 0.5, 2.0])(IMG_CHW).numpy()
    ref = (IMG_CHW.numpy() - np.array([0.5, 0.25, 0])[:, None, None]) / np.array(
        [0.5, 0.5, 2.0])[:, None, None]
    assert np.allclose(out, ref)
    with pytest.raises(ValueError, match=r"mean has 3 values but the image has 1 channel"):
        T.Normalize([0.5] * 3, [0.5] * 3)(graphgrad.zeros(1, 4, 4))
    with pytest.raises(TypeError, match="expected a float image, got uint8"):
        T.Normalize([0.5], [0.5])(graphgrad.zeros(1, 2, 2, dtype=graphgrad.uint8))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        T.Normalize([0.0], [0.0])(graphgrad.zeros(1, 2, 2))


@pytest.mark.parametrize("size", [(3, 4), (10, 14), 4, (5, 7)])
@pytest.mark.parametrize("antialias", [True, False])
def test_resize_matches_torch(size, antialias):
    torch = pytest.importorskip("torch")
    ours = F.resize(IMG_CHW, size, antialias=antialias).numpy()
    if isinstance(size, int):
        size = (size, int(size * 7 / 5))
    ref = torch.nn.functional.interpolate(torch.tensor(IMG_CHW.numpy())[None], size=size,
                                          mode="bilinear", align_corners=False,
                                          antialias=antialias)[0].numpy()
    assert ours.shape == ref.shape and np.allclose(ours, ref, atol=1e-6)
    near = F.resize(IMG_CHW, size, interpolation="nearest").numpy()
    ref = torch.nn.functional.interpolate(torch.tensor(IMG_CHW.numpy())[None], size=size,
                                          mode="nearest")[0].numpy()
    assert np.array_equal(near, ref)


def test_resize_keeps_kind_and_dtype():
    out = T.Resize((10, 14))(IMG_HWC)
    assert isinstance(out, np.ndarray) and out.shape == (10, 14, 3) and out.dtype == np.uint8
    assert T.Resize(10)(np.zeros((20, 40), np.uint8)).shape == (10, 20)


def test_crops_and_pad_exact():
    a = np.arange(20, dtype=np.uint8).reshape(4, 5)
    # the window starts at round((5 - 2) / 2) = 2 (Python rounds half to even), as torchvision
    assert T.CenterCrop(2)(a).tolist() == [[7, 8], [12, 13]]
    assert T.CenterCrop((2, 3))(a).tolist() == [[6, 7, 8], [11, 12, 13]]
    big = T.CenterCrop(6)(a)  # larger than the image: zero padded
    assert big.shape == (6, 6) and big[1:5, 0:5].tolist() == a.tolist() and big[0].sum() == 0
    assert F.crop(a, 1, 2, 2, 2).tolist() == [[7, 8], [12, 13]]
    p = T.Pad(1, fill=9)(a)
    assert p.shape == (6, 7) and p[0].tolist() == [9] * 7 and p[1:5, 1:6].tolist() == a.tolist()
    p = T.Pad((1, 2, 3, 4))(a)  # left, top, right, bottom
    assert p.shape == (4 + 2 + 4, 5 + 1 + 3)
    assert T.Pad(2, padding_mode="reflect")(a)[2, :3].tolist() == [2, 1, 0]
    assert T.Pad(1, padding_mode="edge")(a)[0, :3].tolist() == [0, 0, 1]
    assert T.Pad(1, padding_mode="symmetric")(a)[1, :3].tolist() == [0, 0, 1]
    torch = pytest.importorskip("torch")
    x = RNG.random((2, 4, 5)).astype(np.float32)
    for mode in ("reflect", "replicate"):
        ref = torch.nn.functional.pad(torch.tensor(x)[None], (1, 2, 2, 1), mode=mode)[0].numpy()
        ours = F.pad(graphgrad.tensor(x), (1, 2, 2, 1),
                     padding_mode="edge" if mode == "replicate" else mode).numpy()
        assert np.array_equal(ours, ref)


def test_flips_twice_identity():
    for img in (IMG_HWC, IMG_CHW):
        once = F.hflip(img)
        assert np.array_equal(np.asarray(F.hflip(once)), np.asarray(img))
        assert np.array_equal(np.asarray(F.vflip(F.vflip(img))), np.asarray(img))
    assert np.array_equal(F.hflip(IMG_HWC), IMG_HWC[:, ::-1])
    assert np.array_equal(F.vflip(IMG_CHW).numpy(), IMG_CHW.numpy()[:, ::-1])


def test_grayscale_exact():
    img = np.zeros((1, 2, 3), np.uint8)
    img[0, 0] = (255, 0, 0)
    img[0, 1] = (10, 20, 30)
    g = T.Grayscale()(img)
    assert g.shape == (1, 2, 1)
    assert g[0, :, 0].tolist() == [round(0.299 * 255), round(0.299 * 10 + 0.587 * 20 + 0.114 * 30)]
    assert T.Grayscale(3)(img).shape == (1, 2, 3)
    with pytest.raises(ValueError, match="expected an image with 1 or 3 channels, got 2"):
        T.Grayscale()(graphgrad.zeros(2, 3, 3))


@pytest.mark.parametrize("k", [1, 2, 3, -1])
def test_rotation_multiples_of_90_are_exact(k):
    a = np.arange(30, dtype=np.uint8).reshape(5, 6)
    sq = a[:, :5]
    for mode in ("nearest", "bilinear"):
        assert np.array_equal(F.rotate(sq, 90 * k, interpolation=mode), np.rot90(sq, k))
        assert np.array_equal(F.rotate(a, 90 * k, interpolation=mode, expand=True), np.rot90(a, k))
    assert np.array_equal(F.rotate(a, 0), a)
    assert np.array_equal(F.rotate(IMG_CHW, 0, interpolation="bilinear").numpy(), IMG_CHW.numpy())


def test_affine_translate_and_scale_exact():
    a = np.arange(1, 26, dtype=np.uint8).reshape(5, 5)
    t = F.affine(a, 0, (1, 2), 1.0, 0)  # move right 1, down 2
    assert t[2:, 1:].tolist() == a[:3, :4].tolist() and t[:2].sum() == 0 and t[:, 0].sum() == 0
    s = F.affine(a, 0, (0, 0), 2.0, 0)  # zoom by 2 about the centre pixel
    assert s[2, 2] == a[2, 2] and s[0, 0] == a[1, 1]
    sh = F.affine(a, 0, (0, 0), 1.0, (45, 0), interpolation="nearest")
    # x-shear by 45 degrees: row y is shifted by (y - centre) columns
    assert sh[2].tolist() == a[2].tolist() and sh[3, 1:].tolist() == a[3, :4].tolist()
    filled = F.affine(IMG_HWC, 0, (3, 0), 1.0, 0, fill=(1, 2, 3))
    assert filled[:, :3].reshape(-1, 3).tolist() == [[1, 2, 3]] * 15


def test_erase_changes_only_the_rectangle():
    out = F.erase(IMG_CHW, 1, 2, 2, 3, 0.0)
    diff = out.numpy() != IMG_CHW.numpy()
    assert diff[:, 1:3, 2:5].all() and not diff.sum() - diff[:, 1:3, 2:5].sum()
    same = F.erase(IMG_CHW, 1, 2, 2, 3, 0.0)
    assert same is not IMG_CHW


def test_gaussian_blur():
    const = np.full((7, 7), 100, np.uint8)
    assert np.array_equal(F.gaussian_blur(const, 5, 1.0), const)
    impulse = np.zeros((1, 9, 9), np.float32)
    impulse[0, 4, 4] = 1.0
    out = F.gaussian_blur(graphgrad.tensor(impulse), (3, 5), (1.0, 2.0)).numpy()[0]
    assert np.isclose(out.sum(), 1.0) and np.allclose(out, out[::-1, ::-1])
    assert np.count_nonzero(out.sum(axis=0)) == 3 and np.count_nonzero(out.sum(axis=1)) == 5
    x = np.exp(-0.5 * np.arange(-1, 2) ** 2)
    assert np.allclose(out[4, 3:6], (x / x.sum()) * out[4, 3:6].sum() / (x / x.sum()).sum())
    with pytest.raises(ValueError, match="positive and odd"):
        F.gaussian_blur(const, 4)


def test_color_adjustments():
    x = IMG_CHW
    assert np.allclose(F.adjust_brightness(x, 1.0).numpy(), x.numpy())
    assert np.allclose(F.adjust_brightness(x, 0.5).numpy(), x.numpy() * 0.5)
    assert np.allclose(F.adjust_contrast(x, 1.0).numpy(), x.numpy())
    c0 = F.adjust_contrast(x, 0.0).numpy()
    assert np.allclose(c0, c0.mean())  # contrast 0 is the mean grey
    s0 = F.adjust_saturation(x, 0.0).numpy()
    assert np.allclose(s0[0], s0[1]) and np.allclose(s0[1], s0[2])
    assert np.allclose(F.adjust_hue(x, 0.0).numpy(), x.numpy(), atol=1e-6)
    red = graphgrad.tensor(np.array([1.0, 0.0, 0.0], np.float32).reshape(3, 1, 1))
    assert np.allclose(F.adjust_hue(red, 1 / 3).numpy().ravel(), [0, 1, 0], atol=1e-6)
    # a hue shift there and back is the identity
    back = F.adjust_hue(F.adjust_hue(x, 0.2), -0.2).numpy()
    assert np.allclose(back, x.numpy(), atol=1e-5)
    with pytest.raises(ValueError, match=r"not in \[-0.5, 0.5\]"):
        F.adjust_hue(x, 0.7)


def test_pil_images_round_trip():
    Image = pytest.importorskip("PIL.Image")
    pil = Image.fromarray(IMG_HWC)
    out = T.Compose([T.Resize((10, 14)), T.CenterCrop(8), T.RandomHorizontalFlip(1.0)])(pil)
    assert out.mode == "RGB" and out.size == (8, 8)
    assert T.Grayscale()(pil).mode == "L"
    x = T.ToTensor()(pil)
    assert np.allclose(x.numpy(), IMG_HWC.transpose(2, 0, 1) / 255)
    back = T.ToPILImage()(x)
    assert np.array_equal(np.asarray(back), IMG_HWC)


def test_wrong_mode_and_kind_errors():
    Image = pytest.importorskip("PIL.Image")
    cmyk = Image.new("CMYK", (4, 4))
    with pytest.raises(ValueError, match="unsupported PIL image mode 'CMYK'.*convert"):
        T.Resize(2)(cmyk)
    with pytest.raises(ValueError, match=r"expected an image array of shape \(H, W\) or \(H, W, C\)"):
        T.Resize(2)(np.zeros((2, 3, 4, 4)))
    with pytest.raises(ValueError, match=r"at most 4 channels, got shape \(3, 8, 8\)"):
        T.RandomHorizontalFlip(1.0)(np.zeros((3, 8, 8)))
    with pytest.raises(TypeError, match="expected a Tensor, a NumPy array or a PIL Image"):
        T.CenterCrop(2)([[1, 2], [3, 4]])


def test_batched_tensor_deterministic_transforms():
    batch = graphgrad.tensor(RNG.random((4, 3, 6, 6)).astype(np.float32))
    out = T.Compose([T.Resize((3, 3)), T.Normalize([0.5] * 3, [0.5] * 3)])(batch)
    assert out.shape == (4, 3, 3, 3)
