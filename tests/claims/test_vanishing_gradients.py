"""Claim 5 (vanishing-gradients): a tiny run writes JSON-able metrics and a plot, and the rule can
fail: fabricated ratios that do not vanish, or a ReLU + He ratio that collapses, are not "holds"."""
import json
import os

from graphgrad.claims import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Settings, get_claim

CLAIM = get_claim("vanishing-gradients")


def test_tiny_run_gives_metrics_verdict_and_plot(tmp_path):
    metrics = CLAIM.run(Settings("tiny", 0, None, str(tmp_path)))
    assert json.loads(json.dumps(metrics)) == metrics
    assert len(metrics["runs"][0]["setups"]["sigmoid"]["grad_norms"]) == metrics["depth"] + 1
    assert CLAIM.judge(metrics).verdict in (HOLDS, DOES_NOT_HOLD, INCONCLUSIVE)
    CLAIM.plot(metrics, str(tmp_path / "plot.png"))
    assert os.path.getsize(tmp_path / "plot.png") > 1000


def _metrics(ratios_per_seed):
    setups = {"sigmoid": {}, "tanh": {}, "relu-default-init": {}, "relu-he-init": {}}
    runs = [{"seed": i, "setups": {k: {"ratio": r[k], "grad_norms": [1.0, r[k]]} for k in setups}}
            for i, r in enumerate(ratios_per_seed)]
    return {"depth": 12, "setups": setups, "runs": runs}


def test_rule_holds_on_clear_evidence_and_can_fail():
    clear = {"sigmoid": 1e-9, "tanh": 0.02, "relu-default-init": 1e-3, "relu-he-init": 0.6}
    v = CLAIM.judge(_metrics([clear, clear]))
    assert v.verdict == HOLDS and v.robust
    assert not CLAIM.judge(_metrics([clear])).robust  # one seed is never robust
    no_vanish = dict(clear, sigmoid=0.5, tanh=0.8)
    assert CLAIM.judge(_metrics([no_vanish, no_vanish])).verdict == DOES_NOT_HOLD
    relu_collapses = dict(clear, **{"relu-he-init": 0.01})
    assert CLAIM.judge(_metrics([relu_collapses] * 2)).verdict == DOES_NOT_HOLD
    assert CLAIM.judge(_metrics([clear, no_vanish])).verdict == INCONCLUSIVE
