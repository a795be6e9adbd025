"""Generative adversarial networks (Goodfellow et al. 2014): a generator turns noise ``z`` into an
image, a discriminator scores how real an image looks (a logit), and the two are trained against
each other (see ``graphgrad.train.gan.GANTrainer``).

``GAN`` pairs MLPs; ``DCGAN`` (Radford et al. 2016) pairs a transposed-convolution generator with
batch norm and ReLU and a strided-convolution discriminator with LeakyReLU, sized for 28x28 digits:

    G: z (100) [-> Linear -> h] -> Linear -> 2c x 7 x 7 -> ConvT 4x4/2 -> c x 14 x 14 -> ConvT 4x4/2
       -> C x 28 x 28, tanh
    D: C x 28 x 28 -> Conv 4x4/2 -> c x 14 x 14 -> Conv 4x4/2 -> 2c x 7 x 7 [-> Linear -> h]
       -> Linear -> 1 logit

``extra_layers`` (the ``n_extra_layers`` of the DCGAN and WGAN reference code) inserts that many
3x3 stride-1 convolutions at c x 14 x 14 in both networks: more depth where the strokes are drawn,
at little cost. ``fc_hidden`` = h > 0 adds the bracketed fully connected layers (the InfoGAN
paper's MNIST networks have h = 1024): more depth where the digit's layout is decided.

Generated images lie in [-1, 1] (tanh), so real images are scaled to [-1, 1] for training.
"""
from __future__ import annotations

import math

from .. import nn, no_grad, randn


