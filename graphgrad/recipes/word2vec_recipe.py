"""Recipe ``word2vec``: skip-gram and CBOW word vectors with negative sampling (Mikolov et al.
2013) on the embedded Python documentation (or ``--data FILE``), with nearest neighbours,
analogy queries and a 2-D map of selected words. ``graphgrad neighbors RUN_DIR WORD`` queries a
finished run; each model's vectors are also written in word2vec text format (``vectors.txt``),
readable by ``graphgrad.text.load_word_vectors``."""
from __future__ import annotations

import os

import numpy as np

from .. import backend, load, manual_seed, optim
from ..autograd.tensor import Tensor
from ..models.word2vec import CBOW, SkipGram, analogy, nearest_neighbors, unigram_table
from ..train import Loop, LossStep, RunDir, atomic_write_text
from ..utils.data import DataLoader, Dataset
from ..viz._figure import pyplot, save_figure
from .common import save_json, start_run, sub_run, write_report
from .registry import RecipeError, register, user_file
from .sequence import read_text

DEFAULTS = {
    "data": None, "corpus": "python-docs", "models": ["skipgram", "cbow"], "embedding_dim": 64,
    "window": 4, "negatives": 5, "min_freq": 5, "max_vocab": 8000, "subsample": 1e-3,
    "epochs": 3, "batch_size": 512, "lr": 5e-3, "cbow_lr": 0.03, "seed": 0,
    "query": ["list", "string", "integer", "function", "class", "exception", "file", "true"],
    "analogies": ["list lists tuple tuples", "class classes function functions",
                  "method methods object objects", "true false yes no",
                  "key keys value values", "argument arguments module modules",
                  "read reading write writing", "int integer str string"],
}
MODELS = {"skipgram": SkipGram, "cbow": CBOW}


def corpus_ids(text: str, min_freq: int, max_vocab: int | None):
    """Words (tokens starting with a letter) -> (Vocab with '<pad>' at 0, id stream, counts)."""
    from ..text import Vocab, word_tokenize

    words = [w for w in word_tokenize(text) if w[0].isalpha()]
    vocab = Vocab.build([words], min_freq=min_freq, max_size=max_vocab, specials=("<pad>",),
                        default_token=None)
    if len(vocab) < 6:
        raise RecipeError(f"only {len(vocab) - 1} words occur at least {min_freq} times; use more "
                          "text or a lower min_freq")
    stoi = vocab.get_stoi()
    ids = np.asarray([stoi[w] for w in words if w in stoi], dtype=np.int64)
    counts = np.bincount(ids, minlength=len(vocab)).astype(np.float64)
    return vocab, ids, counts


def subsample(ids: np.ndarray, counts: np.ndarray, t: float, rng) -> np.ndarray:
    """word2vec's frequent-word subsampling: keep a word of frequency f with probability
    (sqrt(f / t) + 1) t / f."""
    if not t:
        return ids
    f = counts[ids] / counts.sum()
    keep = (np.sqrt(f / t) + 1) * t / f
    return ids[rng.random(ids.size) < keep]


def skipgram_pairs(ids: np.ndarray, window: int, rng):
    """(center, context) pairs within a window shrunk at random per centre (1..window)."""
    reach = rng.integers(1, window + 1, ids.size)
    centers, contexts = [], []
    for o in range(1, window + 1):
        i = np.arange(ids.size - o)
        left = reach[i] >= o                  # centre i sees i + o
        right = reach[i + o] >= o             # centre i + o sees i
        centers += [ids[i[left]], ids[i[right] + o]]
        contexts += [ids[i[left] + o], ids[i[right]]]
    return np.concatenate(centers), np.concatenate(contexts)


def cbow_windows(ids: np.ndarray, window: int, rng):
    """(context (N, 2 * window) padded with 0, centre (N,)) with per-centre random reach."""
    n = ids.size
    reach = rng.integers(1, window + 1, n)
    offsets = np.concatenate([np.arange(-window, 0), np.arange(1, window + 1)])
    pos = np.arange(n)[:, None] + offsets[None, :]
    valid = (pos >= 0) & (pos < n) & (np.abs(offsets)[None, :] <= reach[:, None])
    context = np.where(valid, ids[np.clip(pos, 0, n - 1)], 0)
    return context, ids


