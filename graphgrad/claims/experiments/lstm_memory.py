"""Claim 6: an LSTM remembers over delays where a vanilla RNN forgets (Hochreiter & Schmidhuber
1997; the lectures' motivation for gated cells).

The task is a delayed recall: a sequence of ``T`` one-hot symbols holds one of ``RECALL`` symbols
to remember at a random place, random distractor symbols everywhere else, and a cue symbol at the
last step, where the network must name the symbol it saw ``delay`` steps earlier (delay drawn
uniformly from 1 to ``max_delay`` for every sequence). ``nn.RNN`` (tanh) and ``nn.LSTM`` with the
same hidden size and a linear read-out on the last step are trained identically (Adam, the same
fresh minibatches, gradient norm clipped at 1 for both so neither run is lost to one exploding
step), then scored on fresh sequences at every delay. Chance is 1/RECALL."""
from __future__ import annotations

import numpy as np

from ... import manual_seed, nn, no_grad, optim, tensor
from ...viz._figure import pyplot, save_figure
from ..base import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, Settings, Verdict, verdict

RECALL, DISTRACTORS = 4, 4            # symbols to remember, distractor symbols
CUE = RECALL + DISTRACTORS            # the "now answer" symbol
VOCAB = CUE + 1
LSTM_ACCURACY = 0.8                   # the LSTM's accuracy over the longest third of the delays
GAP = 0.3                             # ... and the vanilla RNN's at least this much lower
ROBUST = (0.85, 0.35)                 # robust: every seed clears both by 5 more points (2+ seeds)


def make_batch(rng: np.random.Generator, count: int, max_delay: int, delays=None):
    """``count`` recall sequences: inputs (T, count, VOCAB) one-hot float32 with T = max_delay + 1,
    targets (count,) int64 and the delay of each. ``delays`` fixes them (else uniform 1..max_delay)."""
    steps = max_delay + 1
    if delays is None:
        delays = rng.integers(1, max_delay + 1, size=count)
    delays = np.asarray(delays, dtype=np.int64)
    symbols = rng.integers(RECALL, RECALL + DISTRACTORS, size=(steps, count))
    targets = rng.integers(0, RECALL, size=count)
    symbols[steps - 1 - delays, np.arange(count)] = targets
    symbols[-1] = CUE
    x = np.eye(VOCAB, dtype=np.float32)[symbols]
    return x, targets.astype(np.int64), delays


class Recaller(nn.Module):
    """A one-layer recurrent net (``nn.RNN`` or ``nn.LSTM``) with a linear read-out of the last step."""

    def __init__(self, kind: str, hidden: int):
        super().__init__()
        self.rnn = {"rnn": nn.RNN, "lstm": nn.LSTM}[kind](VOCAB, hidden)
        self.head = nn.Linear(hidden, RECALL)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[-1])


def _train_and_score(kind: str, seed: int, hidden: int, max_delay: int, steps: int, batch: int,
                     per_delay: int) -> dict:
    manual_seed(seed)
    model = Recaller(kind, hidden)
    opt = optim.Adam(model.parameters(), lr=0.01)
    rng = np.random.default_rng(seed)  # the same minibatches for both kinds at one seed
    losses = []
    for _ in range(steps):
        x, y, _ = make_batch(rng, batch, max_delay)
        loss = nn.functional.cross_entropy(model(tensor(x)), tensor(y))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(float(loss.item()))
    test_rng = np.random.default_rng(seed + 10_000)
    delays = np.repeat(np.arange(1, max_delay + 1), per_delay)
    x, y, delays = make_batch(test_rng, len(delays), max_delay, delays)
    with no_grad():
        right = model(tensor(x)).numpy().argmax(axis=1) == y
    accuracy = [float(right[delays == d].mean()) for d in range(1, max_delay + 1)]
    return {"losses": losses, "accuracy_by_delay": accuracy}


