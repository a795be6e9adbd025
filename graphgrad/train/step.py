"""The step contract: what one training step of a model family does, and nothing else.

The training loop (``graphgrad.train.Loop``) owns epochs, batches, progress bars, validation,
metrics, callbacks, schedulers, checkpoints, resume, Ctrl-C and the time limit. A ``Step`` owns
what differs between model families:

- ``modules()`` and ``optimizers()``: what it trains, by name (the names are the checkpoint's
  keys; the loop switches the modules between train and eval mode);
- ``train_step(batch) -> dict``: one update on one batch (forward, backward, optimizer steps)
  returning plain floats, each a mean over the batch (``{"train_loss": 0.31, "train_acc": 0.9}``);
  the loop averages them over the epoch, weighted by ``count(batch)``;
- ``validate(data) -> dict``: held-out figures for the epoch's row (the loop calls it in eval mode
  without recording a graph);
- ``state_dict()``/``load_state_dict()``: anything else a mid-epoch checkpoint must hold to
  continue exactly (a language model's carried hidden state), and ``start_epoch``/``end_epoch``;
- ``data_parallel(ranks)``: how it trains on several ranks (``graphgrad.train.ranks``): the loop
  calls it once, and the step wraps the model its training forward goes through in
  DistributedDataParallel; steps that cannot (a GAN's) keep the default, which refuses.

``LossStep`` is the step of most families: one model, one optimizer, and a loss function of
``(model, batch)`` returning a scalar or a dict of scalars with a ``"loss"`` entry.
"""
from __future__ import annotations

import math

from ..distributed import mean_over_ranks
from ..nn.utils import clip_grad_norm_


def leading_size(batch) -> int:
    """The first dimension of the first array-like thing in ``batch`` (nested tuples, lists and
    dicts are searched in order): how many examples the batch holds."""
    stack = [batch]
    while stack:
        item = stack.pop(0)
        if hasattr(item, "shape") and len(item.shape) > 0:
            return int(item.shape[0])
        if isinstance(item, dict):
            stack = list(item.values()) + stack
        elif isinstance(item, (tuple, list)):
            stack = list(item) + stack
    raise ValueError(f"cannot tell how many examples a batch of type {type(batch).__name__} holds; "
                     "give the step a count(batch) method")


def scalar(value) -> float:
    """A Python float from a float, a NumPy scalar or a one-element Tensor."""
    if hasattr(value, "detach"):
        value = value.detach()
    return float(value.item() if hasattr(value, "item") else value)


