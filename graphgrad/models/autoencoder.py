"""Autoencoders: an encoder squeezes an image into a small code, a decoder rebuilds the image from it,
and training minimises the reconstruction error. ``Autoencoder`` comes as an MLP (``arch='mlp'``) or
a small convolutional network (``arch='conv'``) for 28x28 (or any multiple-of-4 square) images.

The encoder and decoder builders here are shared with ``VAE``.
"""
from __future__ import annotations

import math

from .. import nn
from ..nn import functional as F


def mlp_encoder(in_features: int, hidden_sizes, out_features: int) -> nn.Sequential:
    """Flatten, then Linear-ReLU per hidden size, then Linear to ``out_features``: (N, ...) -> (N, out)."""
    layers, width = [nn.Flatten()], in_features
    for h in hidden_sizes:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)


def mlp_decoder(latent_dim: int, hidden_sizes, image_shape) -> nn.Sequential:
    """Linear-ReLU per hidden size (in reverse order), then Linear to the image's pixel count and
    Unflatten: (N, latent) -> (N, *image_shape) logits."""
    layers, width = [], latent_dim
    for h in reversed(list(hidden_sizes)):
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers += [nn.Linear(width, math.prod(image_shape)), nn.Unflatten(1, tuple(image_shape))]
    return nn.Sequential(*layers)


def conv_encoder(image_shape, channels, out_features: int) -> nn.Sequential:
    """Two stride-2 4x4 convolutions with ReLU (H -> H/2 -> H/4), Flatten, Linear to ``out_features``."""
    c, h, w = image_shape
    _check_side(h, w, "conv_encoder")
    c1, c2 = channels
    return nn.Sequential(
        nn.Conv2d(c, c1, 4, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(c1, c2, 4, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(c2 * (h // 4) * (w // 4), out_features))


def conv_decoder(latent_dim: int, channels, image_shape) -> nn.Sequential:
    """The mirror of ``conv_encoder``: Linear-ReLU to (c2, H/4, W/4), two stride-2 transposed
    convolutions back to (C, H, W) logits."""
    c, h, w = image_shape
    _check_side(h, w, "conv_decoder")
    c1, c2 = channels
    return nn.Sequential(
        nn.Linear(latent_dim, c2 * (h // 4) * (w // 4)), nn.ReLU(),
        nn.Unflatten(1, (c2, h // 4, w // 4)),
        nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), nn.ReLU(),
        nn.ConvTranspose2d(c1, c, 4, stride=2, padding=1))


def _check_side(h: int, w: int, who: str) -> None:
    if h % 4 or w % 4:
        raise ValueError(f"{who}: image height and width must be multiples of 4, got {h}x{w}")


def build_encoder_decoder(arch: str, image_shape, hidden_sizes, channels, code_features: int,
                          latent_dim: int, who: str):
    """(encoder to ``code_features``, decoder from ``latent_dim``) for ``arch`` 'mlp' or 'conv'."""
    if arch == "mlp":
        return (mlp_encoder(math.prod(image_shape), hidden_sizes, code_features),
                mlp_decoder(latent_dim, hidden_sizes, image_shape))
    if arch == "conv":
        return (conv_encoder(image_shape, channels, code_features),
                conv_decoder(latent_dim, channels, image_shape))
    raise ValueError(f"{who}: arch must be 'mlp' or 'conv', got {arch!r}")


class Autoencoder(nn.Module):
    """A deterministic autoencoder ``x -> z = encoder(x) -> decoder(z)``.

    Args:
        latent_dim: size of the code ``z`` (2 makes it plottable).
        arch: ``'mlp'`` (fully connected, ``hidden_sizes``) or ``'conv'`` (``channels``).
        image_shape: (C, H, W) of the inputs; inputs are images with pixels in [0, 1].
        loss: ``'bce'`` (binary cross-entropy on the decoder's logits) or ``'mse'`` (squared error
            of the sigmoid output), summed over pixels and averaged over the batch.

    Shapes: ``forward(x)`` (N, C, H, W) -> reconstruction (N, C, H, W) in [0, 1];
    ``encode(x)`` -> (N, latent_dim); ``decode(z)`` -> (N, C, H, W) in [0, 1].
    """

    def __init__(self, latent_dim: int = 2, arch: str = "mlp", image_shape=(1, 28, 28),
                 hidden_sizes=(512, 128), channels=(32, 64), loss: str = "bce"):
        super().__init__()
        if loss not in ("bce", "mse"):
            raise ValueError(f"Autoencoder: loss must be 'bce' or 'mse', got {loss!r}")
        self.latent_dim, self.arch, self.loss_kind = int(latent_dim), arch, loss
        self.image_shape = tuple(image_shape)
        self.encoder, self.decoder = build_encoder_decoder(
            arch, self.image_shape, hidden_sizes, channels, self.latent_dim, self.latent_dim,
            "Autoencoder")

    def encode(self, x):
        return self.encoder(x)

    def decode_logits(self, z):
        return self.decoder(z)

    def decode(self, z):
        return self.decoder(z).sigmoid()

    def forward(self, x):
        return self.decode(self.encode(x))

    def reconstruction_loss(self, x):
        """Per-image reconstruction loss of ``x`` (N, C, H, W), averaged over the batch (a scalar)."""
        logits = self.decode_logits(self.encode(x))
        target = x.reshape(logits.shape)
        if self.loss_kind == "bce":
            total = F.binary_cross_entropy_with_logits(logits, target, reduction="sum")
        else:
            total = F.mse_loss(logits.sigmoid(), target, reduction="sum")
        return total / x.shape[0]
