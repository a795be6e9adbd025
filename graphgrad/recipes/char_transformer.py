"""``char-transformer``: a small causal Transformer language model (``models.CharTransformer``) on
the same data, split, batches and trainer as ``char-rnn``, scored the same way (held-out bits per
character) and sampled from with ``graphgrad sample``."""
from __future__ import annotations

import json
import os
import shlex

import numpy as np

from .. import backend, manual_seed, optim
from ..models.chartransformer import CharTransformer
from ..train import atomic_write_text
from ..train.language_model import LanguageModelTrainer
from ..viz import plot_curves
from ..viz._figure import pyplot
from .registry import RecipeError, register
from .sequence import CHAR_MODELS, CHAR_RNN, char_vocab, generate, read_text, split_text

CHAR_TRANSFORMER = {key: value for key, value in CHAR_RNN.items()
                    if key not in ("cell", "embedding_dim", "hidden_size", "num_layers")}
CHAR_TRANSFORMER.update({"d_model": 128, "nhead": 4, "num_layers": 2, "dim_feedforward": 512,
                         "block_size": 128, "tie_weights": True, "activation": "relu",
                         "lr": 2e-3})


def build_char_transformer(config: dict, vocab_size: int) -> CharTransformer:
    if config["seq_len"] > config["block_size"]:
        raise RecipeError(f"seq_len ({config['seq_len']}) must be at most block_size "
                          f"({config['block_size']})")
    return CharTransformer(vocab_size, config["d_model"], config["nhead"], config["num_layers"],
                           config["dim_feedforward"], config["block_size"], config["dropout"],
                           config["tie_weights"], config["activation"])


CHAR_MODELS["char-transformer"] = build_char_transformer


@register("char-transformer", "character-level causal Transformer language model (pre-norm, "
          "learned positions, tied output); same data, batches and scoring as char-rnn",
          CHAR_TRANSFORMER)
def run_char_transformer(config: dict, run_dir, resume: bool = False,
                         progress: bool = True) -> dict:
    text, description = read_text(config)
    manual_seed(config["seed"])
    run_dir.write_config(config)
    vocab = char_vocab(text)
    vocab.save(run_dir.file("vocab.txt"))
    ids = np.asarray(vocab.lookup_indices(list(text)), dtype=np.int64)
    train_ids, val_ids = split_text(ids, config["val_fraction"])
    model = build_char_transformer(config, len(vocab))
    optimizer = optim.Adam(model.parameters(), lr=config["lr"])
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, config["epochs"]),
                                                     eta_min=config["lr"] / 10)
    prompt = config["prompt"] if config["prompt"] and all(ch in vocab for ch in config["prompt"]) \
        else text[:4]
    sampler = backend.Generator().manual_seed(config["seed"])

    def sample_fn(trainer):
        body = generate(model, vocab, prompt, config["sample_length"] // 2,
                        config["temperature"], config["top_k"], sampler)
        return f"--- sample after step {trainer.global_step} ---\n{body}\n---"

    trainer = LanguageModelTrainer(
        model, optimizer, batch_size=config["batch_size"], seq_len=config["seq_len"],
        clip_grad_norm=config["clip_grad_norm"], scheduler=scheduler, run_dir=run_dir,
        progress=progress, sample_fn=sample_fn, sample_every=config["sample_every"],
        time_limit=None if config["time_limit"] is None else 60.0 * config["time_limit"])
    n_params = sum(p.numel() for p in model.parameters())
    title = (f"CharTransformer ({config['num_layers']} layers, d_model {config['d_model']}, "
             f"{config['nhead']} heads), {n_params:,} parameters")
    print(f"run folder: {run_dir.path}\nmodel: {title}; data: {description}", flush=True)
    trainer.fit(train_ids, val_ids, epochs=config["epochs"], resume=resume)
    final = trainer.history[-1] if trainer.history else {}
    result = {"val_bpc": final.get("val_bpc"), "train_bpc": final.get("train_bpc"),
              "train_time_s": trainer.elapsed, "steps": trainer.global_step, "parameters": n_params}
    atomic_write_text(run_dir.file("test_metrics.json"), json.dumps(result, indent=2) + "\n")
    plt = pyplot()
    plt.close(plot_curves(trainer.history, ("train_bpc", "val_bpc"), "bits per character",
                          "Bits per character", os.path.join(run_dir.plots, "bpc.png")))
    sample = generate(model, vocab, prompt, config["sample_length"], config["temperature"],
                      config["top_k"], backend.Generator().manual_seed(config["seed"]))
    bpc = final.get("val_bpc")
    lines = [f"# Run report: {config['recipe']}", "", f"- model: {title}",
             f"- data: {description}; the last {config['val_fraction']:.0%} held out",
             f"- training: {trainer.global_step} steps of {config['batch_size']} x "
             f"{config['seq_len']} characters, {trainer.elapsed:.0f} s",
             f"- **held-out bits per character: {bpc:.3f}**" if bpc is not None else "",
             "", "![bits per character](plots/bpc.png)", "",
             f"Sample (temperature {config['temperature']}):", "", "```", sample, "```", "",
             f"Generate more with `graphgrad sample {run_dir.path} --prompt "
             f"{shlex.quote(prompt)} --length 500 --temperature 0.8 --top-k 10`.", ""]
    atomic_write_text(run_dir.file("report.md"), "\n".join(lines))
    if bpc is not None:
        print(f"held-out bits per character {bpc:.3f}; report: {run_dir.file('report.md')}",
              flush=True)
    return result
