"""The pytorch/examples programs the runner knows: where each lives in the checkout, the short
settings it runs with (its own command-line flags, and smaller input files), what result it
prints, and how close graphgrad's result must be to PyTorch's to count as the same.

Both frameworks start from the same seed but draw different random numbers (initial weights,
dropout, shuffling), so results are compared within a tolerance that covers seed-to-seed noise
(the runner's ``--seed-noise`` measures that noise on PyTorch itself)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

# MNIST subset sizes (train, test) and the word corpus size (train lines, eval lines)
MNIST_SMALL = (6000, 1000)
MNIST_GAN = (640, 10)
MNIST_PAIRS = (1280, 500)
CORPUS = (600, 300)


@dataclass
class Step:
    """One command of a program: ``python script *args`` in the copy of its example folder."""
    script: str
    args: list
    cwd: str = "."


@dataclass
class Program:
    name: str
    folder: str
    steps: list
    metrics: Callable[[str], dict]        # stdout of all steps -> {name: number}
    headline: tuple                       # metric names shown in the table, in order
    tolerance: dict                       # metric -> allowed |graphgrad - PyTorch|
    mnist: tuple | None = None            # (n_train, n_test) under ../data, or None
    needs: tuple = ()                     # other inputs: "corpus", "bsds", "style"
    seed_flag: tuple | None = None        # (flag, other value) for --seed-noise
    note: str = ""
    output_image: str | None = None      # an image the program writes, compared pixel by pixel
    torch_env: tuple = ()                 # (name, value) environment settings for PyTorch's run


def _last(pattern: str, text: str, group: int = 1) -> float | None:
    found = re.findall(pattern, text)
    if not found:
        return None
    hit = found[-1]
    return float(hit if isinstance(hit, str) else hit[group - 1])


def _mean(pattern: str, text: str) -> float | None:
    found = [float(x) for x in re.findall(pattern, text)]
    return sum(found) / len(found) if found else None


def _test_set(text: str) -> dict:
    """'Test set: Average loss: 0.1234, Accuracy: 950/1000 (95%)' of mnist, mnist_rnn, siamese."""
    hit = re.findall(r"Test set: Average loss: ([\d.]+), Accuracy: (\d+)/(\d+)", text)
    if not hit:
        return {}
    loss, correct, total = hit[-1]
    return {"test loss": float(loss), "accuracy %": 100.0 * int(correct) / int(total)}


def _forward_forward(text: str) -> dict:
    return {"train error": _last(r"train error: ([\d.e-]+)", text),
            "test error": _last(r"test error: ([\d.e-]+)", text),
            "last loss": _last(r"Loss:\s+([\d.e-]+)", text)}


def _regression(text: str) -> dict:
    hit = re.findall(r"Loss: ([\d.e-]+) after (\d+) batches", text)
    return {"loss": float(hit[-1][0]), "batches": float(hit[-1][1])} if hit else {}


def _vae(text: str) -> dict:
    return {"train loss": _last(r"Epoch: \d+ Average loss: ([\d.]+)", text),
            "test loss": _last(r"Test set loss: ([\d.]+)", text)}


def _dcgan(text: str) -> dict:
    return {"mean Loss_D": _mean(r"Loss_D: ([\d.]+)", text),
            "mean Loss_G": _mean(r"Loss_G: ([\d.]+)", text),
            "mean D(x)": _mean(r"D\(x\): ([\d.]+)", text)}


def _time_sequence(text: str) -> dict:
    return {"train loss": _last(r"(?m)^loss: ([\d.e+-]+)", text),
            "test loss": _last(r"test loss: ([\d.e+-]+)", text)}


def _word_lm(text: str) -> dict:
    return {"valid loss": _last(r"valid loss\s+([\d.]+)", text),
            "test loss": _last(r"test loss\s+([\d.]+)", text),
            "generated": float(len(re.findall(r"\| Generated \d+/\d+ words", text)))}


def _super_resolution(text: str) -> dict:
    return {"train loss": _last(r"Epoch \d+ Complete: Avg. Loss: ([\d.]+)", text),
            "PSNR dB": _last(r"Avg. PSNR: ([\d.]+) dB", text),
            "upscaled": 1.0 if "output image saved" in text else 0.0}


def _nothing(text: str) -> dict:
    return {}


def _word_lm_program(model: str, tolerance: float) -> Program:
    return Program(
        name=f"word_language_model {model}", folder="word_language_model",
        steps=[Step("main.py", ["--data", "small-corpus", "--model", model, "--epochs", "1",
                                "--emsize", "64", "--nhid", "64", "--lr", "5", "--log-interval", "20"]),
               Step("generate.py", ["--data", "small-corpus", "--words", "100"])],
        metrics=_word_lm, headline=("valid loss", "test loss"),
        tolerance={"valid loss": tolerance, "test loss": tolerance, "generated": 0.0},
        needs=("corpus",), seed_flag=("--seed", "7"),
        note="1 epoch at lr 5 (default 20 diverges on so short a corpus), 2x64 units, 600 lines "
             "of training text (loss = log perplexity); then generate.py loads the whole saved "
             "model through torch.serialization.safe_globals and samples 100 words")


PROGRAMS = [
    Program("mnist", "mnist", [Step("main.py", ["--epochs", "1", "--log-interval", "50"])],
            _test_set, ("accuracy %", "test loss"), {"accuracy %": 2.0, "test loss": 0.08},
            mnist=MNIST_SMALL, seed_flag=("--seed", "2"),
            note="1 epoch on 6,000 training images, tested on 1,000"),
    Program("mnist_rnn", "mnist_rnn",
            [Step("main.py", ["--epochs", "1", "--lr", "1.0", "--log-interval", "50"])],
            _test_set, ("accuracy %", "test loss"), {"accuracy %": 6.0, "test loss": 0.2},
            mnist=MNIST_SMALL, seed_flag=("--seed", "2"),
            note="1 epoch on 6,000 training images at lr 1.0 (default 0.1 barely moves in one "
                 "short epoch), tested on 1,000"),
    Program("mnist_hogwild", "mnist_hogwild",
            [Step("main.py", ["--epochs", "1", "--log-interval", "50"])],
            _test_set, ("accuracy %", "test loss"), {"accuracy %": 4.0, "test loss": 0.15},
            mnist=MNIST_SMALL, seed_flag=("--seed", "2"),
            note="2 processes each train the shared model for 1 epoch on 6,000 images "
                 "(Hogwild, spawn start), tested on 1,000"),
    Program("mnist_forward_forward", "mnist_forward_forward",
            [Step("main.py", ["--epochs", "100", "--train_size", "5000", "--test_size", "1000",
                              "--log-interval", "50"])],
            _forward_forward, ("train error", "test error"),
            {"train error": 0.06, "test error": 0.06}, mnist=(5000, 1000),
            note="100 epochs per layer on 5,000 images (default 1,000 on 50,000); the program "
                 "never seeds torch"),
    Program("regression", "regression", [Step("main.py", [])], _regression,
            ("loss", "batches"), {"loss": 1e-3},
            note="stops when the loss falls under 1e-3; the batch count depends on the random "
                 "target polynomial (the program draws it unseeded)"),
    Program("vae", "vae", [Step("main.py", ["--epochs", "1", "--log-interval", "20"])], _vae,
            ("test loss", "train loss"), {"test loss": 4.0, "train loss": 6.0},
            mnist=MNIST_SMALL, seed_flag=("--seed", "2"),
            note="1 epoch on 6,000 images"),
    Program("dcgan", "dcgan",
            [Step("main.py", ["--dataset", "mnist", "--dataroot", "../data-gan", "--niter", "1",
                              "--manualSeed", "1", "--workers", "0"])],
            _dcgan, ("mean Loss_D", "mean Loss_G", "mean D(x)"),
            {"mean Loss_D": 0.5, "mean Loss_G": 2.0, "mean D(x)": 0.15}, mnist=MNIST_GAN,
            seed_flag=("--manualSeed", "2"),
            note="1 epoch = 10 steps of batch 64 on 640 MNIST images at 64x64"),
    Program("siamese_network", "siamese_network",
            [Step("main.py", ["--epochs", "1", "--log-interval", "20"])],
            _test_set, ("accuracy %", "test loss"), {"accuracy %": 8.0, "test loss": 0.002},
            mnist=MNIST_PAIRS, seed_flag=("--seed", "2"),
            note="1 epoch on 1,280 image pairs (ResNet-18), tested on 500; pairs are drawn "
                 "with Python's unseeded random"),
    Program("time_sequence_prediction", "time_sequence_prediction",
            [Step("generate_sine_wave.py", []), Step("train.py", ["--steps", "2"])],
            _time_sequence, ("train loss", "test loss"), {"train loss": 0.01, "test loss": 0.02},
            torch_env=(("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1"),),
            note="2 L-BFGS steps (20 evaluations each), float64, each followed by a "
                 "1,000-step forecast and its plot. PyTorch >= 2.6 refuses the program's "
                 "torch.load of a NumPy array (weights_only); its documented switch "
                 "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 lets it run. graphgrad's files hold no "
                 "pickle, so loading an array is safe and allowed"),
    _word_lm_program("LSTM", 0.3),
    _word_lm_program("GRU", 0.3),
    _word_lm_program("RNN_TANH", 0.3),
    _word_lm_program("Transformer", 0.3),
    Program("super_resolution", "super_resolution",
            [Step("main.py", ["--upscale_factor", "3", "--batchSize", "4", "--testBatchSize", "2",
                              "--nEpochs", "10", "--lr", "0.001", "--threads", "0"]),
             Step("super_resolve.py", ["--input_image", "dataset/BSDS300/images/test/udnie.png",
                                       "--model", "model_epoch_10.pth",
                                       "--output_filename", "out.png"])],
            _super_resolution, ("PSNR dB", "train loss"), {"PSNR dB": 1.0, "train loss": 0.01},
            needs=("bsds",), seed_flag=("--seed", "7"),
            note="10 epochs on 8 stand-in images (the checkout's JPEGs at 300x300), tested on 2; "
                 "then super_resolve.py loads the whole saved model"),
    Program("fast_neural_style (eval)", "fast_neural_style",
            [Step("neural_style/neural_style.py",
                  ["eval", "--content-image", "small-content.png", "--model",
                   "saved_models/same-weights.pth", "--output-image", "out.png"])],
            _nothing, ("output mean", "output std"), {"output mean": 0.5, "output std": 0.5},
            needs=("style",), output_image="out.png",
            note="TransformerNet with the same weights in both (written by the runner as a "
                 "state_dict in each framework's format), stylising a 256x256 image; the train "
                 "subcommand needs VGG-16's ImageNet weights (a download)"),
]
