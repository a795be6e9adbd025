"""What a claim is: the statement, where the lectures make it, the rule that decides it (stated
before any number is measured), the experiment that measures it, and the plot that shows it.

A claim's verdict is a pure function of its metrics (``Claim.judge``), so anyone can re-derive it
from ``claims.json`` without re-running the experiment (``graphgrad claims --check FOLDER``)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple

HOLDS, DOES_NOT_HOLD, INCONCLUSIVE = "holds", "does not hold", "inconclusive"
VERDICTS = (HOLDS, DOES_NOT_HOLD, INCONCLUSIVE)
SIZES = ("tiny", "quick", "full")  # tiny: the tests' size; quick: --quick; full: the default


@dataclass(frozen=True)
class Settings:
    """How one claim runs: ``size`` (tiny, quick or full), the base ``seed`` (a claim with several
    seeds uses seed, seed + 1, ...), ``data`` (a folder that may hold mnist/ and cifar-10-batches-py/,
    or None for the data that installs with graphgrad) and ``folder`` (where the claim may write
    files of its own besides its metrics and plot)."""
    size: str
    seed: int
    data: str | None
    folder: str

    def __post_init__(self):
        if self.size not in SIZES:
            raise ValueError(f"claims: size must be one of {SIZES}, got {self.size!r}")

    def pick(self, tiny, quick, full):
        """The value for this size: ``settings.pick(tiny=1, quick=3, full=10)``."""
        return {"tiny": tiny, "quick": quick, "full": full}[self.size]


class Verdict(NamedTuple):
    verdict: str    # one of VERDICTS
    measured: str   # the numbers the verdict rests on, in words
    why: str        # how the rule applied to them; for one that does not hold, why at this scale
    robust: bool    # True when it holds on every seed with the rule's margin (seed changes cannot flip it)


@dataclass(frozen=True)
class Claim:
    number: int                       # its place in the lectures' list (1, 2, ...)
    name: str                         # the command-line name, e.g. "cnn-vs-mlp"
    statement: str                    # the claim in one sentence
    source: str                       # where the lectures make it
    rule: str                         # the verdict rule in words, as ``judge`` applies it
    budget: dict                      # {"quick": "~40 s", "full": "~5 min"} on 2 cores
    run: Callable[[Settings], dict]   # the experiment: settings -> metrics (JSON-serialisable)
    judge: Callable[[dict], Verdict]  # metrics -> verdict, by ``rule``; pure, no randomness
    plot: Callable[[dict, str], None]  # metrics, PNG path -> the plot of the evidence

    def __post_init__(self):
        if not self.name or self.name != self.name.lower() or " " in self.name:
            raise ValueError(f"claims: a claim's name is lower-case without spaces, got {self.name!r}")
        if set(self.budget) != {"quick", "full"}:
            raise ValueError(f"claims: {self.name}'s budget names quick and full, got {sorted(self.budget)}")


def verdict(value: str, measured: str, why: str, robust: bool = False) -> Verdict:
    """A Verdict, checked: ``value`` must be one of VERDICTS and only a verdict that holds is robust."""
    if value not in VERDICTS:
        raise ValueError(f"claims: a verdict is one of {VERDICTS}, got {value!r}")
    return Verdict(value, measured, why, bool(robust) and value == HOLDS)
