"""Training loops of the generative models: ``GANTrainer`` (discriminator and generator steps
alternating, each with its own optimizer; the non-saturating loss or WGAN-GP) and
``AutoencoderTrainer`` (a reconstruction loss or a VAE's negative ELBO, with its parts reported).

Both keep ``Trainer``'s contract: a history row per epoch, ``metrics.jsonl`` and an atomic checkpoint
in the run folder after every epoch (and on Ctrl-C, mid-epoch), from which ``fit(..., resume=True)``
continues with exactly the numbers an uninterrupted run would have drawn.
"""
from __future__ import annotations

import copy
import json
import math
import time


from .. import autograd, load, no_grad, ones, rand, randn, save, zeros
from ..nn import functional as F
from . import random_state
from .epoch_tools import epoch_bar, require_checkpoint, save_interrupted
from .gan_augment import DiffAugment, RandomCutout, RandomTranslate  # noqa: F401  (re-exported)
from .run_dir import RunDir


def _images(batch):
    """The images of a batch: the batch itself, or its first element for (images, labels)."""
    return batch[0] if isinstance(batch, (tuple, list)) else batch


class _EpochLoop:
    """Epochs over a loader with a progress bar, per-epoch history rows, checkpoints and exact
    resume. Subclasses define ``_step(batch) -> (metrics dict of floats, batch size)``,
    ``_modules()``/``_optimizers()`` (name -> object with state_dict) and may add to the row in
    ``_finish_epoch(row)``."""

    name = "trainer"

    def __init__(self, run_dir=None, progress: bool = True, callbacks=()):
        self.run_dir = RunDir(run_dir) if isinstance(run_dir, str) else run_dir
        self.progress = progress
        self.callbacks = list(callbacks)
        self.epoch = 0
        self.global_step = 0
        self.history: list[dict] = []
        self._resume_mid_epoch = None

    # subclass hooks --------------------------------------------------------------------------
    def _step(self, batch):  # pragma: no cover - abstract
        raise NotImplementedError

    def _modules(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def _optimizers(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def _finish_epoch(self, row: dict) -> None:
        pass

    def _train_mode(self) -> None:
        for m in self._modules().values():
            m.train()

    # the loop --------------------------------------------------------------------------------
    def fit(self, loader, epochs: int = 1, resume: bool = False) -> list:
        """Train until ``epochs`` epochs are complete; returns the per-epoch history."""
        if resume:
            self.load_checkpoint(require_checkpoint(self.run_dir, type(self).__name__))
        for cb in self.callbacks:
            cb.on_fit_start(self)
        stop = False
        while self.epoch < epochs and not stop:
            stop = self._run_epoch(loader, epochs)
        for cb in self.callbacks:
            cb.on_fit_end(self)
        return self.history

    def _run_epoch(self, loader, epochs: int) -> bool:
        epoch = self.epoch + 1
        self._train_mode()
        for cb in self.callbacks:
            cb.on_epoch_start(self, epoch)
        resume, self._resume_mid_epoch = self._resume_mid_epoch, None
        if resume:
            random_state.restore(resume["epoch_rng"])
        epoch_rng = random_state.capture()
        batches = iter(loader)
        done, sums = 0, {"seen": 0, "totals": {}, "counts": {}}
        if resume:
            for _ in range(resume["step_in_epoch"]):  # replay the shuffle, skip consumed batches
                next(batches)
            done, sums = resume["step_in_epoch"], dict(resume["sums"])
            random_state.restore(resume["rng"])
        bar = epoch_bar(self.progress, loader, epoch, epochs, done)
        start, seen_at_start = time.perf_counter(), sums["seen"]
        try:
            for batch in batches:
                metrics, n = self._step(batch)
                for key, value in metrics.items():
                    if not math.isfinite(value):
                        raise FloatingPointError(
                            f"{type(self).__name__}: {key} became {value} at step "
                            f"{self.global_step}; lower the learning rate, or find the op with "
                            "graphgrad.autograd.detect_anomaly()")
                    sums["totals"][key] = sums["totals"].get(key, 0.0) + value * n
                    sums["counts"][key] = sums["counts"].get(key, 0) + n
                sums["seen"] += n
                done += 1
                for cb in self.callbacks:
                    cb.on_batch_end(self, self.global_step, metrics)
                if bar is not None:
                    bar.set_postfix({k: f"{v:.4f}" for k, v in _means(sums).items()},
                                    refresh=False)
                    bar.update(1)
        except KeyboardInterrupt:
            save_interrupted(self, bar, step_in_epoch=done, sums=sums, epoch_rng=epoch_rng,
                             rng=random_state.capture())
            raise
        if bar is not None:
            bar.close()
        elapsed = time.perf_counter() - start
        row = {"epoch": epoch}
        row.update(_means(sums))
        row.update({"time": elapsed, "images_per_s": (sums["seen"] - seen_at_start) / max(elapsed, 1e-9)})
        self._finish_epoch(row)
        self.epoch = epoch
        self.history.append(row)
        stop = False
        for cb in self.callbacks:
            stop = bool(cb.on_epoch_end(self, row)) or stop
        if self.run_dir is not None:
            self.run_dir.write_metrics(self.history)
            self.save_checkpoint(self.run_dir.checkpoint)
        if self.progress:
            parts = [f"{k}={v:.4f}" for k, v in row.items() if k not in ("epoch", "time", "images_per_s")]
            print(f"epoch {epoch}: " + " ".join(parts) + f" ({row['time']:.1f}s)", flush=True)
        return stop

    # checkpoints -----------------------------------------------------------------------------
    def state_dict(self, mid_epoch=None) -> dict:
        state = {name: m.state_dict() for name, m in self._modules().items()}
        state.update({name: o.state_dict() for name, o in self._optimizers().items()})
        state.update({
            "epoch": self.epoch, "global_step": self.global_step,
            # JSON text: the generator states hold 128-bit integers
            "history": json.dumps(self.history), "rng": json.dumps(random_state.capture()),
            "callbacks": json.dumps([cb.state_dict() for cb in self.callbacks]),
            "mid_epoch": json.dumps(mid_epoch),
        })
        return state

    def save_checkpoint(self, path: str, mid_epoch=None) -> None:
        """Write everything needed to continue exactly (atomically)."""
        save(self.state_dict(mid_epoch), path)

    def load_checkpoint(self, path: str) -> None:
        state = load(path)
        for name, m in {**self._modules(), **self._optimizers()}.items():
            if name not in state:
                raise KeyError(f"{type(self).__name__}: checkpoint {path} has no {name!r} entry "
                               f"(it has {', '.join(sorted(state))})")
            m.load_state_dict(state[name])
        self.epoch = int(state["epoch"])
        self.global_step = int(state["global_step"])
        self.history = json.loads(state["history"])
        for cb, cb_state in zip(self.callbacks, json.loads(state["callbacks"])):
            cb.load_state_dict(cb_state)
        random_state.restore(json.loads(state["rng"]))
        self._resume_mid_epoch = json.loads(state["mid_epoch"])


def _means(sums: dict) -> dict:
    """Per-image means of the metrics summed so far (each over the batches that reported it)."""
    return {k: v / max(sums["counts"][k], 1) for k, v in sums["totals"].items()}


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


class GANTrainer(_EpochLoop):
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

    The epoch row holds ``d_loss``, ``g_loss``, ``d_real``/``d_fake`` (the discriminator's mean
    probability, or mean score for WGAN-GP, on real and fake images) and ``gp``.
    """

    name = "gan"

    def __init__(self, generator, discriminator, g_optimizer, d_optimizer, latent_dim: int, *,
                 loss: str = "nonsaturating", gp_weight: float = 10.0, d_steps: int = 1,
                 real_label: float = 1.0, ema_decay: float | None = None, augment=None,
                 run_dir=None, progress: bool = True, callbacks=()):
        super().__init__(run_dir, progress, callbacks)
        if loss not in ("nonsaturating", "wgan-gp"):
            raise ValueError(f"GANTrainer: loss must be 'nonsaturating' or 'wgan-gp', got {loss!r}")
        if d_steps < 1:
            raise ValueError(f"GANTrainer: d_steps must be at least 1, got {d_steps}")
        self.generator, self.discriminator = generator, discriminator
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.latent_dim, self.loss = int(latent_dim), loss
        self.gp_weight, self.d_steps, self.real_label = float(gp_weight), int(d_steps), float(real_label)
        if ema_decay is not None and not 0.0 < ema_decay < 1.0:
            raise ValueError(f"GANTrainer: ema_decay must be in (0, 1) or None, got {ema_decay}")
        self.ema_decay = ema_decay
        self.augment = augment
        self.generator_ema = None
        if ema_decay is not None:
            self.generator_ema = copy.deepcopy(generator)
            for p in self.generator_ema.parameters():
                p.requires_grad_(False)

    def _modules(self) -> dict:
        modules = {"generator": self.generator, "discriminator": self.discriminator}
        if self.generator_ema is not None:
            modules["generator_ema"] = self.generator_ema
        return modules

    def _train_mode(self) -> None:
        self.generator.train()
        self.discriminator.train()
        if self.generator_ema is not None:
            self.generator_ema.eval()

    def _update_ema(self) -> None:
        t = self.global_step // self.d_steps  # generator steps so far, this one included
        decay = min(self.ema_decay, (1 + t) / (10 + t))
        with no_grad():
            for avg, p in zip(self.generator_ema.parameters(), self.generator.parameters()):
                avg.mul_(decay).add_(p.detach(), alpha=1.0 - decay)

    def _finish_epoch(self, row: dict) -> None:
        if self.generator_ema is not None:
            standing_batch_norm_stats(self.generator_ema, self.latent_dim, seed=self.epoch)

    def _optimizers(self) -> dict:
        return {"g_optimizer": self.g_optimizer, "d_optimizer": self.d_optimizer}

    def _step(self, batch):
        real = _images(batch)
        n = real.shape[0]
        metrics = self._discriminator_step(real)
        self.global_step += 1
        if self.global_step % self.d_steps == 0:
            metrics["g_loss"] = self._generator_step(n)
        return metrics, n

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

    def _generator_step(self, n: int) -> float:
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
                self._update_ema()
        finally:
            for p in d_params:
                p.requires_grad_(True)
        return float(loss.detach().item())


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


class AutoencoderTrainer(_EpochLoop):
    """Train an autoencoder or a VAE with one optimizer.

    ``loss_fn(model, x)`` returns a scalar Tensor or a dict of scalar Tensors with a ``'loss'``
    entry (what is minimised) and any other parts to report; by default it is ``model.loss(x)``
    where the model has one (``VAE``: loss, recon, kl) and ``model.reconstruction_loss(x)``
    otherwise. With ``val_loader``, every epoch also reports ``val_<part>`` on it, in eval mode,
    with the VAE's sampling noise drawn from a generator seeded with ``val_seed`` each time, so the
    held-out figures of different epochs are comparable.
    """

    name = "autoencoder"

    def __init__(self, model, optimizer, *, loss_fn=None, val_loader=None, val_seed: int = 0,
                 run_dir=None, progress: bool = True, callbacks=()):
        super().__init__(run_dir, progress, callbacks)
        self.model, self.optimizer = model, optimizer
        self.loss_fn = loss_fn or _default_loss
        self.val_loader, self.val_seed = val_loader, int(val_seed)

    def _modules(self) -> dict:
        return {"model": self.model}

    def _optimizers(self) -> dict:
        return {"optimizer": self.optimizer}

    def _terms(self, x, generator=None) -> dict:
        out = self.loss_fn(self.model, x) if generator is None else \
            self.loss_fn(self.model, x, generator=generator)
        return out if isinstance(out, dict) else {"loss": out}

    def _step(self, batch):
        x = _images(batch)
        terms = self._terms(x)
        self.optimizer.zero_grad()
        terms["loss"].backward()
        self.optimizer.step()
        self.global_step += 1
        return {f"train_{k}": float(v.detach().item()) for k, v in terms.items()}, x.shape[0]

    def _finish_epoch(self, row: dict) -> None:
        if self.val_loader is not None:
            row.update({f"val_{k}": v for k, v in self.evaluate(self.val_loader).items()})

    def evaluate(self, loader) -> dict:
        """The loss parts averaged over ``loader``'s images, in eval mode without a graph."""
        from ..backend import Generator

        generator = Generator().manual_seed(self.val_seed)
        was_training = self.model.training
        self.model.eval()
        sums, seen = {}, 0
        try:
            with no_grad():
                for batch in loader:
                    x = _images(batch)
                    for k, v in self._terms(x, generator).items():
                        sums[k] = sums.get(k, 0.0) + float(v.item()) * x.shape[0]
                    seen += x.shape[0]
        finally:
            self.model.train(was_training)
        if seen == 0:
            raise ValueError("AutoencoderTrainer.evaluate: the loader produced no batches")
        return {k: v / seen for k, v in sums.items()}


def _default_loss(model, x, generator=None):
    if hasattr(model, "loss"):
        return model.loss(x) if generator is None else model.loss(x, generator=generator)
    return model.reconstruction_loss(x)


__all__ = ["AutoencoderTrainer", "GANTrainer", "RandomTranslate", "gradient_penalty",
           "standing_batch_norm_stats"]
