"""Recurrent-network recipes: ``char-rnn`` (a character language model, sampled from with
``graphgrad sample``) and ``rnn-vs-lstm-memory`` (vanilla RNN vs LSTM on a recall task of growing
delay)."""
from __future__ import annotations

import os
import shlex

import numpy as np

from .. import backend, load, manual_seed, nn, optim
from ..autograd import no_grad
from ..distributed import is_main_process
from ..autograd.tensor import Tensor
from ..models.charrnn import CharRNN, chrono_init_, recurrent_layer
from ..train import Callback, DrawnBatches, RunDir, Trainer
from ..train.language_model import LanguageModelTrainer, evaluate_bpc
from ..viz import plot_curves
from ..viz._figure import pyplot
from .common import finish_plot, finished, save_json, start_run, write_report
from .registry import RecipeError, register, user_file

CHAR_RNN = {
    "data": None, "corpus": "python-docs", "cell": "lstm", "embedding_dim": 48,
    "hidden_size": 256, "num_layers": 1, "dropout": 0.0, "epochs": 4, "batch_size": 32,
    "seq_len": 100, "lr": 3e-3, "clip_grad_norm": 5.0, "val_fraction": 0.1, "time_limit": None,
    "sample_every": 100, "sample_length": 300, "temperature": 0.8, "top_k": None,
    "prompt": "The ", "seed": 0,
}


def read_text(config: dict) -> tuple[str, str]:
    """(text, description): ``--data FILE`` (UTF-8, else Latin-1) or an embedded corpus."""
    path = config.get("data")
    if path:
        if not os.path.isfile(path):
            raise RecipeError(f"--data {path}: expected a text file")
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except UnicodeDecodeError:
            with open(path, encoding="latin-1") as f:
                text = f.read()
        return text, f"{os.path.basename(path)} ({len(text):,} characters)"
    from ..text import load_corpus

    try:
        text = load_corpus(config.get("corpus", "python-docs"))
    except ValueError as exc:
        raise RecipeError(str(exc)) from None
    return text, f"embedded corpus {config.get('corpus')} ({len(text):,} characters)"


def char_vocab(text: str):
    """Characters in order of first appearance (``<unk>`` first, for characters never seen)."""
    from ..text import Vocab

    vocab = Vocab(["<unk>"] + list(dict.fromkeys(text)), default_index=0)
    return vocab


def split_text(ids: np.ndarray, val_fraction: float):
    """The last ``val_fraction`` of the stream is held out (a fixed, contiguous split)."""
    n_val = int(len(ids) * val_fraction)
    if val_fraction and n_val < 3:
        raise RecipeError(f"the text is too short to hold out {val_fraction:.0%} "
                          f"({len(ids)} characters)")
    return (ids[:-n_val], ids[-n_val:]) if n_val else (ids, None)


def build_char_model(config: dict, vocab_size: int) -> CharRNN:
    return CharRNN(vocab_size, config["embedding_dim"], config["hidden_size"],
                   config["num_layers"], config["cell"], config["dropout"])


# recipe name -> build(config, vocab_size): the character models `graphgrad sample` can load
CHAR_MODELS = {"char-rnn": build_char_model}


def generate(model, vocab, prompt: str, length: int, temperature: float, top_k=None,
             generator=None) -> str:
    unknown = sorted(set(ch for ch in prompt if ch not in vocab))
    if unknown:
        raise RecipeError(f"the prompt has characters the model never saw: {unknown!r}")
    if not prompt:
        raise RecipeError("the prompt must hold at least one character")
    ids = model.sample(vocab.lookup_indices(list(prompt)), length, temperature, top_k, generator)
    return prompt + "".join(vocab.lookup_token(i) if i else "?" for i in ids)


@register("char-rnn", "character-level LSTM language model (truncated BPTT, clipping); bits per "
          "character on held-out text; embedded Python docs or --data FILE", CHAR_RNN,
          data_parallel=True)
def run_char_rnn(config: dict, run_dir, resume: bool = False, progress: bool = True) -> dict:
    if config["cell"] not in ("rnn", "lstm", "gru"):
        raise RecipeError(f"cell must be rnn, lstm or gru, got {config['cell']!r}")
    title = f"CharRNN, {config['cell'].upper()} {config['num_layers']} x {config['hidden_size']}"
    return train_char_model(config, run_dir, resume, progress, title)


