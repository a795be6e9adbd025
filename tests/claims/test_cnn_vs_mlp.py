"""Claim 1, cnn-vs-mlp: a tiny run, and the rule on fabricated test errors."""
import copy

from graphgrad.claims import get_claim
from graphgrad.claims.base import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE

from .claim_checks import run_tiny

CLAIM = get_claim("cnn-vs-mlp")


def test_tiny_run(tmp_path):
    metrics, _ = run_tiny("cnn-vs-mlp", tmp_path)
    assert metrics["seeds"] == 1 and not metrics["full_mnist"]
    assert "embedded MNIST sample" in metrics["data"]
    assert len(metrics["runs"]["cnn"][0]["test_error"]) == metrics["epochs"]


def fabricated(cnn, mlp, full=False):
    runs = lambda errs: [{"test_error": [0.5, e], "train_error": [0.5, e / 2]} for e in errs]  # noqa: E731
    return {"full_mnist": full, "seeds": len(cnn), "runs": {"cnn": runs(cnn), "mlp": runs(mlp)}}


def test_clear_evidence_holds_robustly():
    v = CLAIM.judge(fabricated([0.03, 0.035, 0.032], [0.06, 0.065, 0.07]))
    assert v.verdict == HOLDS and v.robust


def test_the_margin_depends_on_the_data():
    # a 0.5-point gap on every seed: enough on full MNIST (0.3), not on the sample (1.0)
    metrics = fabricated([0.010, 0.011, 0.009], [0.015, 0.016, 0.014], full=True)
    assert CLAIM.judge(metrics).verdict == HOLDS
    sample = copy.deepcopy(metrics)
    sample["full_mnist"] = False
    assert CLAIM.judge(sample).verdict == INCONCLUSIVE


def test_the_rule_can_fail():
    v = CLAIM.judge(fabricated([0.06, 0.07, 0.06], [0.05, 0.06, 0.07]))
    assert v.verdict == DOES_NOT_HOLD and not v.robust
    # better on average but one seed the other way: not "holds"
    assert CLAIM.judge(fabricated([0.02, 0.02, 0.08], [0.06, 0.06, 0.05])).verdict == INCONCLUSIVE


def test_one_seed_is_never_robust():
    v = CLAIM.judge(fabricated([0.02], [0.08]))
    assert v.verdict == HOLDS and not v.robust
