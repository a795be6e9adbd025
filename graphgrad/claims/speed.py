"""The rule of the claims that one way of training is N times faster than another: the steps each
needs to reach a target training error, seed by seed, and their ratio.

A run that never reaches the target within its steps gives a bound, not a number: if the slow
one never got there, the ratio is at least (its steps) / (the fast one's); if the fast one never
got there, at most. A bound that cannot decide the rule makes the verdict inconclusive."""
from __future__ import annotations

import math

from .base import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Verdict, verdict


def steps_to(steps: list, errors: list, target: float) -> int | None:
    """The first step at which ``errors`` (measured at ``steps``) is at or below ``target``."""
    return next((s for s, e in zip(steps, errors) if e <= target), None)


def _ratio(fast, slow, budget):
    """(ratio slow/fast, kind): kind 'exact', 'at least' (slow never got there) or 'at most'."""
    if fast is not None and slow is not None:
        return slow / max(fast, 1), "exact"
    if fast is not None:
        return budget / max(fast, 1), "at least"
    if slow is not None:
        return slow / budget, "at most"
    return None, "neither"


def speedup_verdict(fast: str, slow: str, fast_steps: list, slow_steps: list, budget: int,
                    needed: float, target: str) -> Verdict:
    """Holds when the geometric mean over seeds of slow/fast steps-to-target is at least
    ``needed`` and ``fast`` is faster on every seed; robust with 3+ seeds each at ``needed`` or
    more. ``budget``: the steps each run had. Does not hold when the numbers decide against it;
    inconclusive when a run that never reached ``target`` leaves it open."""
    pairs = [_ratio(f, s, budget) for f, s in zip(fast_steps, slow_steps)]

    def fmt(f, s):
        return ", ".join(f"{'-' if x is None else x}/{'-' if y is None else y}" for x, y in zip(f, s))

    measured = (f"steps to {target}, {fast}/{slow} per seed: {fmt(fast_steps, slow_steps)} "
                f"('-': not reached in {budget} steps)")
    if any(kind == "neither" for _, kind in pairs):
        return verdict(INCONCLUSIVE, measured, f"on some seed neither reached {target} within "
                       f"{budget} steps: the run is too short to compare them")
    ratios = [r for r, _ in pairs]
    geo = math.exp(sum(math.log(max(r, 1e-9)) for r in ratios) / len(ratios))
    words = ", ".join(f"{'>=' if k == 'at least' else '<=' if k == 'at most' else ''}{r:.2f}"
                      for r, k in pairs)
    measured += f"; ratio {slow}/{fast} {words}, geometric mean {geo:.2f}"
    every_faster = all(r > 1 for r in ratios) and not any(k == "at most" for _, k in pairs)
    if geo >= needed and every_faster:
        robust = len(ratios) >= 3 and min(ratios) >= needed
        return verdict(HOLDS, measured, f"{fast} reaches {target} {geo:.1f} times sooner than "
                       f"{slow} on (geometric) average, >= {needed}, and sooner on every seed"
                       + ("" if robust else f"; not robust: a seed's ratio is under {needed} or "
                          "fewer than 3 seeds"), robust)
    if geo < needed and any(k == "at least" for _, k in pairs):
        return verdict(INCONCLUSIVE, measured, f"the ratio is under {needed} only because {slow} "
                       f"had not reached {target} when its {budget} steps ended: a bound, not a "
                       "measurement")
    return verdict(DOES_NOT_HOLD, measured, f"{fast} is {geo:.2f} times as fast as {slow} "
                   f"(needed {needed})" + ("" if every_faster else
                                          ", and not faster on every seed"))
