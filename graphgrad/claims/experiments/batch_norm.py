"""Claim 9: batch normalisation allows a higher learning rate and so trains faster.

A 3-hidden-layer ReLU MLP (784-100-100-100-10) with and without BatchNorm1d after each hidden
Linear, from the same seeds, trained with plain SGD (no momentum) for the same number of steps at
a sweep of learning rates: a normal one (0.1, where the plain network trains well), a high one
(1.0, ten times more) and two more for the plot. The measure is the cross-entropy on the whole
training set after the last step; a run whose loss stops being finite has diverged."""
from __future__ import annotations

import math

import numpy as np

from ... import manual_seed, nn, optim
from ...viz._figure import pyplot, save_figure
from .._digits import SAMPLE, sample_digits, train_and_record
from ..base import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, verdict

NORMAL_LR, HIGH_LR = 0.1, 1.0
LRS = (0.02, NORMAL_LR, 0.5, HIGH_LR)
FACTOR = 2.0  # robust when BN at the high lr ends at most half of the plain network's losses


def _mlp(batch_norm: bool, width: int = 100, depth: int = 3) -> nn.Sequential:
    layers, features = [nn.Flatten()], 784
    for _ in range(depth):
        layers.append(nn.Linear(features, width))
        if batch_norm:
            layers.append(nn.BatchNorm1d(width))
        layers.append(nn.ReLU())
        features = width
    layers.append(nn.Linear(features, 10))
    return nn.Sequential(*layers)


def run(settings) -> dict:
    n_seeds = settings.pick(tiny=1, quick=5, full=8)
    steps = settings.pick(tiny=20, quick=300, full=600)
    batch, every = 64, settings.pick(tiny=10, quick=30, full=30)
    x, y = sample_digits(train=True)
    seeds = [settings.seed + i for i in range(n_seeds)]
    runs = []
    for seed in seeds:
        for batch_norm in (False, True):
            for lr in LRS:
                manual_seed(seed)
                model = _mlp(batch_norm)
                with np.errstate(over="ignore", invalid="ignore"):  # divergence is recorded, not warned
                    at, losses = train_and_record(model, optim.SGD(model.parameters(), lr=lr), x, y,
                                                  steps, batch, seed, every)
                runs.append({"seed": seed, "batch_norm": batch_norm, "lr": lr, "steps": at,
                             "loss": losses, "final": losses[-1] if at[-1] == steps else None})
    return {
        "data": SAMPLE.format(n_train=len(x), n_test=1000) + ", training part",
        "model": "MLP 784-100-100-100-10 (ReLU), with and without BatchNorm1d after each hidden Linear",
        "optimiser": f"SGD without momentum, batch {batch}", "steps": steps, "lrs": list(LRS),
        "normal_lr": NORMAL_LR, "high_lr": HIGH_LR, "factor": FACTOR, "seeds": seeds, "runs": runs,
    }


def _final(metrics, seed, batch_norm, lr) -> float:
    for r in metrics["runs"]:
        if r["seed"] == seed and r["batch_norm"] == batch_norm and r["lr"] == lr:
            return math.inf if r["final"] is None else r["final"]  # diverged: infinitely bad
    raise KeyError(f"batch-norm: no run for seed {seed}, batch_norm {batch_norm}, lr {lr}")


def judge(metrics: dict):
    high, normal, factor = metrics["high_lr"], metrics["normal_lr"], metrics["factor"]
    holds, robust, parts = [], [], []
    for seed in metrics["seeds"]:
        bn_high = _final(metrics, seed, True, high)
        plain_high = _final(metrics, seed, False, high)
        plain_normal = _final(metrics, seed, False, normal)
        parts.append(f"seed {seed}: BN@{high} {bn_high:.3f}, plain@{high} "
                     f"{'diverged' if math.isinf(plain_high) else f'{plain_high:.3g}'}, "
                     f"plain@{normal} {plain_normal:.3f}")
        holds.append(bn_high < plain_high and bn_high < plain_normal)
        robust.append(factor * bn_high <= min(plain_high, plain_normal))
    measured = (f"training-set loss after {metrics['steps']} SGD steps: " + "; ".join(parts))
    if all(holds):
        return verdict(HOLDS, measured, f"on every seed the BatchNorm network at lr {high} ended "
                       f"below the plain network at lr {high} and at lr {normal}"
                       + ("" if all(robust) else f", though not by {factor:g}x on every seed"),
                       robust=all(robust))
    if not any(holds):
        return verdict(DOES_NOT_HOLD, measured, f"on no seed did the BatchNorm network at lr {high} "
                       f"end below the plain network at both lr {high} and lr {normal}")
    return verdict(INCONCLUSIVE, measured, "the BatchNorm network was ahead on some seeds only")


def plot(metrics: dict, path: str) -> None:
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    for batch_norm, colour, label in ((False, "tab:blue", "plain"), (True, "tab:red", "BatchNorm")):
        finals = [[r["final"] for r in metrics["runs"] if r["batch_norm"] == batch_norm
                   and r["lr"] == lr] for lr in metrics["lrs"]]
        shown = [np.mean([v for v in f if v is not None]) if any(v is not None for v in f) else np.nan
                 for f in finals]
        ax1.plot(metrics["lrs"], shown, marker="o", color=colour, label=label)
        for lr, f in zip(metrics["lrs"], finals):
            if any(v is None for v in f):
                ax1.annotate(f"diverged ({sum(v is None for v in f)}/{len(f)})", (lr, 2.3),
                             color=colour, ha="center", fontsize=8)
        for r in metrics["runs"]:
            if r["batch_norm"] == batch_norm and r["lr"] in (metrics["normal_lr"], metrics["high_lr"]):
                style = "-" if r["lr"] == metrics["high_lr"] else "--"
                first = r["seed"] == metrics["seeds"][0]
                ax2.plot(r["steps"], [np.nan if v is None else v for v in r["loss"]], style,
                         color=colour, alpha=0.7, label=f"{label}, lr {r['lr']}" if first else None)
    ax1.set(xscale="log", yscale="log", xlabel="learning rate",
            ylabel=f"training loss after {metrics['steps']} steps",
            title=f"Final loss vs learning rate (mean of {len(metrics['seeds'])} seeds)")
    ax1.legend()
    ax2.set(yscale="log", xlabel="step", ylabel="cross-entropy on the training set",
            title="Training curves at the normal and high lr")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)


CLAIM = Claim(
    number=9, name="batch-norm",
    statement="Batch normalisation allows a higher learning rate and so trains faster",
    source="lectures on batch normalisation; Ioffe & Szegedy 2015",
    rule=f"per seed, training-set loss after N plain-SGD steps: holds when the BatchNorm MLP at lr "
         f"{HIGH_LR} ends below the plain MLP at lr {HIGH_LR} (a diverged run counts as infinite) and "
         f"below the plain MLP at its normal lr {NORMAL_LR}, on every seed (robust: by {FACTOR:g}x on "
         "every seed); does not hold when that is so on no seed; inconclusive otherwise",
    budget={"quick": "~20-30 s", "full": "~2 min"},
    run=run, judge=judge, plot=plot,
)
