"""Claim 2, relu-vs-tanh: a tiny run on the MNIST stand-in and on a fabricated CIFAR-10 folder,
and the steps-ratio rule on fabricated counts."""
import numpy as np

from graphgrad.claims import get_claim
from graphgrad.claims.base import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE
from graphgrad.claims.experiments.relu_vs_tanh import TARGET_CIFAR, TARGET_MNIST

from .claim_checks import run_tiny

CLAIM = get_claim("relu-vs-tanh")


def test_tiny_run_on_the_mnist_stand_in(tmp_path):
    metrics, _ = run_tiny("relu-vs-tanh", tmp_path)
    assert metrics["dataset"] == "MNIST (stand-in)" and metrics["target_error"] == TARGET_MNIST
    run = metrics["runs"]["relu"][0]
    assert run["probe_steps"][0] == 0 and len(run["probe_steps"]) == len(run["probe_error"])


def test_tiny_run_on_cifar10_when_the_data_has_it(tmp_path):
    folder = tmp_path / "data" / "cifar-10-batches-bin"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        records = rng.integers(0, 256, size=(60, 1 + 3072), dtype=np.uint8)
        records[:, 0] = np.arange(60) % 10
        (folder / name).write_bytes(records.tobytes())
    out = tmp_path / "claim"
    out.mkdir()
    metrics, _ = run_tiny("relu-vs-tanh", out, data=str(tmp_path / "data"))
    assert metrics["dataset"] == "CIFAR-10" and metrics["target_error"] == TARGET_CIFAR
    assert "300 training" in metrics["data"]


def fabricated(relu, tanh, budget=500):
    runs = lambda steps: [{"steps_to_target": s} for s in steps]  # noqa: E731
    return {"target_error": 0.03, "budget_steps": budget,
            "runs": {"relu": runs(relu), "tanh": runs(tanh)}}


def test_six_times_faster_holds_robustly():
    v = CLAIM.judge(fabricated([50, 60, 55], [300, 360, 330]))
    assert v.verdict == HOLDS and v.robust


def test_a_tanh_run_that_never_got_there_is_a_bound():
    assert CLAIM.judge(fabricated([50, 60, 55], [300, None, 330])).verdict == HOLDS
    # tanh not there after 500 steps, relu needed 400: the ratio is at least 1.25, undecided
    assert CLAIM.judge(fabricated([400, 300], [None, 450])).verdict == INCONCLUSIVE
    # a bound that is enough: the geometric mean of >= 1.25, 5 and 6 is over 2 whatever tanh does
    assert CLAIM.judge(fabricated([400, 60, 55], [None, 300, 330])).verdict == HOLDS
    assert CLAIM.judge(fabricated([None], [None])).verdict == INCONCLUSIVE


def test_the_rule_can_fail():
    v = CLAIM.judge(fabricated([230, 160, 220], [320, 330, 370]))
    assert v.verdict == DOES_NOT_HOLD and "1.6" in v.why
    assert CLAIM.judge(fabricated([None, 60, 55], [300, 300, 300])).verdict == DOES_NOT_HOLD
