"""Claim 9 (batch-norm): a tiny run writes JSON-able metrics, a verdict and a plot; fabricated
metrics show the rule says "holds" only for clear evidence."""
import copy
import json

from graphgrad.claims import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Settings, get_claim

CLAIM = get_claim("batch-norm")


def _tiny(tmp_path):
    metrics = CLAIM.run(Settings("tiny", 0, None, str(tmp_path)))
    assert json.loads(json.dumps(metrics, allow_nan=False)) == metrics
    return metrics


def _with_finals(metrics, per_seed):
    """``metrics`` whose final losses are, per seed, (BN at the high lr, plain at the high lr,
    plain at the normal lr); None is a diverged run."""
    fake = copy.deepcopy(metrics)
    fake["seeds"] = list(range(len(per_seed)))
    fake["runs"] = []
    for seed, (bn_high, plain_high, plain_normal) in enumerate(per_seed):
        for bn, lr, final in ((True, fake["high_lr"], bn_high), (False, fake["high_lr"], plain_high),
                              (False, fake["normal_lr"], plain_normal)):
            fake["runs"].append({"seed": seed, "batch_norm": bn, "lr": lr, "steps": [0, 1],
                                 "loss": [2.3, final], "final": final})
    return fake


def test_tiny_run_judge_and_plot(tmp_path):
    metrics = _tiny(tmp_path)
    assert len(metrics["runs"]) == 2 * len(metrics["lrs"])
    assert CLAIM.judge(metrics).verdict in (HOLDS, DOES_NOT_HOLD, INCONCLUSIVE)
    CLAIM.plot(metrics, str(tmp_path / "bn.png"))
    assert (tmp_path / "bn.png").read_bytes()[:4] == b"\x89PNG"


def test_rule_can_fail(tmp_path):
    metrics = _tiny(tmp_path)
    clear = CLAIM.judge(_with_finals(metrics, [(0.04, None, 0.2), (0.05, 1.0, 0.18)]))
    assert clear.verdict == HOLDS and clear.robust
    slight = CLAIM.judge(_with_finals(metrics, [(0.15, None, 0.2), (0.05, 1.0, 0.18)]))
    assert slight.verdict == HOLDS and not slight.robust
    assert CLAIM.judge(_with_finals(metrics, [(0.3, 0.2, 0.2), (0.5, 1.0, 0.18)])).verdict == DOES_NOT_HOLD
    assert CLAIM.judge(_with_finals(metrics, [(None, None, 0.2)])).verdict == DOES_NOT_HOLD
    assert CLAIM.judge(_with_finals(metrics, [(0.04, None, 0.2), (0.5, 1.0, 0.18)])).verdict == INCONCLUSIVE
