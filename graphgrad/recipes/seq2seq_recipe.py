"""Recipe ``seq2seq``: an LSTM encoder-decoder learns to rewrite dates written in many human formats
("tuesday, march 5, 1998", "5 mar 1998", "05.03.1998", ...) as ISO dates ("1998-03-05"),
character by character. The task is generated in code (a seeded draw of dates and formats), so it
needs no files. Variants trained with identical settings: plain, reversed input (Sutskever et al.
2014), Luong and Bahdanau attention; each is scored by exact match with greedy decoding and with
beam search on held-out dates."""
from __future__ import annotations

import datetime
import os

import numpy as np

from .. import manual_seed, nn, optim
from ..autograd.tensor import Tensor
from ..models.seq2seq import Seq2Seq
from ..train import Callback, Loop, LossStep, RunDir
from ..utils.data import DataLoader, Dataset
from ..viz._figure import pyplot, save_figure
from .common import finished, save_json, start_run, sub_run, write_report
from .registry import RecipeError, register

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
VARIANTS = {"plain": {}, "reversed": {"reverse_input": True}, "luong": {"attention": "luong"},
            "bahdanau": {"attention": "bahdanau"}}


def format_date(d: datetime.date, style: int) -> str:
    """One of 8 human formats (day before month wherever digits alone are used)."""
    month, day = MONTHS[d.month - 1], DAYS[d.weekday()]
    return [f"{d.day} {month} {d.year}", f"{month} {d.day}, {d.year}",
            f"{d.day} {month[:3]} {d.year}", f"{d.day:02d}.{d.month:02d}.{d.year}",
            f"{day}, {month} {d.day}, {d.year}", f"{day[:3]} {d.day} {month[:3]} {d.year}",
            f"{d.day}/{d.month}/{d.year}", f"{month[:3]} {d.day:02d} {d.year}"][style]


def make_dates(n: int, seed: int) -> list[tuple[str, str]]:
    """``n`` (human, ISO) pairs for days drawn uniformly from 1900-01-01 .. 2099-12-31."""
    rng = np.random.default_rng(seed)
    start = datetime.date(1900, 1, 1).toordinal()
    span = datetime.date(2099, 12, 31).toordinal() - start + 1
    days = rng.integers(0, span, n)
    styles = rng.integers(0, 8, n)
    out = []
    for k, s in zip(days, styles):
        d = datetime.date.fromordinal(start + int(k))
        out.append((format_date(d, int(s)), d.isoformat()))
    return out


class PairDataset(Dataset):
    """Character pairs as id arrays: source ids, target ids with BOS ... EOS."""

    def __init__(self, pairs, src_vocab, tgt_vocab):
        self.pairs = pairs
        self.src = [np.asarray(src_vocab.lookup_indices(list(s)), dtype=np.int64) for s, _ in pairs]
        bos, eos = tgt_vocab["<bos>"], tgt_vocab["<eos>"]
        self.tgt = [np.asarray([bos] + tgt_vocab.lookup_indices(list(t)) + [eos], dtype=np.int64)
                    for _, t in pairs]

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, i):
        return self.src[i], self.tgt[i]


def collate_pairs(batch):
    """-> ((src (B, S), src_lengths (B,), tgt_in (B, T), target mask (B, T)), tgt_out[mask])."""
    from ..text import pad_sequences

    src, src_len = pad_sequences([s for s, _ in batch])
    tgt, tgt_len = pad_sequences([t for _, t in batch])
    mask = np.arange(tgt.shape[1] - 1)[None, :] < (tgt_len - 1)[:, None]
    x = (Tensor._make(src), Tensor._make(src_len), Tensor._make(tgt[:, :-1]), mask)
    return x, Tensor._make(tgt[:, 1:][mask])


def token_loss(teacher_forcing: float = 1.0):
    """The seq2seq step's loss of (model, batch): cross-entropy of the decoder's logits at the
    real target tokens (padding never enters it), and their accuracy. Teacher forcing below 1
    applies in training only."""
    def loss(model, batch):
        (src, src_len, tgt_in, mask), tgt_out = batch
        tf = teacher_forcing if model.training else 1.0
        logits = model(src, src_len, tgt_in, teacher_forcing=tf)[mask]
        hits = (logits.detach().numpy().argmax(1) == tgt_out.numpy()).mean()
        return {"loss": nn.functional.cross_entropy(logits, tgt_out), "acc": float(hits)}
    return loss


