"""Claim 3, mse-vs-cross-entropy: a tiny run, the gradient curve against its closed form, and
the rule on fabricated step counts."""
import numpy as np

from graphgrad.claims import get_claim
from graphgrad.claims.base import DOES_NOT_HOLD, HOLDS
from graphgrad.claims.experiments.mse_vs_cross_entropy import gradient_curve

from .claim_checks import run_tiny

CLAIM = get_claim("mse-vs-cross-entropy")


def test_tiny_run(tmp_path):
    metrics, _ = run_tiny("mse-vs-cross-entropy", tmp_path)
    assert set(metrics["runs"]) == {"cross_entropy", "squared_error"}


def test_the_gradient_curve_is_the_closed_form():
    g = gradient_curve(classes=10, points=21)
    z = np.array(g["z"])
    p = np.exp(z) / (np.exp(z) + 9)  # softmax of the true class with the other nine logits at 0
    np.testing.assert_allclose(g["cross_entropy"], p - 1, atol=1e-5)
    # squared error: dC/dz_y = p_y((p_y - 1) - sum_k p_k (p_k - t_k)), the others each (1-p)/9
    q = (1 - p) / 9
    dot = p * (p - 1) + 9 * q * q
    np.testing.assert_allclose(g["squared_error"], p * ((p - 1) - dot), atol=1e-5)
    # the flatness the claim rests on: confidently wrong, squared error's gradient is ~0
    assert abs(g["squared_error"][0]) < 1e-3 and g["cross_entropy"][0] < -0.99


def fabricated(ce, se, budget=700):
    runs = lambda steps: [{"steps_to_target": s} for s in steps]  # noqa: E731
    return {"target_error": 0.1, "budget_steps": budget,
            "runs": {"cross_entropy": runs(ce), "squared_error": runs(se)}}


def test_clear_evidence_holds():
    v = CLAIM.judge(fabricated([50, 60, 70, 50, 60], [160, 170, 190, 150, 200]))
    assert v.verdict == HOLDS and v.robust


def test_the_rule_can_fail():
    assert CLAIM.judge(fabricated([50, 60, 70], [60, 70, 80])).verdict == DOES_NOT_HOLD
    assert CLAIM.judge(fabricated([100, 60, 70], [90, 200, 220])).verdict == DOES_NOT_HOLD