class Examples(Dataset):
    def __init__(self, first: np.ndarray, second: np.ndarray):
        self.first, self.second = first, second

    def __len__(self):
        return len(self.second)

    def __getitem__(self, i):
        return self.first[i], self.second[i]


class NegativeCollate:
    """Stack a batch and draw ``k`` negatives per example from the unigram^0.75 table (from
    graphgrad's generator, so a seed fixes them and a resume replays them): a batch is
    ``(first (B,) or (B, 2 * window), second (B,), negatives (B, k))``."""

    def __init__(self, probs: np.ndarray, k: int):
        self.cdf, self.k = np.cumsum(probs), k

    def __call__(self, batch):
        first = np.stack([np.asarray(a) for a, _ in batch])
        second = np.asarray([b for _, b in batch], dtype=np.int64)
        u = backend.rng().random((len(batch), self.k))
        neg = np.minimum(np.searchsorted(self.cdf, u * self.cdf[-1]), len(self.cdf) - 1)
        return Tensor._make(first.astype(np.int64)), Tensor._make(second), Tensor._make(neg)


def negative_sampling_loss(model, batch):
    """The word2vec step's loss of (model, batch): the mean of the model's per-example loss."""
    return model(*batch).mean()


def _train_model(name, config, run_dir, vocab, ids, counts, resume, progress) -> dict:
    manual_seed(config["seed"])
    sub, sub_resume = sub_run(run_dir, name, config, resume)
    rng = np.random.default_rng(config["seed"])
    kept = subsample(ids, counts, config["subsample"], rng)
    if name == "skipgram":
        centers, contexts = skipgram_pairs(kept, config["window"], rng)
        data = Examples(centers, contexts)
    else:
        context, centers = cbow_windows(kept, config["window"], rng)
        data = Examples(context, centers)
    probs = unigram_table(counts)
    probs[0] = 0.0
    model = MODELS[name](len(vocab), config["embedding_dim"])
    loader = DataLoader(data, batch_size=config["batch_size"], shuffle=True,
                        collate_fn=NegativeCollate(probs / probs.sum(), config["negatives"]))
    # CBOW makes one example per word where skip-gram makes one per (word, context) pair, so it
    # takes ~2 * window times fewer steps per epoch: it gets a larger rate instead
    lr = config["cbow_lr"] if name == "cbow" else config["lr"]
    optimizer = optim.Adam(model.parameters(), lr=lr)
    scheduler = optim.lr_scheduler.LinearLR(optimizer, 1.0, 0.1, total_iters=config["epochs"])
    loop = Loop(LossStep(model, optimizer, negative_sampling_loss), schedulers=[scheduler],
                run_dir=sub, progress=progress)
    loop.fit(loader, epochs=config["epochs"], resume=sub_resume)
    vectors = model.vectors()
    write_vectors(sub.file("vectors.txt"), vocab, vectors)
    return {"vectors": vectors, "examples": len(data), "seconds": loop.elapsed,
            "final_loss": loop.history[-1]["train_loss"] if loop.history else None}


def write_vectors(path: str, vocab, vectors: np.ndarray) -> None:
    """word2vec text format: 'count dim', then 'word v1 ... vd' per word (padding left out)."""
    words = vocab.get_itos()[1:]
    rows = [f"{w} " + " ".join(f"{v:.5f}" for v in vec) for w, vec in zip(words, vectors[1:])]
    atomic_write_text(path, f"{len(words)} {vectors.shape[1]}\n" + "\n".join(rows) + "\n")