def target_tokens(batch) -> int:
    """How many real target tokens a batch of ``collate_pairs`` holds (the step's weight)."""
    return int(batch[0][3].sum())


def exact_match(model: Seq2Seq, dataset: PairDataset, tgt_vocab, beam: int = 0,
                batch_size: int = 500) -> tuple[float, list]:
    """Share of sources whose decoded target equals the reference; and the decoded strings."""
    from ..text import pad_sequences

    decoded = []
    for i in range(0, len(dataset), batch_size):
        src, lengths = pad_sequences(dataset.src[i:i + batch_size])
        if beam > 1:
            ids = model.beam_search(src, lengths, beam_size=beam, max_len=14)
        else:
            ids = model.greedy_decode(src, lengths, max_len=14)
        decoded += ["".join(tgt_vocab.lookup_tokens(row)) for row in ids]
    hits = sum(d == t for d, (_, t) in zip(decoded, dataset.pairs))
    return hits / max(len(dataset), 1), decoded


class ValExactMatch(Callback):
    def __init__(self, model, dataset, tgt_vocab):
        self.model, self.dataset, self.tgt_vocab = model, dataset, tgt_vocab

    def on_epoch_end(self, trainer, row):
        row["val_exact"], _ = exact_match(self.model, self.dataset, self.tgt_vocab)


DEFAULTS = {"variants": ["plain", "reversed", "luong", "bahdanau"], "train_size": 12000,
            "val_size": 500, "test_size": 1000, "embedding_dim": 32, "hidden_size": 128,
            "num_layers": 1, "dropout": 0.0, "teacher_forcing": 1.0, "epochs": 3,
            "batch_size": 64, "lr": 3e-3, "clip_grad_norm": 1.0, "beam_size": 4, "seed": 0,
            "data_seed": 1}


def _vocabs(pairs):
    from ..text import SPECIALS, Vocab

    src = Vocab(list(SPECIALS) + sorted({c for s, _ in pairs for c in s}), default_index=1)
    tgt = Vocab(list(SPECIALS) + sorted({c for _, t in pairs for c in t}), default_index=1)
    return src, tgt


def _train_variant(name, config, run_dir, data, resume, progress) -> dict:
    train, val, test, src_vocab, tgt_vocab = data
    sub = RunDir(os.path.join(run_dir.path, name))
    done = finished(sub) if resume else None
    if done is not None:
        return done
    manual_seed(config["seed"])
    sub, sub_resume = sub_run(run_dir, name, config, resume)
    model = Seq2Seq(len(src_vocab), len(tgt_vocab), config["embedding_dim"],
                    config["hidden_size"], config["num_layers"], dropout=config["dropout"],
                    **VARIANTS[name])
    optimizer = optim.Adam(model.parameters(), lr=config["lr"])
    step = LossStep(model, optimizer, token_loss(config["teacher_forcing"]),
                    clip_grad_norm=config["clip_grad_norm"], count=target_tokens, unit="tokens")
    loop = Loop(step, schedulers=[optim.lr_scheduler.CosineAnnealingLR(optimizer,
                                                                       T_max=config["epochs"])],
                callbacks=[ValExactMatch(model, val, tgt_vocab)], run_dir=sub, progress=progress)
    loader = DataLoader(train, batch_size=config["batch_size"], shuffle=True,
                        collate_fn=collate_pairs)
    loop.fit(loader, epochs=config["epochs"], resume=sub_resume)
    greedy, decoded = exact_match(model, test, tgt_vocab)
    beam, _ = exact_match(model, test, tgt_vocab, beam=config["beam_size"])
    examples = [(s, t, d) for (s, t), d in list(zip(test.pairs, decoded))[:8]]
    errors = [(s, t, d) for (s, t), d in zip(test.pairs, decoded) if d != t][:8]
    result = {"greedy_exact": greedy, "beam_exact": beam, "train_time_s": loop.elapsed,
              "parameters": sum(p.numel() for p in model.parameters()),
              "history": loop.history, "examples": examples, "errors": errors}
    if model.attention:
        _plot_attention(model, test, src_vocab, tgt_vocab, name, sub)
    save_json(sub, "test_metrics.json", result)
    return result


