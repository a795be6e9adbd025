"""``graphgrad claims``: the lectures' checkable claims, each tested by a small experiment with a
fixed seed and decided by a rule stated in the code before anything is measured."""
from .base import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, Settings, Verdict, verdict
from .registry import all_claims, get_claim

__all__ = ["Claim", "Settings", "Verdict", "verdict", "HOLDS", "DOES_NOT_HOLD", "INCONCLUSIVE",
           "all_claims", "get_claim"]
