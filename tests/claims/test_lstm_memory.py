"""Claim 6 (lstm-memory): the recall task is built as stated, a tiny run writes JSON-able metrics
and a plot, and the rule can fail: fabricated accuracies where the vanilla RNN keeps up, or the
LSTM does not learn, are not "holds"."""
import json
import os

import numpy as np

from graphgrad.claims import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Settings, get_claim
from graphgrad.claims.experiments.lstm_memory import CUE, RECALL, VOCAB, make_batch

CLAIM = get_claim("lstm-memory")


def test_recall_sequences_hold_the_target_delay_steps_before_the_cue():
    x, y, delays = make_batch(np.random.default_rng(0), 50, 12)
    assert x.shape == (13, 50, VOCAB) and x.sum(axis=2).min() == 1
    symbols = x.argmax(axis=2)
    assert (symbols[-1] == CUE).all()
    for i in range(50):
        recall_steps = np.flatnonzero(symbols[:, i] < RECALL)
        assert list(recall_steps) == [12 - delays[i]] and symbols[recall_steps[0], i] == y[i]


def test_tiny_run_gives_metrics_verdict_and_plot(tmp_path):
    metrics = CLAIM.run(Settings("tiny", 0, None, str(tmp_path)))
    assert json.loads(json.dumps(metrics)) == metrics
    assert len(metrics["runs"][0]["lstm"]["accuracy_by_delay"]) == metrics["max_delay"]
    assert CLAIM.judge(metrics).verdict in (HOLDS, DOES_NOT_HOLD, INCONCLUSIVE)
    CLAIM.plot(metrics, str(tmp_path / "plot.png"))
    assert os.path.getsize(tmp_path / "plot.png") > 1000


def _metrics(*seeds):
    """One run per (LSTM, RNN) accuracy, the same at every delay."""
    runs = [{"seed": i, "lstm": {"accuracy_by_delay": [a] * 9}, "rnn": {"accuracy_by_delay": [b] * 9}}
            for i, (a, b) in enumerate(seeds)]
    return {"max_delay": 9, "chance": 0.25, "steps": 10, "runs": runs}


def test_rule_holds_on_clear_evidence_and_can_fail():
    v = CLAIM.judge(_metrics((1.0, 0.3), (0.95, 0.4)))
    assert v.verdict == HOLDS and v.robust
    assert not CLAIM.judge(_metrics((1.0, 0.3))).robust
    v = CLAIM.judge(_metrics((1.0, 0.3), (0.82, 0.5)))  # holds, but the second seed is near the bounds
    assert v.verdict == HOLDS and not v.robust
    assert CLAIM.judge(_metrics((1.0, 0.9), (1.0, 1.0))).verdict == DOES_NOT_HOLD  # the RNN keeps up
    assert CLAIM.judge(_metrics((0.5, 0.25), (0.4, 0.25))).verdict == DOES_NOT_HOLD  # the LSTM fails too
    assert CLAIM.judge(_metrics((1.0, 0.3), (1.0, 1.0))).verdict == INCONCLUSIVE
