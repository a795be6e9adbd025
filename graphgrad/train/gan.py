"""Generative adversarial networks on the one training loop: ``GANStep`` (a discriminator step
on every real batch and a generator step every ``d_steps``-th, each with its own optimizer; the
non-saturating loss or WGAN-GP; an optional moving average of the generator) and ``GANTrainer``
(the loop with that step), plus the WGAN-GP ``gradient_penalty`` and
``standing_batch_norm_stats``. ``AutoencoderTrainer`` (re-exported here) lives in
``graphgrad.train.autoencoder``.
"""
from __future__ import annotations

import copy

from .. import autograd, no_grad, ones, rand, randn, zeros
from ..nn import functional as F
from .autoencoder import AutoencoderStep, AutoencoderTrainer  # noqa: F401  (re-exported)
from .gan_augment import DiffAugment, RandomCutout, RandomTranslate  # noqa: F401  (re-exported)
from .loop import Loop
from .step import Step


def _images(batch):
    """The images of a batch: the batch itself, or its first element for (images, labels)."""
    return batch[0] if isinstance(batch, (tuple, list)) else batch


def gradient_penalty(discriminator, real, fake, alpha=None):
    """WGAN-GP's penalty (Gulrajani et al. 2017): ``mean((||grad_x D(x_hat)||_2 - 1)^2)`` at
    ``x_hat = alpha * real + (1 - alpha) * fake``, ``alpha ~ U(0, 1)`` per sample (or the given
    ``alpha``, shape (N, 1, ..., 1)). The input gradient is taken with ``create_graph=True``, so the
    penalty's own gradient reaches the discriminator's weights by double backward.

    Shapes: ``real``, ``fake`` (N, ...) -> a scalar."""
    if tuple(real.shape) != tuple(fake.shape):
        raise ValueError(f"gradient_penalty: real {tuple(real.shape)} and fake {tuple(fake.shape)} "
                         "batches must have the same shape")
    n = real.shape[0]
    if alpha is None:
        alpha = rand((n,) + (1,) * (real.ndim - 1), dtype=real.dtype)
    x_hat = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    scores = discriminator(x_hat)
    (grad_x,) = autograd.grad(scores.sum(), x_hat, create_graph=True)
    return ((grad_x.reshape(n, -1).norm(2, dim=1) - 1) ** 2).mean()