class Step:
    """Base class of the training steps (see the module docstring). Subclasses define
    ``modules``, ``optimizers`` and ``train_step``; the rest has defaults."""

    #: what ``count(batch)`` counts; the epoch row reports ``<unit>_per_s``
    unit = "images"
    #: the row keys printed at the end of an epoch (None: all but epoch, time and the rate)
    summary_keys: tuple | None = None
    loop = None

    def bind(self, loop) -> None:
        """Called by the loop that runs this step (``self.loop`` then gives its counters)."""
        self.loop = loop

    def modules(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__} must define modules()")

    def optimizers(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__} must define optimizers()")

    def train_step(self, batch) -> dict:
        raise NotImplementedError(f"{type(self).__name__} must define train_step(batch)")

    def count(self, batch) -> int:
        """How many examples (or tokens) ``batch`` holds: the weight of its figures."""
        return leading_size(batch)

    def validate(self, data) -> dict:
        """Held-out figures for the epoch's row (``{"val_loss": ...}``); none by default."""
        return {}

    def start_epoch(self, epoch: int) -> None:
        """Called before the first batch of every epoch (resumed or not)."""

    def end_epoch(self, row: dict) -> None:
        """Called with the epoch's row after validation; may add entries to it."""

    def train(self) -> None:
        for m in self.modules().values():
            m.train()

    def eval(self) -> None:
        for m in self.modules().values():
            m.eval()

    def data_parallel(self, ranks) -> None:
        """Prepare to train on several ranks (``ranks``: a ``graphgrad.train.ranks.Ranks``): called
        by the loop once, before the first step, when a process group of more than one rank
        exists. This default refuses: a step trains data-parallel only if it says how."""
        raise NotImplementedError(f"{type(self).__name__} cannot train data-parallel (on "
                                  f"{ranks.size} ranks); run it as one process")

    def state_dict(self) -> dict:
        """Extra state a mid-epoch checkpoint needs (tensors, numbers, strings, lists, dicts)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass

    def postfix(self, means: dict) -> dict:
        """The progress bar's figures from the epoch's running means."""
        return {k: f"{v:.4f}" for k, v in means.items()}

    @property
    def model(self):
        """The one module of a single-model step."""
        modules = self.modules()
        if len(modules) != 1:
            raise AttributeError(f"{type(self).__name__} trains {len(modules)} modules "
                                 f"({', '.join(modules)}), not one model")
        return next(iter(modules.values()))


class LossStep(Step):
    """One model, one optimizer and ``loss_fn(model, batch)``, which returns the scalar loss to
    minimise or a dict of scalars whose ``"loss"`` entry is minimised (the others are reported:
    a VAE's ``recon`` and ``kl``, a token accuracy). The row gets ``train_<name>`` for each, and
    ``val_<name>`` averaged over the validation data. ``clip_grad_norm`` clips the gradient's
    global norm before the optimizer step; ``count(batch)`` weighs the batch (default: its first
    dimension), and ``unit`` names what it counts. On several ranks (``data_parallel``) the
    training forward goes through the model in DistributedDataParallel, and held-out figures are
    means over every rank's share."""

    ranks = None

    def __init__(self, model, optimizer, loss_fn, *, clip_grad_norm: float | None = None,
                 count=None, unit: str | None = None):
        self._model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self._forward = model  # what training steps call: the model, or it in DDP
        self.clip_grad_norm = clip_grad_norm
        if count is not None:
            self.count = count
        if unit is not None:
            self.unit = unit

    @property
    def model(self):
        return self._model

    def modules(self) -> dict:
        return {"model": self._model}

    def optimizers(self) -> dict:
        return {"optimizer": self.optimizer}

    def data_parallel(self, ranks) -> None:
        self.ranks = ranks
        self._forward = ranks.wrap(self._model)

    def terms(self, batch, model=None) -> dict:
        """``loss_fn(model, batch)`` as a dict with ``"loss"`` (``model``: default the bare model)."""
        out = self.loss_fn(self._model if model is None else model, batch)
        return out if isinstance(out, dict) else {"loss": out}

    def update(self, loss) -> float:
        """Backpropagate ``loss`` and step the optimizer; returns the loss as a float. A loss that
        is not finite stops training before it reaches the weights."""
        value = scalar(loss)
        if not math.isfinite(value):
            step = self.loop.global_step + 1 if self.loop is not None else "?"
            raise FloatingPointError(
                f"{type(self).__name__}: the loss became {value} at step {step}; lower the "
                "learning rate, or find the op with graphgrad.autograd.detect_anomaly()")
        self.optimizer.zero_grad()
        loss.backward()
        if self.clip_grad_norm is not None:
            clip_grad_norm_(self._model.parameters(), self.clip_grad_norm)
        self.optimizer.step()
        return value

    def train_step(self, batch) -> dict:
        terms = self.terms(batch, self._forward)
        if "loss" not in terms:
            raise KeyError(f"{type(self).__name__}: the loss function returned {sorted(terms)}, "
                           "without the 'loss' entry to minimise")
        logs = {"train_loss": self.update(terms["loss"])}
        logs.update({f"train_{k}": scalar(v) for k, v in terms.items() if k != "loss"})
        return logs

    def validate(self, data) -> dict:
        """Each term's mean over the held-out examples (over every rank's share, on several)."""
        if data is None:
            return {}
        sums, seen = {}, 0
        for batch in data:
            n = self.count(batch)
            for k, v in self.terms(batch).items():
                sums[k] = sums.get(k, 0.0) + scalar(v) * n
            seen += n
        try:
            means = mean_over_ranks(sums, seen)
        except ValueError:
            raise ValueError(f"{type(self).__name__}.validate: the validation data has no "
                             "batches") from None
        return {f"val_{k}": v for k, v in means.items()}


__all__ = ["LossStep", "Step", "leading_size", "scalar"]