def train_char_model(config: dict, run_dir, resume: bool, progress: bool, title: str) -> dict:
    """Train the character model that ``CHAR_MODELS[config['recipe']]`` builds with truncated BPTT
    on the configured text, then write samples, the bits-per-character curve and the report.
    ``title`` names the model in what is printed and in the report. On several ranks each trains
    its share of the streams; rank 0 samples and writes."""
    text, description = read_text(config)
    manual_seed(config["seed"])
    resume = start_run(config, run_dir, resume)
    vocab = char_vocab(text)
    if is_main_process():
        vocab.save(run_dir.file("vocab.txt"))
    ids = np.asarray(vocab.lookup_indices(list(text)), dtype=np.int64)
    train_ids, val_ids = split_text(ids, config["val_fraction"])
    if len(train_ids) < 2 * config["batch_size"] + 2:
        raise RecipeError(f"{len(train_ids)} training characters are too few for batch_size "
                          f"{config['batch_size']}")
    model = CHAR_MODELS[config["recipe"]](config, len(vocab))
    optimizer = optim.Adam(model.parameters(), lr=config["lr"])
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, config["epochs"]),
                                                     eta_min=config["lr"] / 10)
    sampler = backend.Generator().manual_seed(config["seed"])
    prompt = config["prompt"]
    if not prompt or any(ch not in vocab for ch in prompt):
        prompt = text[:4]        # the configured prompt uses characters this text never has

    def sample_fn(trainer):
        body = generate(model, vocab, prompt, config["sample_length"] // 2,
                        config["temperature"], config["top_k"], sampler)
        return f"--- sample after step {trainer.global_step} ---\n{body}\n---"

    trainer = LanguageModelTrainer(model, optimizer, batch_size=config["batch_size"],
                                   seq_len=config["seq_len"],
                                   clip_grad_norm=config["clip_grad_norm"],
                                   scheduler=scheduler, run_dir=run_dir, progress=progress,
                                   sample_fn=sample_fn, sample_every=config["sample_every"],
                                   time_limit=None if config["time_limit"] is None
                                   else 60.0 * config["time_limit"])
    title = f"{title}, {sum(p.numel() for p in model.parameters()):,} parameters"
    print(f"run folder: {run_dir.path}", flush=True)
    print(f"model: {title}; data: {description}, {len(vocab) - 1} distinct characters", flush=True)
    trainer.fit(train_ids, val_ids, epochs=config["epochs"], resume=resume)
    final = trainer.history[-1] if trainer.history else {}
    result = {"val_bpc": final.get("val_bpc"), "train_bpc": final.get("train_bpc"),
              "train_time_s": trainer.elapsed, "steps": trainer.global_step,
              "characters_trained": trainer.global_step * config["batch_size"] * config["seq_len"]}
    if not is_main_process():
        return result
    samples = {t: generate(model, vocab, prompt, config["sample_length"], t,
                           config["top_k"], backend.Generator().manual_seed(config["seed"]))
               for t in (0.5, 0.8, 1.0)}
    plt = pyplot()
    plt.close(plot_curves(trainer.history, ("train_bpc", "val_bpc"), "bits per character",
                          "Bits per character", os.path.join(run_dir.plots, "bpc.png")))
    save_json(run_dir, "test_metrics.json", result)
    _char_model_report(config, run_dir, trainer, title, description, prompt, samples)
    if progress:
        print(f"sample (temperature 0.8):\n{samples[0.8]}", flush=True)
    if final.get("val_bpc") is not None:
        print(f"held-out bits per character {final['val_bpc']:.3f}; report: "
              f"{run_dir.file('report.md')}", flush=True)
    return result


def _char_model_report(config, run_dir, trainer, title, description, prompt, samples) -> None:
    final = trainer.history[-1] if trainer.history else {}
    lines = [f"- model: {title}",
             f"- data: {description}; the last {config['val_fraction']:.0%} held out",
             f"- training: {trainer.global_step} steps of {config['batch_size']} x "
             f"{config['seq_len']} characters (truncated BPTT), {trainer.elapsed:.0f} s"]
    if final.get("val_bpc") is not None:
        lines.append(f"- **held-out bits per character: {final['val_bpc']:.3f}** "
                     f"({final['val_loss']:.3f} nats); training {final['train_bpc']:.3f}")
    lines += ["", "| epoch | train bpc | held-out bpc | lr | seconds |", "|---|---|---|---|---|"]
    for row in trainer.history:
        lines.append(f"| {row['epoch']}{' (partial)' if row.get('partial') else ''} | "
                     f"{row['train_bpc']:.3f} | {row.get('val_bpc', float('nan')):.3f} | "
                     f"{row['lr']:.4g} | {row['time']:.0f} |")
    lines += ["", "![bits per character](plots/bpc.png)", "", "## Samples", ""]
    for t, sample in samples.items():
        lines += [f"Temperature {t}:", "", "```", sample, "```", ""]
    lines += [f"Generate more with `graphgrad sample {run_dir.path} --prompt "
              f"{shlex.quote(prompt)} --length 500 --temperature 0.8`."]
    write_report(run_dir, config["recipe"], lines)