def long_accuracy(accuracy_by_delay: list[float]) -> float:
    """Mean accuracy over the longest third of the delays."""
    n = len(accuracy_by_delay)
    tail = accuracy_by_delay[n - max(1, n // 3):]
    return float(sum(tail) / len(tail))


def run(settings: Settings) -> dict:
    max_delay = settings.pick(tiny=6, quick=50, full=80)
    steps = settings.pick(tiny=5, quick=800, full=1500)
    seeds = settings.pick(tiny=1, quick=3, full=3)
    hidden, batch, per_delay = 32, 64, settings.pick(tiny=10, quick=100, full=200)
    runs = []
    for s in range(seeds):
        seed = settings.seed + s
        runs.append({"seed": seed, **{kind: _train_and_score(kind, seed, hidden, max_delay, steps, batch,
                                                              per_delay) for kind in ("rnn", "lstm")}})
    return {"max_delay": max_delay, "steps": steps, "batch_size": batch, "hidden_size": hidden,
            "optimizer": "Adam lr 0.01, gradient norm clipped at 1.0", "per_delay": per_delay,
            "chance": 1.0 / RECALL,
            "task": f"delayed recall: one of {RECALL} symbols among {DISTRACTORS} distractor symbols, "
                    f"recalled at a cue 1..{max_delay} steps later (fresh random sequences)",
            "runs": runs}


def judge(metrics: dict) -> Verdict:
    passes, clear, parts = [], [], []
    for r in metrics["runs"]:
        lstm = long_accuracy(r["lstm"]["accuracy_by_delay"])
        rnn = long_accuracy(r["rnn"]["accuracy_by_delay"])
        passes.append(lstm >= LSTM_ACCURACY and rnn <= lstm - GAP)
        clear.append(lstm >= ROBUST[0] and rnn <= lstm - ROBUST[1])
        parts.append(f"seed {r['seed']}: LSTM {100 * lstm:.0f}%, RNN {100 * rnn:.0f}%")
    n = metrics["max_delay"]
    measured = (f"recall accuracy over the longest delays ({n - max(1, n // 3) + 1}-{n} steps; chance "
                f"{100 * metrics['chance']:.0f}%): " + "; ".join(parts))
    if all(passes):
        return verdict(HOLDS, measured, f"on every seed the LSTM recalls >= {100 * LSTM_ACCURACY:.0f}% "
                       f"at the longest delays and the vanilla RNN at least {100 * GAP:.0f} points "
                       f"less", robust=len(passes) >= 2 and all(clear))
    if not any(passes):
        return verdict(DOES_NOT_HOLD, measured, "on no seed did the LSTM recall well at the longest "
                       "delays while the vanilla RNN fell clearly behind, at this training length")
    return verdict(INCONCLUSIVE, measured, f"the rule held on {sum(passes)} of {len(passes)} seeds")


def plot(metrics: dict, path: str) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    delays = np.arange(1, metrics["max_delay"] + 1)
    for kind, color, style in (("rnn", "tab:red", "--"), ("lstm", "tab:blue", "-")):  # LSTM on top
        for i, r in enumerate(metrics["runs"]):
            ax.plot(delays, 100 * np.asarray(r[kind]["accuracy_by_delay"]), color=color, alpha=0.8,
                    linestyle=style, label=("LSTM" if kind == "lstm" else "vanilla RNN") if i == 0 else None)
    ax.axhline(100 * metrics["chance"], color="gray", linestyle=":", label="chance")
    ax.set_ylim(0, 105)
    ax.set_xlabel("delay between the symbol and the cue (steps)")
    ax.set_ylabel("recall accuracy (%)")
    ax.set_title(f"Delayed recall after {metrics['steps']} steps ({len(metrics['runs'])} seeds)")
    ax.legend(loc="center right")
    ax.grid(alpha=0.3)
    save_figure(fig, path)
    plt.close(fig)


CLAIM = Claim(
    number=6, name="lstm-memory",
    statement="An LSTM remembers over delays where a vanilla RNN forgets.",
    source="Hochreiter & Schmidhuber 1997 (long short-term memory); the lectures' case for gated "
           "recurrent cells",
    rule=f"Trained identically on delayed recall, on every seed the LSTM's accuracy over the longest "
         f"third of the delays is >= {100 * LSTM_ACCURACY:.0f}% and the vanilla RNN's is at least "
         f"{100 * GAP:.0f} points lower; on no seed: does not hold; on some: inconclusive. Robust only "
         f"with 2+ seeds each clearing both by 5 more points.",
    budget={"quick": "~15 s", "full": "~40 s"},
    run=run, judge=judge, plot=plot)
