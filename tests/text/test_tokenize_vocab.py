"""Tokenisers and Vocab: round trips, build rules, files and their errors."""
import pytest

from graphgrad.text import (SPECIALS, Vocab, build_vocab_from_iterator, char_tokenize,
                            get_tokenizer, word_tokenize)


def test_tokenizers():
    assert word_tokenize("Don't panic, Bob!  It's 42.") == ["don't", "panic", ",", "bob", "!",
                                                            "it's", "42", "."]
    text = "Hi,\nthere é"
    assert "".join(char_tokenize(text)) == text
    assert get_tokenizer("basic_english") is word_tokenize
    assert get_tokenizer(None)("a  b") == ["a", "b"]
    with pytest.raises(ValueError, match="unknown tokenizer 'spacy'"):
        get_tokenizer("spacy")


def test_build_min_freq_max_size_specials():
    corpus = [["b", "a", "c", "a"], ["b", "a", "d", "<unk>"]]
    v = Vocab.build(corpus)
    assert v.get_itos()[:4] == list(SPECIALS)
    assert v.get_itos()[4:] == ["a", "b", "c", "d"]  # by count, ties alphabetical
    assert v["zzz"] == v["<unk>"] == 1 and v["a"] == 4
    assert Vocab.build(corpus, min_freq=2).get_itos()[4:] == ["a", "b"]
    assert len(Vocab.build(corpus, max_size=5)) == 5
    # without specials, '<unk>' in the text is an ordinary token
    assert Vocab.build(corpus, specials=(), default_token=None).get_itos() == [
        "a", "b", "<unk>", "c", "d"]
    with pytest.raises(KeyError, match="default index is not set"):
        build_vocab_from_iterator(corpus)["zzz"]


def test_lookups_round_trip():
    v = Vocab.build([word_tokenize("the cat sat on the mat")])
    ids = v.lookup_indices(["the", "cat", "unseen"])
    assert v.lookup_tokens(ids) == ["the", "cat", "<unk>"]
    assert v(["mat"]) == [v["mat"]] and "mat" in v and "dog" not in v
    with pytest.raises(IndexError, match="out of range"):
        v.lookup_token(100)


def test_save_load_round_trip_with_odd_tokens(tmp_path):
    v = Vocab.build([char_tokenize("a\nb\\c\r d")])
    path = tmp_path / "vocab.txt"
    v.save(str(path))
    w = Vocab.load(str(path))
    assert w == v and w["\n"] == v["\n"] and w.get_default_index() == v["<unk>"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_load_duplicates_is_a_clear_error(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("<unk>\nthe\ncat\nthe\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 4: token 'the' duplicates line 2"):
        Vocab.load(str(path))


def test_append_duplicate_token():
    v = Vocab(["a"])
    with pytest.raises(ValueError, match="already exists at index 0"):
        v.append_token("a")
