"""Every claim: one module per claim in ``graphgrad.claims.experiments``, each defining ``CLAIM``,
listed in the lectures' order."""
from __future__ import annotations

import importlib
import pkgutil

from . import experiments
from .base import Claim

_CLAIMS: list[Claim] = []


def all_claims() -> list[Claim]:
    """The claims, by number."""
    if not _CLAIMS:
        found = []
        for info in pkgutil.iter_modules(experiments.__path__):
            module = importlib.import_module(f"{experiments.__name__}.{info.name}")
            claim = getattr(module, "CLAIM", None)
            if not isinstance(claim, Claim):
                raise TypeError(f"claims: {module.__name__} must define CLAIM, a Claim")
            found.append(claim)
        found.sort(key=lambda c: c.number)
        for attr in ("number", "name"):
            values = [getattr(c, attr) for c in found]
            if len(set(values)) != len(values):
                raise ValueError(f"claims: two claims share a {attr}: {values}")
        _CLAIMS[:] = found
    return list(_CLAIMS)


def get_claim(name: str) -> Claim:
    """The claim called ``name``; a clear error listing the names otherwise."""
    for claim in all_claims():
        if claim.name == name:
            return claim
    names = ", ".join(c.name for c in all_claims())
    raise KeyError(f"graphgrad claims: no claim called {name!r}; the claims are: {names}")
