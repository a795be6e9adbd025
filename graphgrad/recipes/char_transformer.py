"""``char-transformer``: a small causal Transformer language model (``models.CharTransformer``) on
the same data, split, batches and trainer as ``char-rnn``, scored the same way (held-out bits per
character) and sampled from with ``graphgrad sample``."""
from __future__ import annotations

from ..models.chartransformer import CharTransformer
from .registry import RecipeError, register
from .sequence import CHAR_MODELS, CHAR_RNN, train_char_model

CHAR_TRANSFORMER = {key: value for key, value in CHAR_RNN.items()
                    if key not in ("cell", "embedding_dim", "hidden_size", "num_layers")}
CHAR_TRANSFORMER.update({"d_model": 128, "nhead": 4, "num_layers": 2, "dim_feedforward": 512,
                         "block_size": 128, "tie_weights": True, "activation": "relu",
                         "lr": 2e-3})


def build_char_transformer(config: dict, vocab_size: int) -> CharTransformer:
    return CharTransformer(vocab_size, config["d_model"], config["nhead"], config["num_layers"],
                           config["dim_feedforward"], config["block_size"], config["dropout"],
                           config["tie_weights"], config["activation"])


CHAR_MODELS["char-transformer"] = build_char_transformer


@register("char-transformer", "character-level causal Transformer language model (pre-norm, "
          "learned positions, tied output); same data, batches and scoring as char-rnn",
          CHAR_TRANSFORMER, data_parallel=True)
def run_char_transformer(config: dict, run_dir, resume: bool = False,
                         progress: bool = True) -> dict:
    if config["seq_len"] > config["block_size"]:  # the positions the model has
        raise RecipeError(f"seq_len ({config['seq_len']}) must be at most block_size "
                          f"({config['block_size']})")
    title = (f"CharTransformer ({config['num_layers']} layers, d_model {config['d_model']}, "
             f"{config['nhead']} heads)")
    return train_char_model(config, run_dir, resume, progress, title)
