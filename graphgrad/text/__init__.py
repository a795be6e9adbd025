"""Layer 7, text: tokenisers, ``Vocab``, language-model batching, sentiment readers, word vectors
and embedded corpora (CPython's own documentation and source)."""
from .corpus import load_corpus, python_docs_text, python_source_text
from .lm_batching import BPTTIterator, LMWindowDataset, batchify, get_batch, random_windows
from .sentiment import (BucketBatchSampler, PadCollate, SentimentDataset, pad_sequences,
                        read_polarity, read_sst2)
from .tokenize import char_tokenize, get_tokenizer, word_tokenize
from .vectors import (embedding_from_pretrained, embedding_matrix, load_glove_6b_50d,
                      load_word_vectors)
from .vocab import SPECIALS, Vocab, build_vocab_from_iterator

__all__ = ["char_tokenize", "word_tokenize", "get_tokenizer", "Vocab", "SPECIALS",
           "build_vocab_from_iterator", "batchify", "get_batch", "BPTTIterator", "random_windows",
           "LMWindowDataset", "read_sst2", "read_polarity", "SentimentDataset", "pad_sequences",
           "PadCollate", "BucketBatchSampler", "load_word_vectors", "load_glove_6b_50d",
           "embedding_matrix", "embedding_from_pretrained", "python_docs_text",
           "python_source_text", "load_corpus"]
