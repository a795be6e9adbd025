"""Claim 4: deeper plain networks train worse than shallower ones; residual connections remove
the gap (He et al. 2015, Fig. 1 and Fig. 6: plain-20 vs plain-56 on CIFAR-10).

The experiment trains the zoo's CIFAR-style networks (``graphgrad.models.resnet.CifarResNet`` and
its plain twin ``PlainNet``) at a shallow and a deep depth, with and without shortcuts, from the
same seed, on the same stream of minibatches, with the same optimiser. What is compared is the
*training* loss (the paper's point is optimisation, not generalisation): the mean minibatch loss
over the last quarter of the steps. To fit the budget on two cores the digits are the embedded
MNIST sample average-pooled to 14x14, the networks have half the paper's width (8/16/32 filters
instead of 16/32/64) and the runs are a few hundred steps long: quick compares depths 8 and 20,
full the paper's 20 and 56."""
from __future__ import annotations

import time

import numpy as np

from ... import manual_seed, nn, optim, tensor
from ...models.resnet import CifarResNet
from ...vision.datasets.mnist_sample import load_mnist_sample, split_indices
from ...viz._figure import pyplot, save_figure
from ..base import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, Settings, Verdict, verdict

PLAIN_RATIO = 1.25     # plain deep's late loss must be at least this times plain shallow's
RESIDUAL_RATIO = 1.10  # residual deep's late loss must be at most this times residual shallow's
# Robust (a change of base seed should not flip it): 2+ seeds, each clearing both bounds by 10%
# (plain ratio >= 1.375, residual ratio <= 1.0), since these training outcomes vary from seed to seed.
ROBUST_MARGIN = 1.10
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


