"""Claim 11: gradient clipping keeps a vanilla RNN's training from exploding on long sequences
(Pascanu, Mikolov & Bengio 2013; the lectures' remedy for exploding gradients).

A tanh ``nn.RNN`` reads a long sequence of random one-hot symbols and must output, at every step,
the symbol it read ``LAG`` steps before (cross-entropy over all steps). Two copies from the same
initialisation are trained on the same minibatches with plain SGD at a high learning rate: one as
is, one with the gradient's joint norm clipped to ``MAX_NORM`` (``nn.utils.clip_grad_norm_``) before
each step. Every step records the loss and the gradient norm before clipping. A run whose loss
stops being finite is stopped there and counts as exploded."""
from __future__ import annotations

import math

import numpy as np

from ... import manual_seed, nn, optim, tensor
from ...viz._figure import pyplot, save_figure
from ..base import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, Settings, Verdict, verdict

SYMBOLS, LAG, HIDDEN, BATCH = 4, 3, 32, 32
LR, MAX_NORM = 2.0, 1.0
GROWTH = 4.0       # the unclipped run's largest gradient norm must reach this times its start
LOSS_MARGIN = 0.5  # the clipped run's late loss must be at most this times the unclipped run's


class Echo(nn.Module):
    """A vanilla (tanh) RNN with a linear read-out at every step: (T, N, SYMBOLS) -> logits of the
    same shape."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(SYMBOLS, HIDDEN)
        self.head = nn.Linear(HIDDEN, SYMBOLS)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out)


def _train(seed: int, length: int, steps: int, clip: bool) -> dict:
    manual_seed(seed)
    model = Echo()
    opt = optim.SGD(model.parameters(), lr=LR)
    rng = np.random.default_rng(seed)  # the same minibatches for the clipped and unclipped runs
    losses, norms = [], []
    for _ in range(steps):
        symbols = rng.integers(0, SYMBOLS, size=(length, BATCH))
        logits = model(tensor(np.eye(SYMBOLS, dtype=np.float32)[symbols]))[LAG:]
        loss = nn.functional.cross_entropy(logits.reshape(-1, SYMBOLS),
                                           tensor(symbols[:-LAG].reshape(-1)))
        opt.zero_grad()
        loss.backward()
        params = list(model.parameters())
        with np.errstate(over="ignore", invalid="ignore"):  # an exploded run's norm may overflow
            norm = float(nn.utils.get_total_norm([p.grad for p in params]).item())
        value = float(loss.item())
        if not (math.isfinite(value) and math.isfinite(norm)):
            return {"losses": losses, "grad_norms": norms, "diverged_at": len(losses)}
        if clip:
            nn.utils.clip_grads_with_norm_(params, MAX_NORM, norm)
        opt.step()
        losses.append(value)
        norms.append(norm)
    return {"losses": losses, "grad_norms": norms, "diverged_at": None}


def late_loss(run: dict) -> float:
    """The mean loss over the last quarter of the steps; infinite for a run that diverged."""
    if run["diverged_at"] is not None:
        return math.inf
    tail = run["losses"][-max(1, len(run["losses"]) // 4):]
    return float(sum(tail) / len(tail))


def growth(run: dict) -> float:
    """The largest gradient norm over the median of the first 10 (infinite if the run diverged)."""
    if run["diverged_at"] is not None:
        return math.inf
    start = float(np.median(run["grad_norms"][:10]))
    return max(run["grad_norms"]) / start if start > 0 else math.inf


def _ending(run_: dict) -> str:
    if run_["diverged_at"] is not None:
        return f"diverged at step {run_['diverged_at']}"
    return f"late loss {late_loss(run_):.3g}"


def run(settings: Settings) -> dict:
    length = settings.pick(tiny=12, quick=100, full=150)
    steps = settings.pick(tiny=15, quick=400, full=800)
    seeds = settings.pick(tiny=1, quick=3, full=5)
    runs = [{"seed": settings.seed + s,
             **{name: _train(settings.seed + s, length, steps, clip)
                for name, clip in (("unclipped", False), ("clipped", True))}} for s in range(seeds)]
    return {"sequence_length": length, "steps": steps, "lag": LAG, "symbols": SYMBOLS,
            "hidden_size": HIDDEN, "batch_size": BATCH, "lr": LR, "max_norm": MAX_NORM,
            "optimizer": f"SGD lr {LR}, no momentum",
            "task": f"echo the symbol read {LAG} steps earlier, at every step of {length}-step "
                    f"sequences of {SYMBOLS} random symbols",
            "runs": runs}


def judge(metrics: dict) -> Verdict:
    passes, parts = [], []
    for r in metrics["runs"]:
        un, cl = r["unclipped"], r["clipped"]
        g, lu, lc = growth(un), late_loss(un), late_loss(cl)
        passes.append(g >= GROWTH and math.isfinite(lc) and lc <= LOSS_MARGIN * lu)
        parts.append(f"seed {r['seed']}: unclipped grad norm x{g:.3g} of its start, {_ending(un)}; "
                     f"clipped {_ending(cl)}")
    measured = "; ".join(parts)
    if all(passes):
        return verdict(HOLDS, measured, f"on every seed the unclipped gradient norm grew >= {GROWTH:g}x "
                       f"and the clipped run ended at <= {LOSS_MARGIN:g}x the unclipped run's loss",
                       robust=len(passes) >= 2)
    if not any(passes):
        return verdict(DOES_NOT_HOLD, measured, "on no seed did the unclipped run's gradient blow up "
                       "while the clipped run trained clearly better")
    return verdict(INCONCLUSIVE, measured, f"the rule held on {sum(passes)} of {len(passes)} seeds")


def plot(metrics: dict, path: str) -> None:
    plt = pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.5, 6.0), sharex=True)
    for name, color in (("unclipped", "tab:red"), ("clipped", "tab:blue")):
        for i, r in enumerate(metrics["runs"]):
            run_ = r[name]
            label = name if i == 0 else None
            top.plot(run_["grad_norms"], color=color, alpha=0.7, linewidth=0.8, label=label)
            bottom.plot(run_["losses"], color=color, alpha=0.7, linewidth=0.8, label=label)
            if run_["diverged_at"] is not None:
                top.axvline(run_["diverged_at"], color=color, linestyle=":", alpha=0.7)
    top.axhline(metrics["max_norm"], color="gray", linestyle="--", linewidth=0.8, label="clip norm")
    top.set_yscale("log")
    top.set_ylabel("gradient norm before clipping")
    top.set_title(f"Vanilla RNN on {metrics['sequence_length']}-step sequences, SGD lr "
                  f"{metrics['lr']:g} ({len(metrics['runs'])} seeds)")
    top.legend()
    bottom.set_yscale("log")
    bottom.set_xlabel("step")
    bottom.set_ylabel("training loss")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    save_figure(fig, path)
    plt.close(fig)


CLAIM = Claim(
    number=11, name="gradient-clipping",
    statement="Gradient clipping keeps a vanilla RNN's training from exploding on long sequences.",
    source="Pascanu, Mikolov & Bengio 2013 (On the difficulty of training recurrent neural "
           "networks), the lectures' remedy for exploding gradients",
    rule=f"On every seed, the unclipped run's largest gradient norm is >= {GROWTH:g}x the median of "
         f"its first 10 steps (or it diverges), and the clipped run's loss over the last quarter of "
         f"the steps is <= {LOSS_MARGIN:g}x the unclipped run's (a diverged run's counts as "
         f"infinite); on no seed: does not hold; on some: inconclusive.",
    budget={"quick": "~5 s", "full": "~20 s"},
    run=run, judge=judge, plot=plot)
