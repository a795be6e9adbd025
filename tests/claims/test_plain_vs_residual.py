"""Claim 4 (plain-vs-residual): a tiny run writes JSON-able metrics and a plot, and the rule can
fail: fabricated losses where depth does not hurt the plain net, or hurts the residual one too,
are not "holds"."""
import json
import os

from graphgrad.claims import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Settings, get_claim

CLAIM = get_claim("plain-vs-residual")


def test_tiny_run_gives_metrics_verdict_and_plot(tmp_path):
    metrics = CLAIM.run(Settings("tiny", 0, None, str(tmp_path)))
    assert json.loads(json.dumps(metrics)) == metrics
    curves = metrics["runs"][0]["curves"]
    assert sorted(curves) == ["plain14", "plain8", "residual14", "residual8"]
    assert all(len(c["losses"]) == metrics["steps"] for c in curves.values())
    assert CLAIM.judge(metrics).verdict in (HOLDS, DOES_NOT_HOLD, INCONCLUSIVE)
    CLAIM.plot(metrics, str(tmp_path / "plot.png"))
    assert os.path.getsize(tmp_path / "plot.png") > 1000


def _metrics(*seeds):
    """One run per (plain shallow, plain deep, residual shallow, residual deep) late loss."""
    names = ("plain8", "plain20", "residual8", "residual20")
    runs = [{"seed": i, "curves": {name: {"losses": [1.0, loss], "late_loss": loss}
                                   for name, loss in zip(names, s)}}
            for i, s in enumerate(seeds)]
    return {"shallow": 8, "deep": 20, "runs": runs}


def test_rule_holds_on_clear_evidence_and_can_fail():
    clear = (0.2, 0.5, 0.2, 0.19)
    v = CLAIM.judge(_metrics(clear, clear))
    assert v.verdict == HOLDS and v.robust
    assert not CLAIM.judge(_metrics(clear)).robust
    near_the_bound = (0.2, 0.5, 0.2, 0.21)  # residual deep 1.05x: holds, but too close to call robust
    v = CLAIM.judge(_metrics(clear, near_the_bound))
    assert v.verdict == HOLDS and not v.robust
    no_degradation = (0.2, 0.21, 0.2, 0.19)
    assert CLAIM.judge(_metrics(no_degradation, no_degradation)).verdict == DOES_NOT_HOLD
    residual_also_worse = (0.2, 0.5, 0.2, 0.4)
    assert CLAIM.judge(_metrics(residual_also_worse, residual_also_worse)).verdict == DOES_NOT_HOLD
    assert CLAIM.judge(_metrics(clear, no_degradation)).verdict == INCONCLUSIVE