def _plot_attention(model, test, src_vocab, tgt_vocab, name, sub) -> None:
    src = test.src[0][None]
    ids = model.greedy_decode(src, [len(test.src[0])], max_len=14)[0]
    weights = model.last_attention[0][:len(ids) + 1]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.imshow(weights, cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(test.src[0])))
    ax.set_xticklabels(list(test.pairs[0][0]))
    out = tgt_vocab.lookup_tokens(ids) + ["<eos>"]
    ax.set_yticks(range(len(out)))
    ax.set_yticklabels(out)
    ax.set_title(f"{name} attention: source (x) for each output character (y)")
    save_figure(fig, os.path.join(sub.plots, "attention.png"))
    plt.close(fig)


@register("seq2seq", "LSTM encoder-decoder on a generated date-normalisation task: plain, reversed "
          "input, Luong and Bahdanau attention; exact match with greedy and beam search", DEFAULTS)
def run(config: dict, run_dir, resume: bool = False, progress: bool = True) -> dict:
    unknown = [v for v in config["variants"] if v not in VARIANTS]
    if unknown:
        raise RecipeError(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    if not 0.0 <= config["teacher_forcing"] <= 1.0:
        raise RecipeError(f"teacher_forcing must be in [0, 1], got {config['teacher_forcing']}")
    start_run(config, run_dir, resume, several=True)
    sizes = (config["train_size"], config["val_size"], config["test_size"])
    pairs = make_dates(sum(sizes), config["data_seed"])
    src_vocab, tgt_vocab = _vocabs(pairs)
    cut = np.cumsum(sizes)
    train, val, test = (PairDataset(pairs[a:b], src_vocab, tgt_vocab)
                        for a, b in ((0, cut[0]), (cut[0], cut[1]), (cut[1], cut[2])))
    print(f"run folder: {run_dir.path}\ntask: {sizes[0]} training / {sizes[1]} validation / "
          f"{sizes[2]} test dates, e.g. {pairs[0][0]!r} -> {pairs[0][1]!r}", flush=True)
    results = {}
    for name in config["variants"]:
        print(f"--- seq2seq variant: {name} ---", flush=True)
        results[name] = r = _train_variant(name, dict(config, recipe=f"seq2seq/{name}"), run_dir,
                                           (train, val, test, src_vocab, tgt_vocab), resume,
                                           progress)
        print(f"{name}: exact match greedy {r['greedy_exact']:.4f}, beam "
              f"{r['beam_exact']:.4f} ({r['train_time_s']:.0f}s)", flush=True)
    _report(config, run_dir, results, pairs[:sizes[0]])
    return {k: {m: v for m, v in r.items() if m in ("greedy_exact", "beam_exact")}
            for k, r in results.items()}


def _report(config, run_dir, results, train_pairs) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, r in results.items():
        ax.plot([h["epoch"] for h in r["history"]], [h["val_exact"] for h in r["history"]],
                marker="o", label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation exact match (greedy)")
    ax.set_ylim(0, 1.02)
    ax.legend()
    ax.grid(alpha=0.3)
    save_figure(fig, os.path.join(run_dir.plots, "val_exact_match.png"))
    plt.close(fig)
    lines = ["Dates in 8 human formats to ISO 8601, character by character; "
             f"{config['train_size']} training pairs, {config['test_size']} held-out test pairs; "
             f"LSTM {config['num_layers']} x {config['hidden_size']}, {config['epochs']} epochs, "
             f"teacher forcing {config['teacher_forcing']}.", "",
             f"| variant | exact match (greedy) | exact match (beam {config['beam_size']}) | "
             "parameters | seconds |", "|---|---|---|---|---|"]
    for name, r in results.items():
        lines.append(f"| {name} | **{100 * r['greedy_exact']:.2f}%** | "
                     f"{100 * r['beam_exact']:.2f}% "
                     f"| {r['parameters']:,} | {r['train_time_s']:.0f} |")
    lines += ["", "![validation exact match](plots/val_exact_match.png)", ""]
    for name, r in results.items():
        if os.path.exists(os.path.join(run_dir.path, name, "plots", "attention.png")):
            lines += [f"![{name} attention]({name}/plots/attention.png)", ""]
    best = max(results, key=lambda k: results[k]["greedy_exact"])
    lines += [f"## Examples ({best}, greedy)", "", "| source | target | decoded |", "|---|---|---|"]
    lines += [f"| {s} | {t} | {d} |" for s, t, d in results[best]["examples"]]
    if results[best]["errors"]:
        lines += ["", "Errors:", "", "| source | target | decoded |", "|---|---|---|"]
        lines += [f"| {s} | {t} | {d} |" for s, t, d in results[best]["errors"]]
    write_report(run_dir, "seq2seq", lines)
    print(f"report: {run_dir.file('report.md')}", flush=True)