def dcgan_init_(module) -> None:
    """DCGAN's initialisation, in place: convolution and linear weights ~ N(0, 0.02), batch-norm
    scales ~ N(1, 0.02), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def _count(layer: str, value, name: str = "extra_layers") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{layer}: {name} must be an integer >= 0, got {value!r}")
    return value


class MLPGenerator(nn.Sequential):
    """z (N, latent_dim) -> Linear-LeakyReLU per hidden size -> Linear -> tanh -> (N, *image_shape)."""

    def __init__(self, latent_dim: int = 100, hidden_sizes=(256, 512), image_shape=(1, 28, 28)):
        layers, width = [], latent_dim
        for h in hidden_sizes:
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]
            width = h
        layers += [nn.Linear(width, math.prod(image_shape)), nn.Tanh(),
                   nn.Unflatten(1, tuple(image_shape))]
        super().__init__(*layers)


class MLPDiscriminator(nn.Sequential):
    """(N, *image_shape) -> Flatten -> Linear-LeakyReLU(-Dropout) per hidden size -> (N, 1) logit."""

    def __init__(self, hidden_sizes=(512, 256), image_shape=(1, 28, 28), dropout: float = 0.3):
        layers, width = [nn.Flatten()], math.prod(image_shape)
        for h in hidden_sizes:
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = h
        layers.append(nn.Linear(width, 1))
        super().__init__(*layers)


class DCGenerator(nn.Sequential):
    """z (N, latent_dim) -> (N, image_channels, 4s, 4s) in [-1, 1], s = ``image_size`` / 4."""

    def __init__(self, latent_dim: int = 100, channels: int = 64, image_channels: int = 1,
                 image_size: int = 28, extra_layers: int = 0, fc_hidden: int = 0):
        if image_size % 4:
            raise ValueError(f"DCGenerator: image_size must be a multiple of 4, got {image_size}")
        s, c = image_size // 4, channels
        extra = []
        for _ in range(_count("DCGenerator", extra_layers)):
            extra += [nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU()]
        head, width = [], latent_dim
        if _count("DCGenerator", fc_hidden, "fc_hidden"):
            head, width = [nn.Linear(latent_dim, fc_hidden, bias=False), nn.BatchNorm1d(fc_hidden),
                           nn.ReLU()], fc_hidden
        super().__init__(
            *head,
            nn.Linear(width, 2 * c * s * s, bias=False), nn.BatchNorm1d(2 * c * s * s), nn.ReLU(),
            nn.Unflatten(1, (2 * c, s, s)),
            nn.ConvTranspose2d(2 * c, c, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(c),
            nn.ReLU(), *extra,
            nn.ConvTranspose2d(c, image_channels, 4, stride=2, padding=1), nn.Tanh())


class DCDiscriminator(nn.Sequential):
    """(N, image_channels, 4s, 4s) -> (N, 1) logit. ``batch_norm=False`` drops the batch norm of
    the second convolution (a gradient penalty assumes each sample's score depends on that sample
    alone, which batch norm breaks)."""

    def __init__(self, channels: int = 64, image_channels: int = 1, image_size: int = 28,
                 batch_norm: bool = True, extra_layers: int = 0, dropout: float = 0.0,
                 fc_hidden: int = 0):
        if image_size % 4:
            raise ValueError(f"DCDiscriminator: image_size must be a multiple of 4, got {image_size}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"DCDiscriminator: dropout must be in [0, 1), got {dropout}")
        s, c = image_size // 4, channels

        def act():  # LeakyReLU, then dropout if asked (against memorising a small training set)
            return [nn.LeakyReLU(0.2)] + ([nn.Dropout(dropout)] if dropout else [])

        tail, width = [], 2 * c * s * s
        if _count("DCDiscriminator", fc_hidden, "fc_hidden"):
            tail, width = [nn.Linear(width, fc_hidden, bias=not batch_norm),
                           nn.BatchNorm1d(fc_hidden) if batch_norm else nn.Identity(), *act()], fc_hidden
        extra = []
        for _ in range(_count("DCDiscriminator", extra_layers)):
            extra += [nn.Conv2d(c, c, 3, padding=1, bias=not batch_norm),
                      nn.BatchNorm2d(c) if batch_norm else nn.Identity(), *act()]
        super().__init__(
            nn.Conv2d(image_channels, c, 4, stride=2, padding=1), *act(), *extra,
            nn.Conv2d(c, 2 * c, 4, stride=2, padding=1, bias=not batch_norm),
            nn.BatchNorm2d(2 * c) if batch_norm else nn.Identity(), *act(),
            nn.Flatten(), *tail, nn.Linear(width, 1))


class _GANPair(nn.Module):
    """A generator and a discriminator under one name, so one ``state_dict`` holds both."""

    generator: nn.Module
    discriminator: nn.Module

    def forward(self, z):
        """Generate images from noise ``z`` (N, latent_dim)."""
        return self.generator(z)

    def sample(self, n: int, generator=None):
        """``n`` images from ``z ~ N(0, I)`` (values in [-1, 1]) without recording a graph; the
        generator network is put in eval mode (batch norm uses its running statistics) and back."""
        z = randn(n, self.latent_dim, generator=generator)
        was_training = self.generator.training
        self.generator.eval()
        try:
            with no_grad():
                return self.generator(z)
        finally:
            self.generator.train(was_training)


class GAN(_GANPair):
    """The original MLP GAN: ``MLPGenerator`` and ``MLPDiscriminator``."""

    def __init__(self, latent_dim: int = 100, g_hidden=(256, 512), d_hidden=(512, 256),
                 image_shape=(1, 28, 28), dropout: float = 0.3):
        super().__init__()
        self.latent_dim, self.image_shape = int(latent_dim), tuple(image_shape)
        self.generator = MLPGenerator(latent_dim, g_hidden, image_shape)
        self.discriminator = MLPDiscriminator(d_hidden, image_shape, dropout)


class DCGAN(_GANPair):
    """Deep convolutional GAN: ``DCGenerator`` and ``DCDiscriminator`` with DCGAN's initialisation.

    ``channels`` is c in the module docstring (64 gives G 2c=128 -> 64 -> 1 channels);
    ``d_channels`` sets the discriminator's c on its own (default: the same);
    ``d_spectral_norm`` spectrally normalises every convolution and linear layer of the
    discriminator (``nn.utils.spectral_norm``; Miyato et al. 2018 use it instead of batch norm);
    ``d_dropout`` adds dropout after each of the discriminator's LeakyReLUs; ``fc_hidden`` adds a
    fully connected hidden layer of that width (batch norm, ReLU / LeakyReLU) between the noise and
    the first feature map in the generator and between the last feature map and the logit in the
    discriminator, as the InfoGAN paper's MNIST networks (1024 there)."""

    def __init__(self, latent_dim: int = 100, channels: int = 64, image_channels: int = 1,
                 image_size: int = 28, d_batch_norm: bool = True, extra_layers: int = 0,
                 d_channels: int | None = None, d_spectral_norm: bool = False,
                 d_dropout: float = 0.0, fc_hidden: int = 0):
        super().__init__()
        self.latent_dim = int(latent_dim)
        self.image_shape = (image_channels, image_size, image_size)
        self.generator = DCGenerator(latent_dim, channels, image_channels, image_size, extra_layers,
                                     fc_hidden)
        self.discriminator = DCDiscriminator(channels if d_channels is None else d_channels,
                                             image_channels, image_size, d_batch_norm, extra_layers,
                                             d_dropout, fc_hidden)
        dcgan_init_(self)
        if d_spectral_norm:  # after the init: it reparametrises the initialised weights
            for m in self.discriminator.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    nn.utils.spectral_norm(m)