def parse_analogies(items, vocab):
    """'a b c d' strings -> (id tuples whose words are all known, skipped strings)."""
    known, skipped = [], []
    for item in items:
        words = item.split()
        if len(words) != 4:
            raise RecipeError(f"an analogy is 'a b c d' (a is to b as c is to d), got {item!r}")
        if all(w in vocab for w in words):
            known.append(tuple(vocab[w] for w in words))
        else:
            skipped.append(item)
    return known, skipped


@register("word2vec", "word2vec skip-gram and CBOW with negative sampling on the embedded Python "
          "docs (or --data FILE): neighbours, analogies, a 2-D map of words", DEFAULTS)
def run(config: dict, run_dir, resume: bool = False, progress: bool = True) -> dict:
    unknown = [m for m in config["models"] if m not in MODELS]
    if unknown or not config["models"]:
        raise RecipeError(f"models must be a list of skipgram and/or cbow, got {config['models']}")
    text, description = read_text(config)
    start_run(config, run_dir, resume, several=True)
    vocab, ids, counts = corpus_ids(text, config["min_freq"], config["max_vocab"])
    vocab.save(run_dir.file("vocab.txt"))
    print(f"run folder: {run_dir.path}\ndata: {description}; {ids.size:,} words, vocabulary "
          f"{len(vocab) - 1:,} (min_freq {config['min_freq']})", flush=True)
    results = {}
    for name in config["models"]:
        print(f"--- word2vec: {name} ---", flush=True)
        results[name] = _train_model(name, dict(config, recipe=f"word2vec/{name}"), run_dir, vocab,
                                     ids, counts, resume, progress)
    queries = [w for w in config["query"] if w in vocab]
    analogies, skipped = parse_analogies(config["analogies"], vocab)
    summary = {}
    lines = [f"- data: {description}; {ids.size:,} words, "
             f"vocabulary {len(vocab) - 1:,} (min_freq {config['min_freq']})",
             f"- {config['embedding_dim']}-d vectors, window {config['window']}, "
             f"{config['negatives']} negatives, {config['epochs']} epochs of batches of "
             f"{config['batch_size']}, Adam at {config['lr']} (CBOW {config['cbow_lr']})", ""]
    for name, r in results.items():
        summary[name], section = _evaluate_model(name, r, vocab, queries, analogies, run_dir)
        lines += section
    if skipped:
        lines += [f"Analogies left out (a word is not in the vocabulary): {', '.join(skipped)}", ""]
    lines += [f"Query a run with `graphgrad neighbors {run_dir.path} WORD`."]
    write_report(run_dir, "word2vec", lines)
    save_json(run_dir, "test_metrics.json", summary)
    print(f"report: {run_dir.file('report.md')}", flush=True)
    return summary


def _evaluate_model(name, r, vocab, queries, analogies, run_dir):
    """Neighbours of the query words, the analogies and a word map of model ``name``; returns
    (its summary, its section of the report)."""
    vec = r["vectors"]
    neighbours = {w: [(vocab.lookup_token(i), s) for i, s in
                      nearest_neighbors(vec, vocab[w], 5, exclude=(0,))] for w in queries}
    answers = [(q, analogy(vec, *q[:3], k=1, exclude=(0,))[0]) for q in analogies]
    correct = sum(int(a[0] == q[3]) for q, a in answers)
    summary = {"analogy_correct": correct, "analogies": len(answers),
               "final_loss": r["final_loss"], "train_time_s": r["seconds"]}
    lines = [f"## {name}", "", f"- {r['examples']:,} training examples per epoch, final "
             f"loss {r['final_loss']:.4f}, {r['seconds']:.0f} s",
             f"- **analogies: {correct} / {len(answers)} correct** (top-1, 3CosAdd)", "",
             "| word | nearest neighbours (cosine) |", "|---|---|"]
    lines += [f"| {w} | " + ", ".join(f"{n} ({s:.2f})" for n, s in nb) + " |"
              for w, nb in neighbours.items()]
    lines += ["", "| analogy | answer |", "|---|---|"]
    for q, a in answers:
        words = [vocab.lookup_token(i) for i in q]
        mark = "yes" if a[0] == q[3] else f"no ({words[3]})"
        lines.append(f"| {words[0]} : {words[1]} :: {words[2]} : ? | "
                     f"{vocab.lookup_token(a[0])} -- {mark} |")
    plot = os.path.join(run_dir.plots, f"words_{name}.png")
    plot_words(vec, vocab, queries, plot, f"{name}: query words and their neighbours")
    lines += ["", f"![{name} word map](plots/words_{name}.png)", ""]
    print(f"{name}: analogies {correct}/{len(answers)}; " + "; ".join(
        f"{w}: {', '.join(n for n, _ in nb[:3])}" for w, nb in list(neighbours.items())[:4]),
        flush=True)
    return summary, lines