def load_char_run(run_dir_path: str):
    """(config, vocab, model) of a finished ``char-rnn`` (or other ``CHAR_MODELS``) run."""
    from ..text import Vocab

    run_dir = RunDir(run_dir_path)
    config = run_dir.read_config()
    if config.get("recipe") not in CHAR_MODELS:
        others = ", ".join(sorted(set(CHAR_MODELS) - {"char-rnn"}))
        raise RecipeError(f"{run_dir_path}: sample needs a char-rnn run (or {others}), this one "
                          f"is {config.get('recipe')!r}")
    if not os.path.exists(run_dir.checkpoint):
        raise RecipeError(f"{run_dir_path} has no checkpoint.npz (did the run finish an epoch?)")
    with user_file(run_dir.file("vocab.txt")):  # missing or damaged: one line, not a traceback
        vocab = Vocab.load(run_dir.file("vocab.txt"))
    vocab.set_default_index(0)
    model = CHAR_MODELS[config["recipe"]](config, len(vocab))
    model.load_state_dict(load(run_dir.checkpoint)["model"])
    model.eval()
    return config, vocab, model


def sample_run(run_dir_path: str, prompt: str = "The ", length: int = 500,
               temperature: float = 0.8, top_k: int | None = None, seed: int | None = None) -> str:
    """Text generated by a trained ``char-rnn`` run (``graphgrad sample``)."""
    if length < 0:
        raise RecipeError(f"--length must be >= 0, got {length}")
    if temperature < 0:
        raise RecipeError(f"--temperature must be >= 0, got {temperature}")
    _, vocab, model = load_char_run(run_dir_path)
    generator = backend.Generator()
    if seed is not None:
        generator.manual_seed(seed)
    return generate(model, vocab, prompt, length, temperature, top_k, generator)


def held_out_bpc(run_dir_path: str, path: str) -> float:
    """Bits per character of a trained run on the text file ``path``."""
    _, vocab, model = load_char_run(run_dir_path)
    text, _ = read_text({"data": path})
    return evaluate_bpc(model, vocab.lookup_indices(list(text)))["bpc"]


# ---------------------------------------------------------------------- memory
MEMORY = {"delays": [10, 25, 50, 100, 200], "cells": ["rnn", "lstm"], "chrono_init": True,
          "symbols": 8, "distractors": 4,
          "hidden_size": 64, "embedding_dim": 16, "steps": 600, "batch_size": 64, "lr": 0.01,
          "clip_grad_norm": 1.0, "test_size": 1000, "seed": 0, "epochs": 1}


def recall_batch(n: int, delay: int, symbols: int, distractors: int, rng):
    """The recall task: a symbol (one of ``symbols``), ``delay`` random distractor tokens, then a
    'recall' marker; the target is the first symbol. Tokens: symbols 0..S-1, distractors S..S+D-1,
    marker S+D. Returns (x (delay + 2, n) int64, y (n,) int64)."""
    target = rng.integers(0, symbols, n)
    noise = rng.integers(symbols, symbols + distractors, (delay, n))
    marker = np.full((1, n), symbols + distractors)
    return np.concatenate([target[None], noise, marker]).astype(np.int64), target.astype(np.int64)


class RecallNet(nn.Module):
    """Embedding, a one-layer vanilla RNN / LSTM / GRU, Linear on the last output. With
    ``chrono`` (a sequence length) an LSTM gets the chrono initialisation of its gate biases."""

    def __init__(self, cell: str, vocab: int, embedding_dim: int, hidden_size: int, classes: int,
                 chrono: int | None = None):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding_dim)
        self.rnn = recurrent_layer(cell, embedding_dim, hidden_size)
        if chrono and cell == "lstm":
            chrono_init_(self.rnn, chrono)
        self.fc = nn.Linear(hidden_size, classes)

    def forward(self, x):
        out, _ = self.rnn(self.embedding(x))
        return self.fc(out[-1])


