"""SST-2 and sentence-polarity readers, datasets and padding helpers."""
import os

import numpy as np
import pytest

import graphgrad
from graphgrad.text import (BucketBatchSampler, PadCollate, SentimentDataset, pad_sequences,
                            read_polarity, read_sst2)
from graphgrad.utils.data import DataLoader

SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "rt-polarity")


def test_sst2(tmp_path):
    p = tmp_path / "train.tsv"
    p.write_text("sentence\tlabel\nhide new secretions \t0\ngood , even great \t1\n\n",
                 encoding="utf-8")
    sentences, labels = read_sst2(str(p))
    assert sentences == ["hide new secretions ", "good , even great "] and labels == [0, 1]
    p.write_text("sentence\tlabel\nno label here\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2: 1 tab-separated columns, expected 2"):
        read_sst2(str(p))
    p.write_text("text\tlabel\nx\t1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="must name the 'sentence' and 'label'"):
        read_sst2(str(p))


def test_polarity_latin1(tmp_path):
    (tmp_path / "r.pos").write_bytes("un film tr\xe8s beau\nsuperb\n".encode("latin-1"))
    (tmp_path / "r.neg").write_bytes(b"dull\n")
    sentences, labels = read_polarity(str(tmp_path))
    assert sentences == ["un film très beau", "superb", "dull"] and labels == [1, 1, 0]
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="one .pos and one .neg"):
        read_polarity(str(tmp_path / "empty"))


@pytest.mark.skipif(not os.path.isdir(SHARED), reason="../shared/data/rt-polarity not present")
def test_real_polarity():
    sentences, labels = read_polarity(SHARED)
    assert len(sentences) == 10662 and sum(labels) == 5331


def test_dataset_padding_and_collate():
    ds = SentimentDataset(["a good film", "bad", "a very very good film"], [1, 0, 1])
    ids, label = ds[0]
    assert ids.dtype == np.int64 and label == 1
    assert ds.vocab.lookup_tokens(ids) == ["a", "good", "film"]
    test = SentimentDataset(["unknown film"], [0], vocab=ds.vocab)
    assert test.vocab.lookup_tokens(test[0][0]) == ["<unk>", "film"]
    padded, lengths = pad_sequences([[1, 2, 3], [4]], padding_value=0)
    assert padded.tolist() == [[1, 2, 3], [4, 0, 0]] and lengths.tolist() == [3, 1]
    assert pad_sequences([[1, 2, 3], [4]], batch_first=False)[0].shape == (3, 2)
    x, n, y = next(iter(DataLoader(ds, batch_size=3, collate_fn=PadCollate(sort=True))))
    assert x.shape == (3, 5) and n.tolist() == [5, 3, 1] and y.tolist() == [1, 1, 0]
    assert isinstance(x, graphgrad.Tensor) and x.numpy()[2, 1:].tolist() == [0] * 4


def test_bucket_batch_sampler_groups_lengths():
    lengths = np.random.default_rng(0).integers(1, 100, 400)
    s = BucketBatchSampler(lengths, batch_size=16, pool=5)
    batches = list(s)
    assert len(batches) == len(s)
    assert sorted(i for b in batches for i in b) == list(range(400))
    spread = np.mean([np.ptp(lengths[b]) for b in batches])
    assert spread < 30  # random batches would spread over ~90
