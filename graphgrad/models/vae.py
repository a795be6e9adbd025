"""The variational autoencoder (Kingma & Welling 2014): an autoencoder whose code is a distribution.

The encoder gives a Gaussian ``q(z|x) = N(mu, diag(exp(logvar)))``; a code is drawn with the
reparameterisation ``z = mu + exp(logvar / 2) * eps``, ``eps ~ N(0, I)``, so gradients reach the
encoder through the sample; the decoder gives ``p(x|z)`` (Bernoulli or Gaussian). Training
maximises the evidence lower bound

    ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || N(0, I)),

reported as its two parts: the reconstruction term (a negative log-likelihood, in nats per image)
and the KL term (closed form for two Gaussians). New images come from decoding ``z ~ N(0, I)``.
"""
from __future__ import annotations

import math

from .. import nn, no_grad, randn, randn_like
from ..nn import functional as F
from .autoencoder import build_encoder_decoder


class VAE(nn.Module):
    """A VAE with a Gaussian encoder and a Bernoulli or Gaussian decoder.

    Args:
        latent_dim: size of ``z``.
        arch: ``'mlp'`` (``hidden_sizes``) or ``'conv'`` (``channels``), as for ``Autoencoder``.
        image_shape: (C, H, W); pixels in [0, 1].
        likelihood: ``'bernoulli'`` (each pixel a Bernoulli with the decoder's probability) or
            ``'gaussian'`` (each pixel Gaussian around the decoder's mean with fixed ``gaussian_std``).
        beta: weight of the KL term (1 is the true ELBO; other values give a beta-VAE).

    Shapes: ``forward(x)`` (N, C, H, W) -> (reconstruction mean (N, C, H, W), mu (N, latent),
    logvar (N, latent)); ``sample(n)`` -> (n, C, H, W) in [0, 1].
    """

    def __init__(self, latent_dim: int = 16, arch: str = "mlp", image_shape=(1, 28, 28),
                 hidden_sizes=(512, 256), channels=(32, 64), likelihood: str = "bernoulli",
                 gaussian_std: float = 0.1, beta: float = 1.0):
        super().__init__()
        if likelihood not in ("bernoulli", "gaussian"):
            raise ValueError(f"VAE: likelihood must be 'bernoulli' or 'gaussian', got {likelihood!r}")
        if gaussian_std <= 0:
            raise ValueError(f"VAE: gaussian_std must be positive, got {gaussian_std}")
        self.latent_dim, self.arch, self.likelihood = int(latent_dim), arch, likelihood
        self.image_shape = tuple(image_shape)
        self.gaussian_std, self.beta = float(gaussian_std), float(beta)
        self.encoder, self.decoder = build_encoder_decoder(
            arch, self.image_shape, hidden_sizes, channels, 2 * self.latent_dim, self.latent_dim, "VAE")

    def encode(self, x):
        """(N, C, H, W) -> (mu, logvar), each (N, latent_dim)."""
        h = self.encoder(x)
        return h[:, :self.latent_dim], h[:, self.latent_dim:]

    def reparameterize(self, mu, logvar, generator=None):
        """``mu + exp(logvar / 2) * eps`` with ``eps ~ N(0, I)`` (from ``generator``, or graphgrad's
        default generator)."""
        eps = randn_like(mu) if generator is None else randn(tuple(mu.shape), generator=generator,
                                                             dtype=mu.dtype)
        return mu + (0.5 * logvar).exp() * eps

    def decode_logits(self, z):
        return self.decoder(z)

    def decode(self, z):
        """(N, latent_dim) -> the decoder's mean image (N, C, H, W) in [0, 1]."""
        return self.decoder(z).sigmoid()

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar) if self.training else mu
        return self.decode(z), mu, logvar

    def loss(self, x, generator=None) -> dict:
        """The negative ELBO of ``x`` per image, estimated with one reparameterised sample per image
        (drawn from ``generator`` when given): ``{'loss': recon + beta * kl, 'recon': ...,
        'kl': ...}``, scalars in nats per image averaged over the batch."""
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar, generator)
        logits = self.decode_logits(z)
        target = x.reshape(logits.shape)
        n = x.shape[0]
        if self.likelihood == "bernoulli":
            recon = F.binary_cross_entropy_with_logits(logits, target, reduction="sum") / n
        else:
            var = self.gaussian_std ** 2
            pixels = math.prod(self.image_shape)
            const = 0.5 * pixels * math.log(2 * math.pi * var)
            recon = ((logits.sigmoid() - target) ** 2).sum() / (2 * var * n) + const
        kl = -0.5 * (1 + logvar - mu * mu - logvar.exp()).sum() / n
        return {"loss": recon + self.beta * kl, "recon": recon, "kl": kl}

    def sample(self, n: int):
        """``n`` images decoded from ``z ~ N(0, I)``, without recording a graph."""
        with no_grad():
            return self.decode(randn(n, self.latent_dim))