class _StopWhenSolved(Callback):
    """End training once the last ``n`` training batches were all classified right."""

    def __init__(self, n: int = 20):
        self.n, self.recent = n, []

    def on_batch_end(self, trainer, step, logs) -> bool:
        self.recent = (self.recent + [logs["train_acc"]])[-self.n:]
        return len(self.recent) == self.n and min(self.recent) == 1.0


def _train_recall(config: dict, cell: str, delay: int, progress: bool = False) -> dict:
    manual_seed(config["seed"])
    s, d = config["symbols"], config["distractors"]
    model = RecallNet(cell, s + d + 1, config["embedding_dim"], config["hidden_size"], s,
                      chrono=delay + 2 if config["chrono_init"] else None)

    def draw(rng):
        x, y = recall_batch(config["batch_size"], delay, s, d, rng)
        return Tensor._make(x), Tensor._make(y)

    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=config["lr"]),
                      clip_grad_norm=config["clip_grad_norm"], callbacks=[_StopWhenSolved()],
                      progress=progress)
    # solved early: the rest of the step budget is saved
    trainer.fit(DrawnBatches(draw, config["steps"], config["seed"] * 1000 + delay), epochs=1)
    x, y = recall_batch(config["test_size"], delay, s, d, np.random.default_rng(12345 + delay))
    with no_grad():
        accuracy = float((model(Tensor._make(x)).numpy().argmax(1) == y).mean())
    return {"cell": cell, "delay": delay, "accuracy": accuracy, "steps": trainer.global_step,
            "seconds": trainer.elapsed}


@register("rnn-vs-lstm-memory", "vanilla RNN vs LSTM on recalling a symbol after a growing delay "
          "of distractors: accuracy against delay, one plot", MEMORY)
def run_memory(config: dict, run_dir, resume: bool = False, progress: bool = True) -> dict:
    for cell in config["cells"]:
        if cell not in ("rnn", "lstm", "gru"):
            raise RecipeError(f"cells must be rnn, lstm or gru, got {cell!r}")
    start_run(config, run_dir, resume, several=True)
    # each (cell, delay) training takes seconds: a resumed run redoes the one it was in
    results = (finished(run_dir, "results.json") if resume else None) or []
    print(f"run folder: {run_dir.path}", flush=True)
    for delay in config["delays"]:
        for cell in config["cells"]:
            if any(r["cell"] == cell and r["delay"] == delay for r in results):
                continue
            r = _train_recall(config, cell, int(delay))
            results.append(r)
            save_json(run_dir, "results.json", results)
            print(f"{cell:>4} delay {delay:>4}: test accuracy {r['accuracy']:.3f} after "
                  f"{r['steps']} steps ({r['seconds']:.0f}s)", flush=True)
    plot = _plot_memory(config, results, os.path.join(run_dir.plots, "accuracy_vs_delay.png"))
    chance, cells = 1.0 / config["symbols"], config["cells"]
    lines = [f"Recall the first of {config['symbols']} symbols after a delay of random distractors "
             f"(chance {chance:.3f}); hidden size {config['hidden_size']}, at most "
             f"{config['steps']} Adam steps of {config['batch_size']} sequences per model, "
             f"{config['test_size']} fresh test sequences.", "",
             "| delay | " + " | ".join(cells) + " |", "|---|" + "---|" * len(cells)]
    for delay in config["delays"]:
        accs = [next(r["accuracy"] for r in results if r["cell"] == c and r["delay"] == delay)
                for c in cells]
        lines.append(f"| {delay} | " + " | ".join(f"{a:.3f}" for a in accs) + " |")
    lines += ["", "![accuracy against delay](plots/accuracy_vs_delay.png)"]
    write_report(run_dir, config["recipe"], lines)
    print(f"plot: {plot}; report: {run_dir.file('report.md')}", flush=True)
    return {"results": results}


def _plot_memory(config: dict, results: list, path: str) -> str:
    chance = 1.0 / config["symbols"]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for cell in config["cells"]:
        rows = sorted((r for r in results if r["cell"] == cell), key=lambda r: r["delay"])
        ax.plot([r["delay"] for r in rows], [r["accuracy"] for r in rows], marker="o",
                label={"rnn": "vanilla RNN (tanh)", "lstm": "LSTM", "gru": "GRU"}[cell])
    ax.axhline(chance, color="gray", linestyle=":", label=f"chance ({chance:.3f})")
    ax.set_xscale("log")
    ax.set_ylim(0, 1.05)
    finish_plot(fig, ax, path, "delay (time steps between symbol and recall)", "test accuracy",
                "Remembering across a delay")
    return path
