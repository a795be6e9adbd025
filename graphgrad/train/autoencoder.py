"""Autoencoders and VAEs on the one training loop: ``AutoencoderStep`` (a reconstruction loss or a
VAE's negative ELBO, with its parts reported) and ``AutoencoderTrainer`` (the loop with it)."""
from __future__ import annotations

from .. import no_grad
from .loop import Loop
from .step import LossStep, scalar


def _images(batch):
    """The images of a batch: the batch itself, or its first element for (images, labels)."""
    return batch[0] if isinstance(batch, (tuple, list)) else batch


def _default_loss(model, x, generator=None):
    if hasattr(model, "loss"):
        return model.loss(x) if generator is None else model.loss(x, generator=generator)
    return model.reconstruction_loss(x)


class AutoencoderStep(LossStep):
    """``loss_fn(model, x)`` on the images ``x`` of each batch: a scalar Tensor or a dict of scalar
    Tensors with a ``'loss'`` entry (what is minimised) and other parts to report; by default
    ``model.loss(x)`` where the model has one (``VAE``: loss, recon, kl) and
    ``model.reconstruction_loss(x)`` otherwise. Validation evaluates the parts with the VAE's
    sampling noise drawn from a generator seeded with ``val_seed`` each time, so that the held-out
    figures of different epochs are comparable."""

    def __init__(self, model, optimizer, loss_fn=None, val_seed: int = 0):
        self.image_loss = loss_fn or _default_loss
        super().__init__(model, optimizer, lambda m, batch: self.image_loss(m, _images(batch)))
        self.val_seed = int(val_seed)

    def count(self, batch) -> int:
        return int(_images(batch).shape[0])

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
                    out = self.image_loss(self.model, x, generator=generator)
                    for k, v in (out if isinstance(out, dict) else {"loss": out}).items():
                        sums[k] = sums.get(k, 0.0) + scalar(v) * x.shape[0]
                    seen += x.shape[0]
        finally:
            self.model.train(was_training)
        if seen == 0:
            raise ValueError("AutoencoderTrainer.evaluate: the loader produced no batches")
        return {k: v / seen for k, v in sums.items()}

    def validate(self, data) -> dict:
        return {f"val_{k}": v for k, v in self.evaluate(data).items()}


class AutoencoderTrainer(Loop):
    """Train an autoencoder or a VAE with one optimizer on the training loop (``AutoencoderStep``:
    see there for ``loss_fn`` and ``val_seed``). Rows hold ``train_<part>`` and, with
    ``val_loader``, ``val_<part>``. ``fit(loader, epochs, resume)``."""

    def __init__(self, model, optimizer, *, loss_fn=None, val_loader=None, val_seed: int = 0,
                 run_dir=None, progress: bool = True, callbacks=(), **loop_options):
        super().__init__(AutoencoderStep(model, optimizer, loss_fn, val_seed), callbacks=callbacks,
                         run_dir=run_dir, progress=progress, **loop_options)
        self.optimizer, self.val_loader = optimizer, val_loader

    def fit(self, loader, epochs: int = 1, resume: bool = False) -> list:
        """Train until ``epochs`` epochs are complete; returns the per-epoch history."""
        return super().fit(loader, self.val_loader, epochs, resume)

    def evaluate(self, loader) -> dict:
        """The loss parts averaged over ``loader``'s images, in eval mode without a graph."""
        return self.step.evaluate(loader)


__all__ = ["AutoencoderStep", "AutoencoderTrainer"]