def plot_words(vectors, vocab, queries, path: str, title: str, k: int = 4) -> None:
    """PCA map of each query word and its ``k`` nearest neighbours, one colour per query."""
    from ..viz.embedding import project_2d

    groups = []
    for q in queries:
        ids = [vocab[q]] + [i for i, _ in nearest_neighbors(vectors, vocab[q], k, exclude=(0,))]
        groups.append(ids)
    flat = [i for g in groups for i in g]
    if len(flat) < 3:
        return
    xy = project_2d(vectors[flat], "pca")
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 6))
    cmap = plt.get_cmap("tab10")
    at = 0
    for g_i, ids in enumerate(groups):
        pts = xy[at:at + len(ids)]
        ax.scatter(pts[:, 0], pts[:, 1], color=cmap(g_i % 10), s=18)
        for j, (i, (x, y)) in enumerate(zip(ids, pts)):
            ax.annotate(vocab.lookup_token(i), (x, y), fontsize=9 if j else 11,
                        fontweight="bold" if j == 0 else "normal", color=cmap(g_i % 10))
        at += len(ids)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    save_figure(fig, path)
    plt.close(fig)


def query_run(run_dir_path: str, words=(), analogy_words=None, k: int = 10,
              model: str | None = None) -> list[str]:
    """Lines answering ``graphgrad neighbors``: nearest neighbours of each word, and the analogy
    ``a b c`` (a is to b as c is to ?) when given."""
    from ..text import Vocab

    run_dir = RunDir(run_dir_path)
    config = run_dir.read_config()
    if config.get("recipe") != "word2vec":
        raise RecipeError(f"{run_dir_path}: neighbors needs a word2vec run, this one is "
                          f"{config.get('recipe')!r}")
    name = model or config["models"][0]
    sub = RunDir(os.path.join(run_dir.path, name))
    if name not in MODELS or not os.path.exists(sub.checkpoint):
        raise RecipeError(f"{run_dir_path}: no trained {name!r} model in this run (trained: "
                          f"{', '.join(config['models'])})")
    with user_file(run_dir.file("vocab.txt")):  # missing or damaged: one line, not a traceback
        vocab = Vocab.load(run_dir.file("vocab.txt"), default_token=None)
    state = load(sub.checkpoint)["model"]
    # (runs from before the one training loop kept the model under an adapter: "model." keys)
    weight = state["in_embed.weight"] if "in_embed.weight" in state else state["model.in_embed.weight"]
    vectors = np.asarray(weight.numpy())
    lines = []
    for word in words:
        if word not in vocab:
            raise RecipeError(f"{word!r} is not in the vocabulary of {len(vocab) - 1} words")
        lines.append(f"{word}: " + ", ".join(
            f"{vocab.lookup_token(i)} ({s:.3f})"
            for i, s in nearest_neighbors(vectors, vocab[word], k, exclude=(0,))))
    if analogy_words:
        a, b, c = analogy_words
        missing = [w for w in (a, b, c) if w not in vocab]
        if missing:
            raise RecipeError(f"not in the vocabulary: {', '.join(missing)}")
        found = analogy(vectors, vocab[a], vocab[b], vocab[c], k=min(k, 5), exclude=(0,))
        lines.append(f"{a} : {b} :: {c} : " + ", ".join(
            f"{vocab.lookup_token(i)} ({s:.3f})" for i, s in found))
    return lines