def _digits(count: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``count`` training digits of the embedded sample, normalised, pooled to 14x14."""
    images, labels = load_mnist_sample()
    rows = split_indices(labels, train=True)[:count]
    x = (images[rows].astype(np.float32) / 255.0 - MNIST_MEAN) / MNIST_STD
    x = x.reshape(len(rows), 1, 14, 2, 14, 2).mean(axis=(3, 5))
    return np.ascontiguousarray(x, dtype=np.float32), labels[rows]


def _train(model, x, y, order: np.ndarray, batch: int, lr: float) -> list[float]:
    """Minibatch SGD with momentum over the batches of ``order``; the loss of every step."""
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    model.train()
    losses = []
    for start in range(0, len(order) - batch + 1, batch):
        rows = order[start:start + batch]
        loss = nn.functional.cross_entropy(model(tensor(x[rows])), tensor(y[rows]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        value = float(loss.item())
        if not np.isfinite(value):
            raise FloatingPointError(f"claims plain-vs-residual: training diverged (loss {value})")
        losses.append(value)
    return losses


def late_loss(losses: list[float]) -> float:
    """The mean loss over the last quarter of the steps: where training ended, less noisy than the
    last minibatch."""
    tail = losses[-max(1, len(losses) // 4):]
    return float(sum(tail) / len(tail))


def run(settings: Settings) -> dict:
    shallow, deep = settings.pick(tiny=(8, 14), quick=(8, 20), full=(20, 56))
    steps = settings.pick(tiny=6, quick=150, full=250)
    seeds = settings.pick(tiny=1, quick=3, full=2)
    width, batch, lr = settings.pick(tiny=4, quick=8, full=8), 32, 0.05
    x, y = _digits(4000)
    runs = []
    for s in range(seeds):
        seed = settings.seed + s
        order = np.concatenate([np.random.default_rng(seed + 1000 * e).permutation(len(x))
                                for e in range(-(-steps * batch // len(x)))])[:steps * batch]
        curves = {}
        for kind in ("plain", "residual"):
            for depth in (shallow, deep):
                manual_seed(seed)
                model = CifarResNet(depth, 10, shortcut=kind == "residual", in_channels=1, width=width)
                started = time.perf_counter()
                losses = _train(model, x, y, order, batch, lr)
                curves[f"{kind}{depth}"] = {"losses": losses, "late_loss": late_loss(losses),
                                            "seconds": round(time.perf_counter() - started, 2)}
        runs.append({"seed": seed, "curves": curves})
    return {"shallow": shallow, "deep": deep, "width": width, "steps": steps, "batch_size": batch, "lr": lr,
            "optimizer": "SGD momentum 0.9, weight decay 1e-4",
            "data": f"embedded MNIST sample, {len(x)} training images average-pooled to 14x14",
            "models": f"graphgrad.models.resnet.CifarResNet, {width}/{2 * width}/{4 * width} filters, "
                      "shortcut on/off",
            "runs": runs}


def judge(metrics: dict) -> Verdict:
    shallow, deep = metrics["shallow"], metrics["deep"]
    passes, clear, lines = [], [], []
    for r in metrics["runs"]:
        c = r["curves"]
        ps, pd = c[f"plain{shallow}"]["late_loss"], c[f"plain{deep}"]["late_loss"]
        rs, rd = c[f"residual{shallow}"]["late_loss"], c[f"residual{deep}"]["late_loss"]
        plain_worse = pd >= PLAIN_RATIO * ps
        residual_fixes = rd <= RESIDUAL_RATIO * rs
        passes.append(plain_worse and residual_fixes)
        clear.append(pd >= PLAIN_RATIO * ROBUST_MARGIN * ps and rd * ROBUST_MARGIN <= RESIDUAL_RATIO * rs)
        lines.append(f"seed {r['seed']}: plain {shallow}/{deep} {ps:.3f}/{pd:.3f} (x{pd / ps:.2f}), "
                     f"residual {shallow}/{deep} {rs:.3f}/{rd:.3f} (x{rd / rs:.2f})")
    measured = "late training loss, " + "; ".join(lines)
    if all(passes):
        robust = len(passes) >= 2 and all(clear)
        margin = ("every seed clears both bounds by 10%, so it is robust" if robust else
                  "not robust: " + ("one seed only" if len(passes) < 2 else
                                    "a seed is within 10% of a bound"))
        return verdict(HOLDS, measured, f"on every seed plain-{deep} ends at >= {PLAIN_RATIO}x the loss "
                       f"of plain-{shallow} while residual-{deep} ends within {RESIDUAL_RATIO}x of "
                       f"residual-{shallow}; {margin}", robust=robust)
    if not any(passes):
        return verdict(DOES_NOT_HOLD, measured, "on no seed did the deeper plain net train clearly "
                       "worse while the deeper residual net kept up, at this depth and length of "
                       "training")
    return verdict(INCONCLUSIVE, measured, f"the rule held on {sum(passes)} of {len(passes)} seeds")


def plot(metrics: dict, path: str) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    r = metrics["runs"][0]
    for name, curve in r["curves"].items():
        losses = np.asarray(curve["losses"])
        k = max(1, len(losses) // 20)
        smooth = np.convolve(losses, np.ones(k) / k, mode="valid")
        ax.plot(np.arange(len(smooth)) + k, smooth, linestyle="--" if name.startswith("plain") else "-",
                label=name)
    ax.set_xlabel("step")
    ax.set_ylabel("training loss (moving average)")
    ax.set_title(f"Plain vs residual, depth {metrics['shallow']} vs {metrics['deep']} (seed {r['seed']})")
    ax.set_yscale("log")
    ax.legend()
    ax.grid(alpha=0.3)
    save_figure(fig, path)
    plt.close(fig)


CLAIM = Claim(
    number=4, name="plain-vs-residual",
    statement="Deeper plain networks train worse than shallower ones; residual connections remove "
              "the gap.",
    source="He et al. 2015 (Deep Residual Learning), Fig. 1 and Fig. 6: plain-20 vs plain-56 on "
           "CIFAR-10, as the lectures show it",
    rule=f"On every seed, the deep plain net's training loss over the last quarter of steps is at "
         f"least {PLAIN_RATIO}x the shallow plain net's, and the deep residual net's is at most "
         f"{RESIDUAL_RATIO}x the shallow residual net's; holds on no seed: does not hold; some: "
         f"inconclusive. Robust only with 2+ seeds each clearing both bounds by 10%.",
    budget={"quick": "~30 s", "full": "~90 s"},
    run=run, judge=judge, plot=plot)
