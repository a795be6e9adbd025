"""Gradient diagnostics: a training-loop callback that watches the health of every layer.

Every ``every`` optimizer steps it records, for each module that owns parameters, the gradient
norm, the weight norm and their ratio, and, through forward hooks armed only for that one step, the
fraction of dead ReLU units and of saturated sigmoid/tanh units. Vanishing or exploding gradients
raise a ``GradientWarning`` that names the layer (once per layer and kind). It works with every
step: the layers are those of the step's modules (prefixed with the module's name, ``generator.0``,
when the step trains several, as a GAN's). Records are kept in ``records`` and written to
``diagnostics.jsonl`` in the run folder; ``graphgrad.viz.plot_gradients``
draws them. Between sampled steps nothing is hooked, so the cost is a few norms every N steps.
"""
from __future__ import annotations

import json
import math
import os
import warnings

import numpy as np

from .. import nn
from .callbacks import Callback
from .run_dir import RunDir, atomic_write_text

# Units whose output is within this distance of the function's limits count as saturated.
SATURATION = 0.01


class GradientWarning(UserWarning):
    """A layer's gradients vanished or exploded."""


def _activation_kind(module) -> str | None:
    name = type(module).__name__
    if name in ("ReLU", "ReLU6"):
        return "relu"
    if name in ("Sigmoid", "Hardsigmoid"):
        return "sigmoid"
    if name in ("Tanh", "Hardtanh"):
        return "tanh"
    return None


def activation_stats(kind: str, output: np.ndarray) -> dict:
    """Health figures of one activation output (N, ...), as fractions in [0, 1].

    relu: ``dead`` = units (features, or channel x position) that are zero for every example of the
    batch, ``zero`` = zero outputs overall. sigmoid/tanh: ``saturated`` = outputs within
    ``SATURATION`` of the function's limits (0 or 1; -1 or 1), where the derivative almost vanishes.
    """
    out = np.asarray(output)
    if kind == "relu":
        active = out > 0
        ever = active.any(axis=0) if out.ndim > 1 else active
        return {"dead": float(1.0 - ever.mean()), "zero": float(1.0 - active.mean())}
    if kind == "sigmoid":
        return {"saturated": float(((out < SATURATION) | (out > 1 - SATURATION)).mean())}
    if kind == "tanh":
        return {"saturated": float((np.abs(out) > 1 - SATURATION).mean())}
    raise ValueError(f"activation_stats: kind must be 'relu', 'sigmoid' or 'tanh', got {kind!r}")


def layer_norms(model) -> dict:
    """``{layer name: {"grad_norm", "weight_norm", "ratio"}}`` for every module that owns parameters
    with gradients (norms over all of that module's own parameters; ratio = grad / weight norm)."""
    out = {}
    for name, module in model.named_modules():
        params = [p for p in module._parameters.values() if p is not None and p.requires_grad]
        if not params:
            continue
        g2 = w2 = 0.0
        have_grad = False
        for p in params:
            w = p.detach().numpy()
            w2 += float(np.vdot(w, w).real)
            if p.grad is not None:
                g = p.grad.detach().numpy()
                g2 += float(np.vdot(g, g).real)
                have_grad = True
        if not have_grad:
            continue
        gn, wn = math.sqrt(g2), math.sqrt(w2)
        out[name or type(module).__name__] = {"grad_norm": gn, "weight_norm": wn,
                                             "ratio": gn / wn if wn > 0 else float("inf")}
    return out


