"""Autoencoder, VAE, GAN and DCGAN: shapes, the loss formulas (against NumPy and PyTorch), a few
training steps that lower the loss, and checkpoint round trips."""
import math

import numpy as np
import pytest

import graphgrad as gg
from graphgrad import nn, optim
from graphgrad.models import DCGAN, GAN, VAE, Autoencoder
from graphgrad.train.sample_quality import mnist_digits


@pytest.fixture(scope="module")
def digits():
    x, y = mnist_digits(train=True)
    keep = np.random.default_rng(0).permutation(len(x))[:64]
    return x[keep], y[keep]


def _bce_sum(logits, target):
    return float(np.sum(np.maximum(logits, 0) - logits * target + np.log1p(np.exp(-np.abs(logits)))))


# ------------------------------------------------------------------------------ autoencoder
@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_autoencoder_shapes(arch):
    model = Autoencoder(latent_dim=3, arch=arch, hidden_sizes=(32,), channels=(4, 8))
    x = gg.rand(5, 1, 28, 28)
    assert model.encode(x).shape == (5, 3)
    out = model(x)
    assert out.shape == (5, 1, 28, 28)
    assert 0.0 <= float(out.min()) and float(out.max()) <= 1.0
    assert model.decode(gg.randn(2, 3)).shape == (2, 1, 28, 28)


def test_autoencoder_losses_match_numpy():
    x = gg.rand(4, 1, 28, 28)
    for kind in ("bce", "mse"):
        model = Autoencoder(latent_dim=2, hidden_sizes=(16,), loss=kind)
        logits = model.decode_logits(model.encode(x)).detach().numpy()
        xn = x.numpy()
        if kind == "bce":
            expected = _bce_sum(logits, xn) / 4
        else:
            expected = float(((1 / (1 + np.exp(-logits)) - xn) ** 2).sum()) / 4
        assert float(model.reconstruction_loss(x)) == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_autoencoder_trains(digits, arch):
    x = gg.tensor(digits[0][:32])
    model = Autoencoder(latent_dim=2, arch=arch, hidden_sizes=(64,), channels=(4, 8))
    opt = optim.Adam(model.parameters(), lr=3e-3)
    first = float(model.reconstruction_loss(x))
    for _ in range(15):
        loss = model.reconstruction_loss(x)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(model.reconstruction_loss(x)) < 0.8 * first


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="arch must be 'mlp' or 'conv'"):
        Autoencoder(arch="rnn")
    with pytest.raises(ValueError, match="loss must be 'bce' or 'mse'"):
        Autoencoder(loss="l1")
    with pytest.raises(ValueError, match="likelihood must be"):
        VAE(likelihood="poisson")
    with pytest.raises(ValueError, match="multiples of 4"):
        Autoencoder(arch="conv", image_shape=(1, 30, 30))
    with pytest.raises(ValueError, match="multiple of 4"):
        DCGAN(image_size=30)


# ------------------------------------------------------------------------------ VAE
@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_vae_shapes_and_modes(arch):
    model = VAE(latent_dim=4, arch=arch, hidden_sizes=(32,), channels=(4, 8))
    x = gg.rand(3, 1, 28, 28)
    recon, mu, logvar = model(x)
    assert recon.shape == (3, 1, 28, 28) and mu.shape == (3, 4) and logvar.shape == (3, 4)
    model.eval()  # eval mode decodes the mean code: deterministic
    np.testing.assert_array_equal(model(x)[0].detach().numpy(), model(x)[0].detach().numpy())
    s = model.sample(6)
    assert s.shape == (6, 1, 28, 28) and not s.requires_grad


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_vae_elbo_parts_match_formulas(likelihood):
    model = VAE(latent_dim=3, hidden_sizes=(16,), likelihood=likelihood, gaussian_std=0.2, beta=0.5)
    x = gg.rand(4, 1, 28, 28)
    terms = model.loss(x, generator=gg.Generator().manual_seed(7))
    mu, logvar = (t.detach().numpy() for t in model.encode(x))
    eps = gg.randn((4, 3), generator=gg.Generator().manual_seed(7)).numpy()
    z = mu + np.exp(0.5 * logvar) * eps
    logits = model.decode_logits(gg.tensor(z)).detach().numpy()
    xn = x.numpy()
    if likelihood == "bernoulli":
        recon = _bce_sum(logits, xn) / 4
    else:
        mean = 1 / (1 + np.exp(-logits))
        recon = float(((mean - xn) ** 2).sum() / (2 * 0.04) / 4 + 0.5 * 784 * math.log(2 * math.pi * 0.04))
    kl = float(-0.5 * (1 + logvar - mu ** 2 - np.exp(logvar)).sum() / 4)
    assert float(terms["recon"]) == pytest.approx(recon, rel=1e-4)
    assert float(terms["kl"]) == pytest.approx(kl, rel=1e-4, abs=1e-6)
    assert float(terms["loss"]) == pytest.approx(recon + 0.5 * kl, rel=1e-4)


