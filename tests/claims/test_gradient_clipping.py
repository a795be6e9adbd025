"""Claim 11 (gradient-clipping): a tiny run writes JSON-able metrics and a plot, and the rule can
fail: fabricated runs where the unclipped gradient stays level, or the clipped run ends no better,
are not "holds"; a diverged unclipped run counts as exploded."""
import json
import os

from graphgrad.claims import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Settings, get_claim
from graphgrad.claims.experiments.gradient_clipping import growth, late_loss

CLAIM = get_claim("gradient-clipping")


def test_tiny_run_gives_metrics_verdict_and_plot(tmp_path):
    metrics = CLAIM.run(Settings("tiny", 0, None, str(tmp_path)))
    assert json.loads(json.dumps(metrics, allow_nan=False)) == metrics
    clipped = metrics["runs"][0]["clipped"]
    assert clipped["diverged_at"] is None and len(clipped["losses"]) == metrics["steps"]
    assert CLAIM.judge(metrics).verdict in (HOLDS, DOES_NOT_HOLD, INCONCLUSIVE)
    CLAIM.plot(metrics, str(tmp_path / "plot.png"))
    assert os.path.getsize(tmp_path / "plot.png") > 1000


def _run(norms, losses, diverged_at=None):
    return {"grad_norms": norms, "losses": losses, "diverged_at": diverged_at}


EXPLODES = _run([1.0] * 10 + [50.0, 3.0], [1.0] * 8 + [20.0] * 4)
DIVERGES = _run([1.0] * 10, [1.0] * 10, diverged_at=10)
LEVEL = _run([1.0] * 12, [1.0] * 8 + [0.5] * 4)
TRAINS = _run([1.0] * 10 + [5.0, 1.0], [1.0] * 8 + [0.01] * 4)


def _metrics(*pairs):
    runs = [{"seed": i, "unclipped": un, "clipped": cl} for i, (un, cl) in enumerate(pairs)]
    return {"runs": runs, "max_norm": 1.0, "lr": 2.0, "sequence_length": 12}


def test_growth_and_late_loss():
    assert growth(EXPLODES) == 50.0 and growth(DIVERGES) == float("inf")
    assert late_loss(EXPLODES) == 20.0 and late_loss(DIVERGES) == float("inf")


def test_rule_holds_on_clear_evidence_and_can_fail():
    v = CLAIM.judge(_metrics((EXPLODES, TRAINS), (DIVERGES, TRAINS)))
    assert v.verdict == HOLDS and v.robust
    assert not CLAIM.judge(_metrics((EXPLODES, TRAINS))).robust
    assert CLAIM.judge(_metrics((LEVEL, TRAINS), (LEVEL, TRAINS))).verdict == DOES_NOT_HOLD
    assert CLAIM.judge(_metrics((EXPLODES, EXPLODES), (DIVERGES, DIVERGES))).verdict == DOES_NOT_HOLD
    assert CLAIM.judge(_metrics((EXPLODES, TRAINS), (LEVEL, TRAINS))).verdict == INCONCLUSIVE