class GradientDiagnostics(Callback):
    """Record per-layer gradient health every ``every`` steps (see the module docstring).

    ``vanish``/``explode``: a layer whose gradient norm falls below / rises above these (or is not
    finite), or below ``vanish_relative`` times the largest layer's gradient norm at that step, gets
    a ``GradientWarning`` naming it. ``run_dir`` (a ``RunDir`` or path; default: the
    trainer's) receives ``diagnostics.jsonl`` at the end of every epoch and of fit. In
    data-parallel training only rank 0 writes and warns (the gradients are the same on every
    rank; the activation figures are rank 0's share of the batch).
    """

    FILE = "diagnostics.jsonl"

    def __init__(self, every: int = 50, vanish: float = 1e-7, explode: float = 1e3,
                 vanish_relative: float = 1e-3, activations: bool = True, warn: bool = True,
                 run_dir=None):
        if int(every) < 1:
            raise ValueError(f"GradientDiagnostics: every must be >= 1, got {every}")
        self.every, self.vanish, self.explode = int(every), float(vanish), float(explode)
        self.vanish_relative = float(vanish_relative)
        self.activations, self.warn = activations, warn
        self.run_dir = RunDir(run_dir) if isinstance(run_dir, str) else run_dir
        self.records: list[dict] = []
        self.warnings: list[str] = []
        self._warned: set = set()
        self._handles: list = []
        self._pending: dict = {}
        self._model = None
        self._epoch = 0
        self._main = True  # whether this process writes and warns (rank 0)

    # ------------------------------------------------------------------ hooks
    def _arm(self) -> None:
        """Hook the activation modules for the next training forward only."""
        if not self.activations or self._handles or self._model is None:
            return
        for name, module in self._model.named_modules():
            kind = _activation_kind(module)
            if kind is not None:
                self._handles.append(module.register_forward_hook(self._hook(name, kind)))

    def _disarm(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []

    def _hook(self, name, kind):
        def hook(module, args, output):
            if module.training and hasattr(output, "detach"):
                self._pending[name] = {"kind": kind, **activation_stats(kind, output.detach().numpy())}
        return hook

    def _due(self, step: int) -> bool:
        """Steps 1, 1 + every, 1 + 2 every, ... are sampled."""
        return (step - 1) % self.every == 0

    # -------------------------------------------------------------- callbacks
    def on_fit_start(self, trainer) -> None:
        modules = trainer.step.modules()
        # one model: its own layer names; several (a GAN): one container, names prefixed
        self._model = next(iter(modules.values())) if len(modules) == 1 else nn.ModuleDict(modules)
        self._main = trainer.is_main_process
        if self.run_dir is None:
            self.run_dir = trainer.run_dir
        if self.run_dir is not None and trainer.global_step > 0:  # resumed: keep what came before
            self.records = [r for r in read_diagnostics(self.run_dir.path)
                            if r["step"] <= trainer.global_step]
        self._epoch = trainer.epoch
        if self._due(trainer.global_step + 1):
            self._arm()

    def on_epoch_start(self, trainer, epoch: int) -> None:
        self._epoch = epoch

    def on_batch_end(self, trainer, step: int, logs: dict) -> None:
        if self._due(step):
            self._disarm()
            losses = [v for k, v in logs.items() if k.endswith("loss")] or list(logs.values())
            record = {"step": step, "epoch": self._epoch,
                      "loss": float(losses[0]) if losses else math.nan,
                      "layers": layer_norms(self._model), "activations": self._pending}
            self._pending = {}
            self.records.append(record)
            self._check(record)
        if self._due(step + 1):
            self._arm()

    def on_epoch_end(self, trainer, logs: dict) -> None:
        self.save()

    def on_checkpoint(self, trainer) -> None:
        self.save()  # the file holds every record up to the checkpoint's step

    def on_fit_end(self, trainer) -> None:
        self._disarm()
        self.save()

    # ------------------------------------------------------------------ output
    def _check(self, record: dict) -> None:
        finite = [s["grad_norm"] for s in record["layers"].values() if math.isfinite(s["grad_norm"])]
        largest = max(finite, default=0.0)
        for name, stats in record["layers"].items():
            g = stats["grad_norm"]
            if not math.isfinite(g) or g > self.explode:
                kind, what = "explode", f"exploding (above {self.explode:g})"
            elif g < self.vanish:
                kind, what = "vanish", f"vanishing (below {self.vanish:g})"
            elif g < self.vanish_relative * largest:
                kind, what = "vanish", (f"vanishing ({g / largest:.2g} of the largest layer "
                                        f"gradient norm, {largest:.3g})")
            else:
                continue
            if (name, kind) in self._warned:
                continue
            self._warned.add((name, kind))
            message = (f"layer {name!r}: gradient norm {g:.3g} at step {record['step']} is {what}; "
                       f"weight norm {stats['weight_norm']:.3g}")
            self.warnings.append(message)
            if self.warn and self._main:
                warnings.warn(message, GradientWarning, stacklevel=2)

    def state_dict(self) -> dict:
        return {"warnings": self.warnings, "warned": sorted(list(k) for k in self._warned)}

    def load_state_dict(self, state: dict) -> None:
        self.warnings = list(state.get("warnings", []))
        self._warned = {tuple(k) for k in state.get("warned", [])}

    def save(self) -> None:
        """Write all records to ``diagnostics.jsonl`` in the run folder (atomically)."""
        if self.run_dir is None or not self._main:
            return
        text = "".join(json.dumps(r) + "\n" for r in self.records)  # layer order kept
        atomic_write_text(self.run_dir.file(self.FILE), text)

    def summary(self) -> dict:
        """Per layer: the gradient norm at the first and last sampled step and its mean."""
        out = {}
        for r in self.records:
            for name, s in r["layers"].items():
                entry = out.setdefault(name, {"first": s["grad_norm"], "values": []})
                entry["values"].append(s["grad_norm"])
                entry["last"] = s["grad_norm"]
        for entry in out.values():
            entry["mean"] = float(np.mean(entry.pop("values")))
        return out


def read_diagnostics(run_dir) -> list:
    """The records of ``run_dir/diagnostics.jsonl`` (a path or ``RunDir``); [] if there are none."""
    folder = run_dir.path if hasattr(run_dir, "path") else run_dir
    path = os.path.join(folder, GradientDiagnostics.FILE)
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
