"""Sentence-polarity recipes: ``sentiment-lstm`` (Embedding, bidirectional LSTM, Linear) and
``sentiment-cnn`` (Kim 2014), each trained with and without pre-trained GloVe vectors.

Data (``--data``): a folder with one ``.pos`` and one ``.neg`` file, one sentence per line (Pang &
Lee's sentence polarity, rt-polarity); an SST-2 TSV file (``sentence<TAB>label`` with a header);
or a GLUE SST-2 folder with ``train.tsv`` and ``dev.tsv``. The split is fixed: a permutation
drawn from ``numpy.random.default_rng(split_seed)`` (2005 by default) puts 80% of the sentences in
training, 10% in validation and 10% in test (for GLUE SST-2, ``dev.tsv`` is the test set and 10% of
``train.tsv`` is validation). The reported test accuracy is that of the epoch with the best
validation accuracy."""
from __future__ import annotations

import os

import numpy as np

from .. import load, manual_seed, nn, optim, save
from ..autograd.tensor import Tensor
from ..models.sentiment import SentimentRNN
from ..models.textcnn import TextCNN
from ..train import Callback, RunDir, Trainer
from ..viz._figure import pyplot, save_figure
from .common import finished, save_json, start_run, sub_run, write_report
from .registry import RecipeError, register, user_file

DATA_FORMATS = ("a folder with one .pos and one .neg file (one sentence per line), an SST-2 TSV "
                "file (header 'sentence<TAB>label'), or a GLUE SST-2 folder (train.tsv, dev.tsv)")

COMMON = {"data": None, "vectors": "glove-6b-50d", "compare": True, "freeze_embeddings": False,
          "embedding_dim": 50, "epochs": 8, "batch_size": 50, "lr": 2e-3, "weight_decay": 0.0,
          "clip_grad_norm": 5.0, "max_len": 60, "min_freq": 1, "seed": 0, "split_seed": 2005}
LSTM_DEFAULTS = dict(COMMON, cell="lstm", hidden_size=128, num_layers=1, bidirectional=True,
                     dropout=0.5)
CNN_DEFAULTS = dict(COMMON, widths=[3, 4, 5], num_filters=100, dropout=0.5, multichannel=False,
                    lr=1e-3)


# ----------------------------------------------------------------------- data
def load_sentences(path: str | None, seed: int = 2005):
    """-> ((train sentences, labels), (val ...), (test ...), description)."""
    if not path:
        raise RecipeError("this recipe needs sentence-polarity data: --data PATH to "
                          f"{DATA_FORMATS}")
    with user_file(f"--data {path}"):  # a file that is not UTF-8 or not in the expected format
        return _read_sentences(path, seed)


def _read_sentences(path: str, seed: int):
    from ..text import read_polarity, read_sst2

    if os.path.isdir(path):
        names = os.listdir(path)
        if "train.tsv" in names and "dev.tsv" in names:
            train = read_sst2(os.path.join(path, "train.tsv"))
            test = read_sst2(os.path.join(path, "dev.tsv"))
            tr, va = _split(len(train[0]), (0.9, 0.1), seed)
            return (_take(train, tr), _take(train, va), test,
                    f"SST-2 ({len(tr)} train / {len(va)} val / {len(test[0])} dev as test)")
        if any(n.endswith(".pos") for n in names):
            try:
                data = read_polarity(path)
            except FileNotFoundError as exc:
                raise RecipeError(str(exc)) from None
            kind = "sentence polarity"
        else:
            raise RecipeError(f"--data {path}: expected {DATA_FORMATS}")
    else:
        data = read_sst2(path)
        kind = "SST-2 TSV"
    n = len(data[0])
    if n < 20:
        raise RecipeError(f"--data {path}: only {n} labelled sentences; need at least 20")
    tr, va, te = _split(n, (0.8, 0.1, 0.1), seed)
    return (_take(data, tr), _take(data, va), _take(data, te),
            f"{kind}, {os.path.basename(os.path.normpath(path))} ({len(tr)} train / {len(va)} "
            f"val / {len(te)} test, fixed split)")


def _split(n: int, fractions, seed: int = 2005):
    order = np.random.default_rng(seed).permutation(n)
    cuts = np.cumsum([int(round(f * n)) for f in fractions[:-1]])
    return np.split(order, cuts)


def _take(data, idx):
    sentences, labels = data
    return [sentences[i] for i in idx], [labels[i] for i in idx]


