"""Claim 8 (regularisation-gap): a tiny run writes JSON-able metrics, a verdict and a plot;
fabricated metrics show the rule says "holds" only for clear evidence."""
import copy
import json

from graphgrad.claims import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Settings, get_claim

CLAIM = get_claim("regularisation-gap")


def _tiny(tmp_path):
    metrics = CLAIM.run(Settings("tiny", 0, None, str(tmp_path)))
    assert json.loads(json.dumps(metrics, allow_nan=False)) == metrics
    return metrics


def _with_gaps(metrics, gaps):
    """``metrics`` with these per-seed gaps for each variant (test accuracy 0.9)."""
    fake = copy.deepcopy(metrics)
    fake["seeds"] = list(range(len(gaps["baseline"])))
    fake["results"] = {v: [{"train_acc": 0.9 + g, "test_acc": 0.9, "gap": g} for g in values]
                       for v, values in gaps.items()}
    return fake


def test_tiny_run_judge_and_plot(tmp_path):
    metrics = _tiny(tmp_path)
    assert set(metrics["results"]) == {"baseline", "dropout", "augmentation", "mixup"}
    for results in metrics["results"].values():
        assert all(abs(r["gap"] - (r["train_acc"] - r["test_acc"])) < 1e-12 for r in results)
    assert CLAIM.judge(metrics).verdict in (HOLDS, DOES_NOT_HOLD, INCONCLUSIVE)
    CLAIM.plot(metrics, str(tmp_path / "gap.png"))
    assert (tmp_path / "gap.png").read_bytes()[:4] == b"\x89PNG"


def test_rule_can_fail(tmp_path):
    metrics = _tiny(tmp_path)
    base = [0.10, 0.12]
    clear = CLAIM.judge(_with_gaps(metrics, {"baseline": base, "dropout": [0.05, 0.06],
                                             "augmentation": [0.03, 0.04], "mixup": [0.07, 0.08]}))
    assert clear.verdict == HOLDS and clear.robust
    slight = CLAIM.judge(_with_gaps(metrics, {"baseline": base, "dropout": [0.09, 0.11],
                                              "augmentation": [0.03, 0.04], "mixup": [0.07, 0.08]}))
    assert slight.verdict == HOLDS and not slight.robust
    no_mixup = CLAIM.judge(_with_gaps(metrics, {"baseline": base, "dropout": [0.05, 0.06],
                                                "augmentation": [0.03, 0.04], "mixup": [0.11, 0.13]}))
    assert no_mixup.verdict == DOES_NOT_HOLD and "mixup" in no_mixup.why
    mixed = CLAIM.judge(_with_gaps(metrics, {"baseline": base, "dropout": [0.05, 0.13],
                                             "augmentation": [0.03, 0.04], "mixup": [0.07, 0.08]}))
    assert mixed.verdict == INCONCLUSIVE
