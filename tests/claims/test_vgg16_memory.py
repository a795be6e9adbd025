"""Claim 10 (vgg16-memory): a tiny run (VGG-16's convolutional part at 32x32, each forward traced
in its own process) writes JSON-able metrics, a verdict and a plot; fabricated metrics show the
rule says "holds" only when all three parts agree with the lectures."""
import copy
import json

import pytest

from graphgrad.claims import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Settings, get_claim
from graphgrad.claims.experiments.vgg16_memory import per_image_mb

CLAIM = get_claim("vgg16-memory")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    metrics = CLAIM.run(Settings("tiny", 0, None, str(tmp_path_factory.mktemp("vgg"))))
    assert json.loads(json.dumps(metrics, allow_nan=False)) == metrics
    return metrics


def _fake(metrics, params, table, every, slope_mb):
    """``metrics`` with these counts and a batch-8 peak ``slope_mb`` x 7 above batch 1's."""
    fake = copy.deepcopy(metrics)
    fake.update(parameters=params, activations_table=table, activations_every_layer=every)
    for f in fake["forwards"]:
        f["peak_mb"] = 300.0 + (f["batch"] - 1) * (slope_mb if f["grad"] else 15.0)
    return fake


def test_tiny_run_judge_and_plot(tiny, tmp_path):
    assert {(f["batch"], f["grad"]) for f in tiny["forwards"]} == {(1, False), (8, False), (1, True),
                                                                 (8, True)}
    # a forward that keeps its graph needs more memory per image than one without
    assert per_image_mb(tiny, True) > per_image_mb(tiny, False) > 0
    assert tiny["activations_every_layer"] > tiny["activations_table"] > tiny["input_values"]
    assert CLAIM.judge(tiny).verdict in (HOLDS, DOES_NOT_HOLD, INCONCLUSIVE)
    CLAIM.plot(tiny, str(tmp_path / "vgg.png"))
    assert (tmp_path / "vgg.png").read_bytes()[:4] == b"\x89PNG"


def test_rule_can_fail(tiny):
    as_lectures = CLAIM.judge(_fake(tiny, 138_357_544, 24.0e6, 30e6, 100.0))
    assert as_lectures.verdict == HOLDS and as_lectures.robust
    assert CLAIM.judge(_fake(tiny, 130_000_000, 24.0e6, 30e6, 100.0)).verdict == DOES_NOT_HOLD
    assert CLAIM.judge(_fake(tiny, 138_357_544, 15.2e6, 28.8e6, 77.0)).verdict == DOES_NOT_HOLD
    outside = CLAIM.judge(_fake(tiny, 138_357_544, 24.0e6, 30e6, 300.0))  # memory beyond every count
    assert outside.verdict == INCONCLUSIVE