def test_vae_kl_matches_torch():
    torch = pytest.importorskip("torch")
    model = VAE(latent_dim=5, hidden_sizes=(16,))
    x = gg.rand(6, 1, 28, 28)
    mu, logvar = (t.detach().numpy().astype(np.float64) for t in model.encode(x))
    q = torch.distributions.Normal(torch.tensor(mu), torch.tensor(np.exp(0.5 * logvar)))
    p = torch.distributions.Normal(torch.zeros(6, 5, dtype=torch.float64),
                                   torch.ones(6, 5, dtype=torch.float64))
    expected = torch.distributions.kl_divergence(q, p).sum().item() / 6
    assert float(model.loss(x)["kl"]) == pytest.approx(expected, rel=1e-4, abs=1e-6)


def test_vae_gradient_reaches_encoder_through_the_sample():
    model = VAE(latent_dim=2, hidden_sizes=(8,))
    model.loss(gg.rand(2, 1, 28, 28))["recon"].backward()
    first = model.encoder[1]  # the first Linear
    assert first.weight.grad is not None and float(first.weight.grad.abs().sum()) > 0


def test_vae_trains(digits):
    x = gg.tensor(digits[0])
    model = VAE(latent_dim=4, hidden_sizes=(64,))
    opt = optim.Adam(model.parameters(), lr=3e-3)
    gen = lambda: gg.Generator().manual_seed(1)  # noqa: E731
    first = float(model.loss(x, generator=gen())["loss"])
    for _ in range(15):
        loss = model.loss(x)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(model.loss(x, generator=gen())["loss"]) < 0.8 * first


# ------------------------------------------------------------------------------ GANs
def test_gan_and_dcgan_shapes():
    for model in (GAN(latent_dim=8, g_hidden=(16,), d_hidden=(16,)), DCGAN(latent_dim=8, channels=4)):
        z = gg.randn(5, 8)
        fake = model(z)
        assert fake.shape == (5, 1, 28, 28)
        assert float(fake.abs().max()) <= 1.0
        assert model.discriminator(fake).shape == (5, 1)
        model.train()
        s = model.sample(3)
        assert s.shape == (3, 1, 28, 28) and not s.requires_grad
        assert model.generator.training  # sample() restores the mode


def test_dcgan_architecture_and_init():
    model = DCGAN()  # the recipe's size: 2c = 128 channels at 7x7, c = 64 at 14x14, 1 at 28x28
    g = model.generator
    convt = [m for m in g.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert [(m.in_channels, m.out_channels, m.stride) for m in convt] == [(128, 64, (2, 2)), (64, 1, (2, 2))]
    assert any(isinstance(m, nn.BatchNorm2d) for m in g.modules())
    d = model.discriminator
    assert any(isinstance(m, nn.LeakyReLU) for m in d.modules())
    convs = [m for m in d.modules() if isinstance(m, nn.Conv2d)]
    assert [m.stride for m in convs] == [(2, 2), (2, 2)]
    w = convt[0].weight.detach().numpy()
    assert abs(w.std() - 0.02) < 0.002 and abs(w.mean()) < 0.002
    assert not any(isinstance(m, nn.BatchNorm2d) for m in DCGAN(channels=4, d_batch_norm=False)
                   .discriminator.modules())


def test_dcgan_extra_layers_and_discriminator_width():
    model = DCGAN(latent_dim=8, channels=4, extra_layers=2, d_channels=6)
    g_convs = [m for m in model.generator.modules() if type(m) is nn.Conv2d]
    assert [(m.in_channels, m.out_channels, m.kernel_size, m.stride) for m in g_convs] == \
        [(4, 4, (3, 3), (1, 1))] * 2  # stride-1 3x3 convolutions at c x 14 x 14
    d_convs = [m for m in model.discriminator.modules() if isinstance(m, nn.Conv2d)]
    assert [(m.in_channels, m.out_channels) for m in d_convs] == [(1, 6), (6, 6), (6, 6), (6, 12)]
    x = model.sample(3)
    assert x.shape == (3, 1, 28, 28) and model.discriminator(x).shape == (3, 1)
    plain = DCGAN(latent_dim=8, channels=4)
    assert len(list(plain.generator.modules())) < len(list(model.generator.modules()))
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="DCGenerator: extra_layers must be an integer >= 0"):
            DCGAN(channels=4, extra_layers=bad)


