"""The classifier-based sample-quality score: confident fraction, class histogram and its entropy,
on a classifier whose answers are known; the fallback classifier trains and leaves the random state
as it was."""
import math

import numpy as np
import pytest

import graphgrad as gg
from graphgrad import nn
from graphgrad.train import random_state
from graphgrad.train.sample_quality import (format_quality, mnist_digits, sample_quality,
                                            train_digit_classifier)


class _ByBrightness(nn.Module):
    """Predicts class = round(9 * top-left pixel), with logit margin set by the second pixel."""

    def forward(self, x):
        a = x.detach().numpy()
        pixel = a[:, 0, 0, 0] * 0.3081 + 0.1307  # undo the MNIST normalisation
        margin = a[:, 0, 0, 1] * 0.3081 + 0.1307
        logits = np.zeros((len(a), 10), dtype=np.float32)
        logits[np.arange(len(a)), np.round(9 * pixel).astype(int)] = 20 * margin
        return gg.tensor(logits)


def _images(classes, margins):
    x = np.zeros((len(classes), 1, 28, 28), dtype=np.float32)
    x[:, 0, 0, 0] = np.asarray(classes) / 9
    x[:, 0, 0, 1] = margins
    return x


def test_score_counts_confident_samples_and_classes():
    # margin 1 -> logit 20: confidence ~1; margin 0 -> uniform 0.1
    x = _images([0, 1, 1, 2, 3, 3], [1, 1, 1, 1, 1, 0])
    score = sample_quality(_ByBrightness(), x)
    assert score["n"] == 6
    assert score["confident_fraction"] == pytest.approx(5 / 6)
    assert score["histogram"] == [1, 2, 1, 1, 0, 0, 0, 0, 0, 0]
    assert score["classes_present"] == 4 and not score["all_classes"]
    share = np.array([1, 2, 1, 1]) / 5
    assert score["entropy"] == pytest.approx(float(-(share * np.log(share)).sum()))
    assert score["max_entropy"] == pytest.approx(math.log(10))
    assert "83.3% of 6 samples" in format_quality(score) and "4/10 digits" in format_quality(score)


def test_all_ten_classes_give_the_maximum_entropy():
    score = sample_quality(_ByBrightness(), _images(list(range(10)) * 3, [1] * 30))
    assert score["all_classes"] and score["entropy"] == pytest.approx(math.log(10))


def test_score_rejects_bad_input():
    with pytest.raises(ValueError, match="threshold"):
        sample_quality(_ByBrightness(), _images([1], [1]), threshold=0)
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        sample_quality(_ByBrightness(), np.zeros((2, 28)))


def test_fallback_classifier_trains_and_keeps_the_random_state():
    before = random_state.capture()
    model, accuracy = train_digit_classifier(epochs=2, limit=512)
    assert random_state.capture() == before
    assert not model.training
    assert accuracy > 0.3  # 512 digits, two epochs: far above chance already
    x, _ = mnist_digits(train=False)
    assert sample_quality(model, x[:100])["n"] == 100