class GANStep(Step):
    """Alternate discriminator and generator steps, each with its own optimizer.

    Every real batch makes one discriminator step on it and a fresh fake batch; every ``d_steps``-th
    batch is followed by one generator step. ``loss`` is

    - ``'nonsaturating'`` (Goodfellow et al. 2014): D minimises ``BCE(D(x), real_label) +
      BCE(D(G(z)), 0)`` (``real_label`` < 1 is one-sided label smoothing); G minimises
      ``BCE(D(G(z)), 1) = -log sigmoid(D(G(z)))``, which has strong gradients early on;
    - ``'wgan-gp'``: D (a critic) minimises ``D(G(z)) - D(x) + gp_weight * gradient_penalty``, G
      minimises ``-D(G(z))``.

    ``augment`` (e.g. ``RandomTranslate(2)``) is applied to every image the discriminator sees,
    real and generated, in both steps (differentiable augmentation for small training sets).

    With ``ema_decay`` (e.g. 0.999), ``generator_ema`` is a copy of the generator whose weights
    follow an exponential moving average of the generator's after every generator step (with the
    usual warm-up: the decay is ``min(ema_decay, (1 + t) / (10 + t))`` at step t): averaging smooths
    out the oscillation of adversarial training and gives cleaner samples (Yazici et al. 2019).
    Its batch-norm statistics are recomputed for the averaged weights at the end of every epoch
    (``standing_batch_norm_stats``; the live generator's statistics do not fit them). It is
    checkpointed too.

    The step logs ``d_loss``, ``g_loss``, ``d_real``/``d_fake`` (the discriminator's mean
    probability, or mean score for WGAN-GP, on real and fake images) and ``gp``.
    """

    def __init__(self, generator, discriminator, g_optimizer, d_optimizer, latent_dim: int, *,
                 loss: str = "nonsaturating", gp_weight: float = 10.0, d_steps: int = 1,
                 real_label: float = 1.0, ema_decay: float | None = None, augment=None):
        if loss not in ("nonsaturating", "wgan-gp"):
            raise ValueError(f"GANTrainer: loss must be 'nonsaturating' or 'wgan-gp', got {loss!r}")
        if d_steps < 1:
            raise ValueError(f"GANTrainer: d_steps must be at least 1, got {d_steps}")
        if ema_decay is not None and not 0.0 < ema_decay < 1.0:
            raise ValueError(f"GANTrainer: ema_decay must be in (0, 1) or None, got {ema_decay}")
        self.generator, self.discriminator = generator, discriminator
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.latent_dim, self.loss = int(latent_dim), loss
        self.gp_weight, self.d_steps, self.real_label = float(gp_weight), int(d_steps), float(real_label)
        self.ema_decay, self.augment = ema_decay, augment
        self.generator_ema = None
        if ema_decay is not None:
            self.generator_ema = copy.deepcopy(generator)
            for p in self.generator_ema.parameters():
                p.requires_grad_(False)

    def modules(self) -> dict:
        modules = {"generator": self.generator, "discriminator": self.discriminator}
        if self.generator_ema is not None:
            modules["generator_ema"] = self.generator_ema
        return modules

    def optimizers(self) -> dict:
        return {"g_optimizer": self.g_optimizer, "d_optimizer": self.d_optimizer}

    def train(self) -> None:
        self.generator.train()
        self.discriminator.train()
        if self.generator_ema is not None:
            self.generator_ema.eval()

    def count(self, batch) -> int:
        return int(_images(batch).shape[0])

    def train_step(self, batch) -> dict:
        real = _images(batch)
        metrics = self._discriminator_step(real)
        step = self.loop.global_step + 1  # the number of this step
        if step % self.d_steps == 0:
            metrics["g_loss"] = self._generator_step(real.shape[0], step // self.d_steps)
        return metrics

    def end_epoch(self, row: dict) -> None:
        if self.generator_ema is not None:
            # the live generator's statistics do not fit the averaged weights
            standing_batch_norm_stats(self.generator_ema, self.latent_dim, seed=self.loop.epoch)

    def _update_ema(self, t: int) -> None:
        decay = min(self.ema_decay, (1 + t) / (10 + t))  # t: generator steps, this one included
        with no_grad():
            for avg, p in zip(self.generator_ema.parameters(), self.generator.parameters()):
                avg.mul_(decay).add_(p.detach(), alpha=1.0 - decay)

    def _discriminator_step(self, real) -> dict:
        n = real.shape[0]
        with no_grad():
            fake = self.generator(randn(n, self.latent_dim))
        aug = self.augment or (lambda t: t)
        d_real, d_fake = self.discriminator(aug(real)), self.discriminator(aug(fake))
        metrics = {}
        if self.loss == "nonsaturating":
            loss = (F.binary_cross_entropy_with_logits(d_real, ones(d_real.shape) * self.real_label)
                    + F.binary_cross_entropy_with_logits(d_fake, zeros(d_fake.shape)))
            metrics["d_real"] = float(d_real.detach().sigmoid().mean().item())
            metrics["d_fake"] = float(d_fake.detach().sigmoid().mean().item())
        else:
            gp = gradient_penalty(self.discriminator, real, fake)
            loss = d_fake.mean() - d_real.mean() + self.gp_weight * gp
            metrics["d_real"] = float(d_real.detach().mean().item())
            metrics["d_fake"] = float(d_fake.detach().mean().item())
            metrics["gp"] = float(gp.detach().item())
        self.d_optimizer.zero_grad()
        loss.backward()
        self.d_optimizer.step()
        metrics["d_loss"] = float(loss.detach().item())
        return metrics

    def _generator_step(self, n: int, t: int) -> float:
        d_params = [p for p in self.discriminator.parameters() if p.requires_grad]
        for p in d_params:  # the generator's loss needs D's input gradient, not its weight gradients
            p.requires_grad_(False)
        try:
            fake = self.generator(randn(n, self.latent_dim))
            scores = self.discriminator(fake if self.augment is None else self.augment(fake))
            if self.loss == "nonsaturating":
                loss = F.binary_cross_entropy_with_logits(scores, ones(scores.shape))
            else:
                loss = -scores.mean()
            self.g_optimizer.zero_grad()
            loss.backward()
            self.g_optimizer.step()
            if self.generator_ema is not None:
                self._update_ema(t)
        finally:
            for p in d_params:
                p.requires_grad_(True)
        return float(loss.detach().item())



class GANTrainer(Loop):
    """The training loop with a ``GANStep`` (see there for the losses, ``d_steps``, ``augment`` and
    ``ema_decay``). Each epoch's row holds ``d_loss``, ``g_loss``, ``d_real``/``d_fake`` (the
    discriminator's mean probability, or mean score for WGAN-GP, on real and fake images) and
    ``gp``; the checkpoint holds ``generator``, ``discriminator``, ``generator_ema``,
    ``g_optimizer`` and ``d_optimizer``. ``fit(loader, epochs, resume)``."""

    def __init__(self, generator, discriminator, g_optimizer, d_optimizer, latent_dim: int, *,
                 loss: str = "nonsaturating", gp_weight: float = 10.0, d_steps: int = 1,
                 real_label: float = 1.0, ema_decay: float | None = None, augment=None,
                 run_dir=None, progress: bool = True, callbacks=(), **loop_options):
        step = GANStep(generator, discriminator, g_optimizer, d_optimizer, latent_dim, loss=loss,
                       gp_weight=gp_weight, d_steps=d_steps, real_label=real_label,
                       ema_decay=ema_decay, augment=augment)
        super().__init__(step, callbacks=callbacks, run_dir=run_dir, progress=progress,
                         **loop_options)

    def fit(self, loader, epochs: int = 1, resume: bool = False) -> list:
        """Train until ``epochs`` epochs are complete; returns the per-epoch history."""
        return super().fit(loader, None, epochs, resume)

    generator = property(lambda self: self.step.generator)
    discriminator = property(lambda self: self.step.discriminator)
    generator_ema = property(lambda self: self.step.generator_ema)
    g_optimizer = property(lambda self: self.step.g_optimizer)
    d_optimizer = property(lambda self: self.step.d_optimizer)
    latent_dim = property(lambda self: self.step.latent_dim)

    @property
    def augment(self):
        return self.step.augment

    @augment.setter
    def augment(self, value) -> None:
        self.step.augment = value


def standing_batch_norm_stats(generator, latent_dim: int, batches: int = 8, batch_size: int = 250,
                              seed: int = 0) -> None:
    """Recompute the running statistics of every batch norm in ``generator`` as plain averages over
    ``batches`` batches of noise (drawn from a generator seeded with ``seed``, so the global random
    state is untouched); leaves ``generator`` in eval mode."""
    from ..backend import Generator
    from ..nn.modules.normalization import _BatchNorm

    norms = [m for m in generator.modules() if isinstance(m, _BatchNorm) and m.track_running_stats]
    if not norms:
        generator.eval()
        return
    momenta = [m.momentum for m in norms]
    rng = Generator().manual_seed(seed)
    try:
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the batches below
        generator.train()
        with no_grad():
            for _ in range(batches):
                generator(randn(batch_size, latent_dim, generator=rng))
    finally:
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        generator.eval()



__all__ = ["AutoencoderTrainer", "GANStep", "GANTrainer", "RandomTranslate", "gradient_penalty",
           "standing_batch_norm_stats"]