def test_dcgan_spectrally_normalised_discriminator():
    model = DCGAN(latent_dim=8, channels=4, d_batch_norm=False, d_spectral_norm=True)
    layers = [m for m in model.discriminator.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert len(layers) == 3
    for m in layers:  # weight_orig is the parameter; the used weight has largest singular value ~1
        assert "weight_orig" in dict(m.named_parameters()) and "weight" not in dict(m.named_parameters())
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.discriminator.modules())
    for _ in range(20):
        model.discriminator(gg.randn(2, 1, 28, 28))
    for m in layers:
        w = m.weight.detach().numpy()
        assert abs(np.linalg.svd(w.reshape(w.shape[0], -1), compute_uv=False)[0] - 1) < 0.05
    assert not any(isinstance(getattr(m, "weight_orig", None), nn.Parameter)
                   for m in model.generator.modules())


def test_dcgan_fully_connected_hidden_layer():
    model = DCGAN(latent_dim=8, channels=4, fc_hidden=16)
    g_fc = [(m.in_features, m.out_features) for m in model.generator.modules() if isinstance(m, nn.Linear)]
    d_fc = [(m.in_features, m.out_features) for m in model.discriminator.modules()
            if isinstance(m, nn.Linear)]
    assert g_fc == [(8, 16), (16, 8 * 49)] and d_fc == [(8 * 49, 16), (16, 1)]
    x = model.sample(3)
    assert x.shape == (3, 1, 28, 28) and model.discriminator(x).shape == (3, 1)
    with pytest.raises(ValueError, match="DCGenerator: fc_hidden must be an integer >= 0, got -2"):
        DCGAN(channels=4, fc_hidden=-2)


def test_dcgan_discriminator_dropout():
    model = DCGAN(latent_dim=8, channels=4, d_dropout=0.3)
    drops = [m for m in model.discriminator.modules() if isinstance(m, nn.Dropout)]
    assert [m.p for m in drops] == [0.3, 0.3]  # after each LeakyReLU
    x = gg.randn(4, 1, 28, 28)
    model.discriminator.eval()
    with gg.no_grad():
        np.testing.assert_array_equal(model.discriminator(x).numpy(), model.discriminator(x).numpy())
    model.discriminator.train()
    assert not np.array_equal(model.discriminator(x).detach().numpy(),
                              model.discriminator(x).detach().numpy())
    assert not any(isinstance(m, nn.Dropout) for m in DCGAN(channels=4).discriminator.modules())
    with pytest.raises(ValueError, match=r"DCDiscriminator: dropout must be in \[0, 1\), got 1.0"):
        DCGAN(channels=4, d_dropout=1.0)


def test_sample_with_generator_is_reproducible():
    model = DCGAN(latent_dim=8, channels=4)
    a = model.sample(4, generator=gg.Generator().manual_seed(3)).numpy()
    b = model.sample(4, generator=gg.Generator().manual_seed(3)).numpy()
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("make", [
    lambda: Autoencoder(latent_dim=2, arch="conv", channels=(4, 8)),
    lambda: VAE(latent_dim=3, hidden_sizes=(16,)),
    lambda: DCGAN(latent_dim=8, channels=4),
    lambda: DCGAN(latent_dim=8, channels=4, d_batch_norm=False, d_spectral_norm=True),
    lambda: GAN(latent_dim=8, g_hidden=(16,), d_hidden=(16,)),
])
def test_checkpoint_round_trip(make, tmp_path):
    model = make()
    model.eval()
    path = str(tmp_path / "m.npz")
    gg.save(model.state_dict(), path)
    other = make()
    other.load_state_dict(gg.load(path))
    other.eval()
    x = gg.randn(2, 8) if isinstance(model, (GAN, DCGAN)) else gg.rand(2, 1, 28, 28)
    out_a, out_b = model(x), other(x)
    out_a, out_b = (out_a[0], out_b[0]) if isinstance(out_a, tuple) else (out_a, out_b)
    np.testing.assert_array_equal(out_a.detach().numpy(), out_b.detach().numpy())