class _Collate:
    """(ids, label) samples -> ((padded ids (B, T), lengths (B,)), labels (B,))."""

    def __init__(self, max_len: int):
        from ..text import PadCollate

        self.pad = PadCollate(padding_value=0, batch_first=True, max_len=max_len)

    def __call__(self, batch):
        padded, lengths, labels = self.pad(batch)
        return (padded, lengths), labels


def load_vectors(spec: str | None):
    """(Vocab, matrix, description) for ``vectors``: 'glove-6b-50d', a GloVe/word2vec text file,
    or None/'none'."""
    from ..text import load_glove_6b_50d, load_word_vectors

    if spec in (None, "none", False):
        return None
    if spec == "glove-6b-50d":
        try:
            vocab, matrix = load_glove_6b_50d()
        except ModuleNotFoundError as exc:
            raise RecipeError(f"{exc} (or --set vectors=none, or a GloVe text file)") from None
        return vocab, matrix, "GloVe 6B 50-d"
    if not os.path.isfile(spec):
        raise RecipeError(f"vectors {spec!r}: expected 'glove-6b-50d', 'none' or a GloVe/word2vec "
                          "text file")
    with user_file(f"vectors {spec}"):
        vocab, matrix = load_word_vectors(spec)
    return vocab, matrix, f"{os.path.basename(spec)} ({matrix.shape[1]}-d)"


class KeepBest(Callback):
    """Save the model to ``path`` whenever validation accuracy improves (the file outlives a
    resume)."""

    def __init__(self, path: str):
        self.path, self.best, self.epoch = path, -1.0, 0

    def on_epoch_end(self, trainer, row):
        if row.get("val_acc", -1.0) > self.best:
            self.best, self.epoch = row["val_acc"], row["epoch"]
            save(trainer.model.state_dict(), self.path)

    def state_dict(self):
        return {"best": self.best, "epoch": self.epoch}

    def load_state_dict(self, state):
        self.best, self.epoch = float(state["best"]), int(state["epoch"])


# ----------------------------------------------------------------------- runs
def _build(config: dict, vocab_size: int, embeddings):
    if config["kind"] == "cnn":
        return TextCNN(vocab_size, config["embedding_dim"], config["widths"],
                       config["num_filters"], config["dropout"], 2, embeddings,
                       config["freeze_embeddings"],
                       config["multichannel"] and embeddings is not None)
    return SentimentRNN(vocab_size, config["embedding_dim"], config["hidden_size"],
                        config["num_layers"], config["cell"], config["bidirectional"],
                        config["dropout"], 2, embeddings, config["freeze_embeddings"])


def _train_variant(config, run_dir, name: str, data, vectors, resume, progress) -> dict:
    from ..text import SentimentDataset, embedding_matrix
    from ..utils.data import DataLoader

    done = finished(RunDir(os.path.join(run_dir.path, name))) if resume else None
    if done is not None:
        return done
    manual_seed(config["seed"])
    sub, sub_resume = sub_run(run_dir, name, config, resume)
    (tr_s, tr_y), (va_s, va_y), (te_s, te_y) = data
    train = SentimentDataset(tr_s, tr_y, min_freq=config["min_freq"], max_len=config["max_len"])
    vocab = train.vocab
    val = SentimentDataset(va_s, va_y, vocab=vocab, max_len=config["max_len"])
    test = SentimentDataset(te_s, te_y, vocab=vocab, max_len=config["max_len"])
    embeddings, oov = None, []
    if vectors is not None:
        embeddings, oov = embedding_matrix(vocab, vectors[0], vectors[1], padding_idx=0)
        embeddings = Tensor._make(embeddings)
    model = _build(config, len(vocab), embeddings)
    collate = _Collate(config["max_len"])
    train_loader = DataLoader(train, batch_size=config["batch_size"], shuffle=True,
                              collate_fn=collate)
    val_loader = DataLoader(val, batch_size=256, collate_fn=collate)
    test_loader = DataLoader(test, batch_size=256, collate_fn=collate)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = optim.Adam(params, lr=config["lr"], weight_decay=config["weight_decay"])
    best = KeepBest(sub.file("best.npz"))
    trainer = Trainer(model, nn.CrossEntropyLoss(), optimizer,
                      clip_grad_norm=config["clip_grad_norm"],
                      callbacks=[best], run_dir=sub, progress=progress, topk=(1,))
    trainer.fit(train_loader, val_loader, epochs=config["epochs"], resume=sub_resume)
    if os.path.exists(best.path):
        model.load_state_dict(load(best.path))
    result = trainer.evaluate(test_loader, num_classes=2)
    out = {"test_accuracy": result["accuracy"], "test_loss": result["loss"],
           "best_epoch": best.epoch, "best_val_acc": best.best, "vocab_size": len(vocab),
           "oov": len(oov), "parameters": sum(p.numel() for p in model.parameters()),
           "train_time_s": trainer.elapsed, "history": trainer.history}
    save_json(sub, "test_metrics.json", out)
    return out


