"""Claim 7 (momentum): a tiny run writes JSON-able metrics, a verdict and a plot; fabricated
metrics show the rule says "holds" only for clear evidence."""
import copy
import json

from graphgrad.claims import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Settings, get_claim

CLAIM = get_claim("momentum")


def _tiny(tmp_path):
    metrics = CLAIM.run(Settings("tiny", 0, None, str(tmp_path)))
    assert json.loads(json.dumps(metrics, allow_nan=False)) == metrics
    return metrics


def _with_steps(metrics, pairs):
    """``metrics`` with one speed run per (momentum steps, SGD steps) pair."""
    fake = copy.deepcopy(metrics)
    run = fake["speed"][0]
    fake["speed"] = []
    for seed, (m, s) in enumerate(pairs):
        r = copy.deepcopy(run)
        r["seed"] = seed
        r["momentum"]["steps_to_threshold"], r["sgd"]["steps_to_threshold"] = m, s
        fake["speed"].append(r)
    return fake


def test_tiny_run_judge_and_plot(tmp_path):
    metrics = _tiny(tmp_path)
    verdict = CLAIM.judge(metrics)
    assert verdict.verdict in (HOLDS, DOES_NOT_HOLD, INCONCLUSIVE)
    # the lectures' rule is optim.SGD's at a constant lr, and not once the lr changes
    assert max(metrics["rule_constant_lr"]["weight_diff"]) < metrics["same_tolerance"]
    assert max(metrics["rule_halved_lr"]["weight_diff"]) > 100 * metrics["same_tolerance"]
    CLAIM.plot(metrics, str(tmp_path / "momentum.png"))
    assert (tmp_path / "momentum.png").read_bytes()[:4] == b"\x89PNG"


def test_rule_can_fail(tmp_path):
    metrics = _tiny(tmp_path)
    # (10, None): SGD never got there, so the ratio is at most 10 / the budget's steps
    clear = CLAIM.judge(_with_steps(metrics, [(50, 300), (60, 280), (10, None)]))
    assert clear.verdict == HOLDS and clear.robust
    slight = CLAIM.judge(_with_steps(metrics, [(200, 300), (60, 280)]))
    assert slight.verdict == HOLDS and not slight.robust
    assert CLAIM.judge(_with_steps(metrics, [(300, 200), (280, 280)])).verdict == DOES_NOT_HOLD
    assert CLAIM.judge(_with_steps(metrics, [(50, 300), (300, 200)])).verdict == INCONCLUSIVE
    assert CLAIM.judge(_with_steps(metrics, [(None, None)])).verdict == INCONCLUSIVE
    differs = _with_steps(metrics, [(50, 300)])
    differs["rule_constant_lr"]["weight_diff"][-1] = 1e-3  # the two update rules disagree
    assert CLAIM.judge(differs).verdict == DOES_NOT_HOLD
