"""Word vectors (GloVe / word2vec text, the GloVe 6B package) and the embedded corpora."""
import gzip

import numpy as np
import pytest

import graphgrad
from graphgrad.text import (Vocab, embedding_from_pretrained, embedding_matrix, load_corpus,
                            load_glove_6b_50d, load_word_vectors, python_docs_text,
                            python_source_text)

GLOVE = "the 0.1 0.2 0.3\n, -1 0 1\ncat 0.5 0.5 0.5\n"


@pytest.mark.parametrize("fmt", ["glove", "word2vec", "gz"])
def test_read_formats(tmp_path, fmt):
    text = GLOVE if fmt != "word2vec" else "3 3\n" + GLOVE
    path = tmp_path / ("v.txt.gz" if fmt == "gz" else "v.txt")
    if fmt == "gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    vocab, m = load_word_vectors(str(path))
    assert vocab.get_itos() == ["the", ",", "cat"] and m.dtype == np.float32
    assert np.allclose(m[1], [-1, 0, 1])
    assert len(load_word_vectors(str(path), max_vectors=2)[0]) == 2


def test_bad_vector_files(tmp_path):
    p = tmp_path / "v.txt"
    p.write_text("a 1 2 3\nb 1 2\n")
    with pytest.raises(ValueError, match="line 2: expected a word and 3 numbers, got 2"):
        load_word_vectors(str(p))
    p.write_text("a 1 2 3\nb 1 x 3\n")
    with pytest.raises(ValueError, match="vector of 'b' has a value that is not a number"):
        load_word_vectors(str(p))
    g = tmp_path / "v.txt.gz"
    g.write_bytes(gzip.compress(GLOVE.encode())[:20])
    with pytest.raises(ValueError, match="cannot read the vectors"):
        load_word_vectors(str(g))


def test_embedding_from_pretrained_counts_oov(tmp_path):
    p = tmp_path / "v.txt"
    p.write_text(GLOVE)
    vv, m = load_word_vectors(str(p))
    vocab = Vocab(["<pad>", "<unk>", "The", "cat", "dog"])
    weight, oov = embedding_matrix(vocab, vv, m, padding_idx=0)
    assert oov == ["<unk>", "dog"]
    assert np.allclose(weight[2], m[0]) and np.allclose(weight[3], m[2])  # "The" -> "the"
    assert np.all(weight[0] == 0)
    emb, oov = embedding_from_pretrained(vocab, vv, m, padding_idx=0)
    assert len(oov) == 2 and emb.weight.shape == (5, 3) and not emb.weight.requires_grad
    out = emb(graphgrad.tensor([[3, 0]]))
    assert out.shape == (1, 2, 3) and np.allclose(out.detach().numpy()[0, 0], m[2])
    zeros, _ = embedding_matrix(vocab, vv, m, init="zeros")
    assert np.all(zeros[4] == 0)


def test_glove_6b_package():
    try:
        vocab, m = load_glove_6b_50d(max_vectors=1000)
    except ModuleNotFoundError:
        pytest.skip("graphgrad[glove] not installed")
    assert m.shape == (1000, 50) and vocab.lookup_token(0) == "the"


def test_embedded_corpora():
    docs = python_docs_text()
    assert len(docs) > 100_000 and 'The "assert" statement' in docs
    assert load_corpus("python-docs") is docs
    src = python_source_text(max_chars=50_000, packages=["json"])
    assert len(src) <= 50_000 and "def dumps(" in src
    with pytest.raises(ValueError, match="unknown corpus"):
        load_corpus("wikipedia")