def run_sentiment(config: dict, run_dir, resume: bool = False, progress: bool = True) -> dict:
    data = load_sentences(config.get("data"), config["split_seed"])
    *splits, description = data
    start_run(config, run_dir, resume, several=True)
    print(f"run folder: {run_dir.path}\ndata: {description}", flush=True)
    vectors = load_vectors(config["vectors"])
    variants = []
    if vectors is None or config["compare"]:
        variants.append(("random", None))
    if vectors is not None:
        variants.append(("pretrained", vectors))
    results = {}
    for name, vec in variants:
        label = "random init" if vec is None else vec[2]
        print(f"--- {config['recipe']}: embeddings from {label} ---", flush=True)
        sub_config = dict(config, recipe=f"{config['recipe']}/{name}")
        results[name] = r = _train_variant(sub_config, run_dir, name, splits, vec, resume, progress)
        r["label"] = label
        print(f"{label}: test accuracy {r['test_accuracy']:.4f} (best validation epoch "
              f"{r['best_epoch']})", flush=True)
    _report(config, run_dir, results, description)
    return {name: {k: v for k, v in r.items() if k != "history"} for name, r in results.items()}


def _report(config, run_dir, results, description) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, r in results.items():
        ax.plot([h["epoch"] for h in r["history"]], [h["val_acc"] for h in r["history"]],
                marker="o", label=f"{r['label']} (validation)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.set_title(f"{config['recipe']}: validation accuracy")
    ax.legend()
    ax.grid(alpha=0.3)
    plot = os.path.join(run_dir.plots, "val_accuracy.png")
    save_figure(fig, plot)
    plt.close(fig)
    model = "Kim (2014) CNN, widths " + ", ".join(map(str, config.get("widths", []))) \
        if config["kind"] == "cnn" else \
        f"{'bidirectional ' if config['bidirectional'] else ''}{config['cell'].upper()} " \
        f"{config['num_layers']} x {config['hidden_size']}"
    lines = [f"- model: {model}",
             f"- data: {description}",
             f"- {config['epochs']} epochs, Adam lr {config['lr']}, batch {config['batch_size']}; "
             "test accuracy at the best validation epoch", "",
             "| embeddings | test accuracy | best val acc (epoch) | vocabulary (not in vectors) "
             "| parameters | seconds |", "|---|---|---|---|---|---|"]
    for r in results.values():
        lines.append(f"| {r['label']} | **{100 * r['test_accuracy']:.2f}%** | "
                     f"{100 * r['best_val_acc']:.2f}% ({r['best_epoch']}) | {r['vocab_size']:,}"
                     f"{'' if r['label'] == 'random init' else ' (%d)' % r['oov']} | "
                     f"{r['parameters']:,} | {r['train_time_s']:.0f} |")
    lines += ["", "![validation accuracy](plots/val_accuracy.png)", "",
              "Each variant's run folder (metrics, checkpoint) is a subfolder."]
    write_report(run_dir, config["recipe"], lines)
    print(f"report: {run_dir.file('report.md')}", flush=True)


@register("sentiment-lstm", "bidirectional LSTM sentence-polarity classifier, with and without "
          "pre-trained GloVe vectors; needs --data (rt-polarity .pos/.neg or SST-2)",
          dict(LSTM_DEFAULTS, kind="lstm"))
def run_sentiment_lstm(config, run_dir, resume=False, progress=True):
    return run_sentiment(config, run_dir, resume, progress)


@register("sentiment-cnn", "Kim (2014) text CNN (widths 3, 4, 5, max-over-time pooling, dropout), "
          "with and without GloVe vectors; needs --data (rt-polarity or SST-2)",
          dict(CNN_DEFAULTS, kind="cnn"))
def run_sentiment_cnn(config, run_dir, resume=False, progress=True):
    return run_sentiment(config, run_dir, resume, progress)
