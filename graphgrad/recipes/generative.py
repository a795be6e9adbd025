"""The generative recipes: ``autoencoder-mnist``, ``vae-mnist``, ``gan-mnist`` and ``dcgan-mnist``,
and ``generate`` (behind ``graphgrad generate RUN_DIR -n 64``).

Each trains on the embedded MNIST sample (4,000 training digits; ``--data`` takes MNIST IDX files),
writes plots and ``report.md`` into the run folder, checkpoints every epoch and resumes exactly.
The generative ones score 1,000 samples with a digit classifier (``graphgrad.train.sample_quality``):
the network of a finished ``mnist-cnn`` run when ``--set classifier=RUN_DIR`` is given, otherwise the
same network trained briefly on the spot.
"""
from __future__ import annotations

import glob
import os

import numpy as np

from .. import Generator, load, manual_seed, no_grad, optim, randn, tensor
from ..models import DCGAN, GAN, VAE, Autoencoder
from ..train import RunDir, random_state
from ..train.callbacks import Callback
from ..train.gan import AutoencoderTrainer, DiffAugment, GANTrainer, RandomCutout, RandomTranslate
from ..train.sample_quality import format_quality, mnist_digits, sample_quality, train_digit_classifier
from ..viz import generative as gviz
from ..viz._figure import pyplot
from ..viz.curves import plot_curves
from .common import plot_lines, save_json, settings_lines, start_run, write_report
from .registry import RecipeError, register
from .settings import one_of

# limit: use only the first N training and held-out digits (quick trials, tests); null = all
COMMON = {"data": None, "limit": None, "seed": 0, "classifier": None, "classifier_epochs": 8,
          "score_samples": 1000}

AE_DEFAULTS = dict(COMMON, arch="mlp", latent_dim=2, hidden_sizes=[512, 128], channels=[32, 64],
                   loss="bce", epochs=20, batch_size=128, lr=1e-3)
VAE_DEFAULTS = dict(COMMON, arch="mlp", latent_dim=8, hidden_sizes=[512, 256], channels=[32, 64],
                    likelihood="bernoulli", beta=1.0, epochs=30, batch_size=128, lr=1e-3)
# The MLP GAN needs many cheap epochs (~0.8 s each): after 60 it had collapsed onto 7 digits; after
# 300, with samples from the weights' moving average, all ten digits come out (docs/recipes.md).
GAN_DEFAULTS = dict(COMMON, latent_dim=100, g_hidden=[256, 512], d_hidden=[512, 256], dropout=0.3,
                    loss="nonsaturating", gp_weight=10.0, d_steps=1, real_label=1.0, ema=0.995,
                    translate=0, cutout=0, epochs=300, batch_size=64, lr=2e-4, d_lr=None,
                    lr_decay=0, beta1=0.5, score_every=0)
# Sized for the 2-core CPU budget: channels 32 (G: z -> 512 -> 64x7x7 -> 32x14x14 -> 1x28x28), a
# fully connected hidden layer of 512 in both networks (without it the samples stall at ~67% that
# the classifier reads confidently, with it they pass 80% by epoch 50), many small batches, and
# samples from an exponential moving average of the generator's weights (docs/recipes.md).
DCGAN_DEFAULTS = dict(COMMON, latent_dim=100, channels=32, d_channels=None, extra_layers=0,
                      fc_hidden=512, d_batch_norm=True, d_spectral_norm=False, dropout=0.0,
                      loss="nonsaturating", gp_weight=10.0, d_steps=1, real_label=1.0, ema=0.995,
                      translate=0, cutout=0, epochs=80, batch_size=32, lr=2e-4, d_lr=None,
                      lr_decay=0, beta1=0.5, score_every=0)


# ------------------------------------------------------------------------------ building blocks
def _build(config: dict):
    """The model a run's config describes."""
    kind = config["recipe"]
    try:
        if kind == "autoencoder-mnist":
            return Autoencoder(config["latent_dim"], config["arch"], hidden_sizes=config["hidden_sizes"],
                               channels=config["channels"], loss=config["loss"])
        if kind == "vae-mnist":
            return VAE(config["latent_dim"], config["arch"], hidden_sizes=config["hidden_sizes"],
                       channels=config["channels"], likelihood=config["likelihood"],
                       beta=config["beta"])
        if kind == "gan-mnist":
            return GAN(config["latent_dim"], config["g_hidden"], config["d_hidden"],
                       dropout=config["dropout"])
        if kind == "dcgan-mnist":
            return DCGAN(config["latent_dim"], config["channels"],
                         d_batch_norm=config["d_batch_norm"],
                         extra_layers=config.get("extra_layers", 0),
                         d_channels=config.get("d_channels"),
                         d_spectral_norm=config.get("d_spectral_norm", False),
                         d_dropout=config.get("dropout", 0.0),
                         fc_hidden=config.get("fc_hidden", 0))
    except (TypeError, ValueError) as exc:
        raise RecipeError(f"{kind}: {exc}") from None
    raise RecipeError(f"{kind} is not a generative recipe")


def _digits(config: dict):
    from ..utils.data import DataLoader, TensorDataset

    try:
        x, y = mnist_digits(True, config.get("data"))
        xt, yt = mnist_digits(False, config.get("data"))
    except (FileNotFoundError, RuntimeError, ValueError) as exc:
        raise RecipeError(f"MNIST: {exc}") from None
    if config.get("limit"):
        keep = np.random.default_rng(0).permutation(len(x))[:int(config["limit"])]
        held = np.random.default_rng(1).permutation(len(xt))[:int(config["limit"])]
        x, y, xt, yt = x[keep], y[keep], xt[held], yt[held]
    return x, y, xt, yt, DataLoader, TensorDataset


def _scorer(config: dict, progress: bool):
    """(classifier, a sentence saying which one) for the sample-quality score."""
    if config.get("classifier"):
        from .runs import _load_trained

        _, clf_config, model, _ = _load_trained(config["classifier"])
        return model, f"the trained `{clf_config['recipe']}` run in {config['classifier']}"
    print(f"training the scoring classifier (SimpleCNN, {config['classifier_epochs']} epochs; "
          "--set classifier=RUN_DIR uses a finished mnist-cnn run instead)", flush=True)
    model, accuracy = train_digit_classifier(config["classifier_epochs"], seed=config["seed"],
                                             data=config.get("data"), limit=config.get("limit"),
                                             progress=progress)
    return model, (f"the mnist-cnn network (SimpleCNN) trained on the spot for "
                   f"{config['classifier_epochs']} epochs (test accuracy {100 * accuracy:.2f}%)")


def _score(config, run_dir, sample_fn, xt, progress, scorer=None) -> tuple[dict, list]:
    """Score ``config['score_samples']`` samples and the real test digits; write the JSON.
    ``scorer``: a ``_scorer`` result already made (else one is made here)."""
    classifier, which = scorer or _scorer(config, progress)
    gen, total = Generator().manual_seed(config["seed"] + 2), int(config["score_samples"])
    samples = np.concatenate([sample_fn(min(250, total - start), gen)  # bounded memory
                              for start in range(0, total, 250)])
    score = sample_quality(classifier, samples)
    real = sample_quality(classifier, xt)
    result = {"samples": score, "real_test_digits": real, "classifier": which}
    save_json(run_dir, "sample_quality.json", result)
    print(f"sample quality: {format_quality(score)}", flush=True)
    print(f"  (real test digits: {format_quality(real)})", flush=True)
    lines = ["## Sample quality", "", f"Scored by {which}.", "",
             f"- generated: {format_quality(score)}",
             f"- real test digits (the ceiling): {format_quality(real)}",
             f"- predicted-class histogram of the confident samples: {score['histogram']}", ""]
    return result, lines


def _curve_lines(history) -> list:
    """The report's lines for a ``score_every`` run's sample-quality curve (none otherwise)."""
    points = [f"{r['epoch']}: {100 * r['sample_confident']:.1f}%" for r in history
              if "sample_confident" in r]
    if not points:
        return []
    return ["Confident fraction of fresh samples during training (epoch: fraction): "
            + ", ".join(points) + ".", ""]


class _EpochSamples(Callback):
    """After every epoch, write samples from a fixed noise batch to ``plots/samples/epoch_NNN.png``."""

    def __init__(self, folder: str, sample_fn, value_range):
        self.folder, self.sample_fn, self.value_range = folder, sample_fn, value_range

    def on_epoch_end(self, trainer, row) -> None:
        gviz.save_image_grid(self.sample_fn(), os.path.join(self.folder, f"epoch_{row['epoch']:03d}.png"),
                             nrow=8, value_range=self.value_range)


class _QualityCurve(Callback):
    """Every ``every`` epochs, score ``n`` fresh samples with ``classifier`` and add the confident
    fraction and the number of digits present to the epoch's metrics (``sample_confident``,
    ``sample_classes``). The noise of epoch e comes from a generator seeded ``12345 + e``."""

    def __init__(self, classifier, sample_fn, every: int, n: int):
        self.classifier, self.sample_fn, self.every, self.n = classifier, sample_fn, every, n

    def on_epoch_end(self, trainer, row) -> None:
        if row["epoch"] % self.every:
            return
        gen = Generator().manual_seed(12345 + row["epoch"])
        samples = np.concatenate([self.sample_fn(min(250, self.n - start), gen)
                                  for start in range(0, self.n, 250)])
        score = sample_quality(self.classifier, samples)
        row["sample_confident"] = score["confident_fraction"]
        row["sample_classes"] = score["classes_present"]


class _LinearLrDecay(Callback):
    """For the last ``decay_epochs`` of ``epochs``, scale every optimizer's learning rate down
    linearly (epoch ``epochs - decay_epochs + 1`` runs at full rate, the last at 1/decay_epochs of it).
    The rate follows from the epoch number alone, so a resumed run gets the same one."""

    def __init__(self, optimizers, epochs: int, decay_epochs: int):
        self.optimizers, self.epochs, self.decay_epochs = optimizers, epochs, decay_epochs
        self.base = [[g["lr"] for g in opt.param_groups] for opt in optimizers]

    def on_epoch_start(self, trainer, epoch: int) -> None:
        factor = min(1.0, (self.epochs - epoch + 1) / self.decay_epochs)
        for opt, base in zip(self.optimizers, self.base):
            for group, lr in zip(opt.param_groups, base):
                group["lr"] = lr * factor


def _gif(run_dir, epochs: int) -> str:
    frames = sorted(glob.glob(os.path.join(run_dir.plots, "samples", "epoch_*.png")))
    frames = [f for f in frames if int(os.path.basename(f)[6:9]) <= epochs]
    return gviz.write_gif(frames, os.path.join(run_dir.plots, "samples.gif"))


def _report(run_dir, config, model_desc, history, sections, plots) -> None:
    lines = [f"- model: {model_desc}",
             f"- data: {'the embedded MNIST sample' if not config.get('data') else config['data']}",
             f"- epochs: {len(history)}, training time {sum(r['time'] for r in history):.1f} s", ""]
    lines += sections + settings_lines(config)
    skip = ("epoch", "time", "images_per_s", "lr")
    keys = [k for k in history[0] if k not in skip] if history else []
    lines += ["", "## Per epoch", "", "| epoch | " + " | ".join(keys) + " |",
              "|---|" + "---|" * len(keys)]
    for row in history:
        lines.append(f"| {row['epoch']} | " + " | ".join(f"{row.get(k, float('nan')):.4f}" for k in keys)
                     + " |")
    write_report(run_dir, config["recipe"], lines + ["", "## Plots", ""] + plot_lines(plots, run_dir))


def _n_params(module) -> str:
    return f"{sum(p.numel() for p in module.parameters()):,}"


# ------------------------------------------------------------------------------ autoencoder / VAE
def run_autoencoder(config: dict, run_dir, resume: bool = False, progress: bool = True) -> dict:
    manual_seed(config["seed"])
    resume = start_run(config, run_dir, resume)
    x, y, xt, yt, DataLoader, TensorDataset = _digits(config)
    model = _build(config)
    is_vae = isinstance(model, VAE)
    train = DataLoader(TensorDataset(tensor(x), tensor(y)), batch_size=config["batch_size"], shuffle=True)
    val = DataLoader(TensorDataset(tensor(xt), tensor(yt)), batch_size=500)
    callbacks = []
    fixed = randn(64, model.latent_dim, generator=Generator().manual_seed(config["seed"] + 1))
    if is_vae:
        callbacks.append(_EpochSamples(os.path.join(run_dir.plots, "samples"),
                                       lambda: _decode(model, fixed), (0.0, 1.0)))
    trainer = AutoencoderTrainer(model, optim.Adam(model.parameters(), lr=config["lr"]),
                                 val_loader=val, val_seed=config["seed"], run_dir=run_dir,
                                 progress=progress, callbacks=callbacks)
    desc = (f"`{type(model).__name__}` ({config['arch']}, latent {config['latent_dim']}), "
            f"{_n_params(model)} parameters")
    print(f"run folder: {run_dir.path}\nmodel: {desc}; data: {len(x)} training, {len(xt)} held-out digits",
          flush=True)
    history = trainer.fit(train, epochs=config["epochs"], resume=resume)
    model.eval()
    plt, plots = pyplot(), []
    shown = _one_per_digit(yt)
    with no_grad():
        codes = (model.encode(tensor(xt))[0] if is_vae else model.encode(tensor(xt))).numpy()
        recon = model(tensor(xt[shown]))
        recon = recon[0] if is_vae else recon
    plots.append(os.path.join(run_dir.plots, "reconstructions.png"))
    plt.close(gviz.plot_reconstructions(xt[shown], recon, plots[-1]))
    plots.append(os.path.join(run_dir.plots, "latent.png"))
    plt.close(gviz.plot_latent_scatter(codes, yt, plots[-1],
                                       title=f"{'VAE means' if is_vae else 'Codes'} of the held-out digits"))
    final, quality = history[-1], None
    if is_vae:
        quality, sections = _vae_results(config, run_dir, model, history, codes, fixed, xt, yt,
                                         plots, progress)
    else:
        plots.append(os.path.join(run_dir.plots, "loss.png"))
        plt.close(plot_curves(history, ("train_loss", "val_loss"), "reconstruction loss (nats/image)"
                              if config["loss"] == "bce" else "squared error per image",
                              "Reconstruction loss", plots[-1]))
        sections = ["## Reconstruction", "", f"- held-out reconstruction loss {final['val_loss']:.3f} "
                    f"per image (train {final['train_loss']:.3f})", ""]
    _report(run_dir, config, desc, history, sections, plots)
    print(f"report: {run_dir.file('report.md')}", flush=True)
    return {"history": history, "quality": quality}


def _vae_results(config, run_dir, model, history, codes, fixed, xt, yt, plots, progress):
    """The VAE's ELBO curve, prior samples, interpolations and GIF (appended to ``plots``) and
    its sample-quality score; returns (the score, the report's sections)."""
    plt, final = pyplot(), history[-1]
    plots.append(os.path.join(run_dir.plots, "elbo.png"))
    plt.close(gviz.plot_elbo(history, plots[-1]))
    plots.append(os.path.join(run_dir.plots, "samples.png"))
    plt.close(gviz.plot_sample_grid(_decode(model, fixed), plots[-1], "Samples from the prior", 8))
    plots.append(os.path.join(run_dir.plots, "interpolations.png"))
    plt.close(gviz.plot_interpolations(_interpolations(model, codes, xt, yt), plots[-1]))
    plots.append(_gif(run_dir, config["epochs"]))
    val_elbo = [-r["val_loss"] for r in history]
    rising = next((i for i in range(1, len(val_elbo)) if val_elbo[i] <= val_elbo[i - 1]), len(val_elbo))
    sections = ["## ELBO", "",
                f"- held-out ELBO: {val_elbo[-1]:.2f} nats per image (reconstruction "
                f"{final['val_recon']:.2f}, KL {final['val_kl']:.2f}); train {-final['train_loss']:.2f}",
                f"- the held-out ELBO rose at every epoch for the first {rising} epochs", ""]

    def sample(n, g):
        return _decode(model, randn(n, model.latent_dim, generator=g))

    quality, lines = _score(config, run_dir, sample, xt, progress)
    return quality, sections + lines


def _decode(model, z):
    with no_grad():
        return model.decode(z).numpy()


def _one_per_digit(labels, count: int = 10) -> np.ndarray:
    """Indices of the first held-out image of each digit (then the next ones, up to ``count``)."""
    first = [int(np.flatnonzero(labels == d)[0]) for d in range(10) if (labels == d).any()]
    rest = [i for i in range(len(labels)) if i not in set(first)]
    return np.array((first + rest)[:count], dtype=np.int64)


def _interpolations(model, codes, xt, yt, steps: int = 10):
    pairs = [(0, 1), (2, 3), (4, 5), (6, 7), (8, 9), (1, 7)]
    first = {d: int(np.flatnonzero(yt == d)[0]) for d in range(10) if (yt == d).any()}
    rows = [_decode(model, tensor(gviz.interpolate_latents(codes[first[a]], codes[first[b]], steps)))
            for a, b in pairs if a in first and b in first]
    if not rows:
        raise RecipeError("vae-mnist: the held-out digits lack the classes to interpolate between")
    return rows


register("autoencoder-mnist", "autoencoder (MLP, or --set arch=conv) with a 2-D code on MNIST: "
         "reconstructions and the latent space coloured by digit", AE_DEFAULTS)(run_autoencoder)
register("vae-mnist", "variational autoencoder on MNIST: ELBO curve, samples from the prior, "
         "reconstructions, latent interpolations, sample-quality score", VAE_DEFAULTS)(run_autoencoder)


# ------------------------------------------------------------------------------ GANs
def _augment(config: dict):
    """The discriminator's differentiable augmentation the ``translate`` and ``cutout`` settings
    ask for, or None."""
    steps = []
    if config.get("translate"):
        steps.append(RandomTranslate(int(config["translate"])))
    if config.get("cutout"):
        steps.append(RandomCutout(float(config["cutout"])))
    return DiffAugment(steps) if steps else None


def run_gan(config: dict, run_dir, resume: bool = False, progress: bool = True) -> dict:
    manual_seed(config["seed"])
    resume = start_run(config, run_dir, resume)
    x, y, xt, yt, DataLoader, TensorDataset = _digits(config)
    model = _build(config)
    g, d = model.generator, model.discriminator
    train = DataLoader(TensorDataset(tensor(x * 2 - 1), tensor(y)), batch_size=config["batch_size"],
                       shuffle=True, drop_last=True)
    betas = (config["beta1"], 0.999)
    d_lr = config["lr"] if config.get("d_lr") is None else config["d_lr"]  # TTUR: a d_lr of its own
    optimizers = [optim.Adam(g.parameters(), lr=config["lr"], betas=betas),
                  optim.Adam(d.parameters(), lr=d_lr, betas=betas)]
    trainer = GANTrainer(g, d, *optimizers, model.latent_dim,
                         loss=config["loss"], gp_weight=config["gp_weight"], d_steps=config["d_steps"],
                         real_label=config["real_label"], ema_decay=config.get("ema"),
                         augment=_augment(config), run_dir=run_dir, progress=progress)
    sampler = g if trainer.generator_ema is None else trainer.generator_ema  # makes the samples
    fixed = randn(64, model.latent_dim, generator=Generator().manual_seed(config["seed"] + 1))
    scorer = _gan_callbacks(config, run_dir, trainer, sampler, fixed, optimizers, progress)
    lrs = f"lr {config['lr']:g}" + (f", discriminator lr {d_lr:g}" if d_lr != config["lr"] else "")
    desc = (f"`{type(model).__name__}`: generator {_n_params(g)}, discriminator {_n_params(d)} "
            f"parameters; {config['loss']} loss, Adam({lrs}, betas {betas})")
    print(f"run folder: {run_dir.path}\nmodel: {desc}; data: {len(x)} training digits", flush=True)
    history = trainer.fit(train, epochs=config["epochs"], resume=resume)
    model.generator = sampler  # the averaged generator (if kept) makes the samples from now on
    plt, plots = pyplot(), []
    plots.append(os.path.join(run_dir.plots, "samples.png"))
    plt.close(gviz.plot_sample_grid(_generate(sampler, fixed), plots[-1], f"Samples after epoch "
                                    f"{len(history)} (fixed noise)", 8, value_range=(-1.0, 1.0)))
    plots.append(_gif(run_dir, config["epochs"]))
    plots.append(os.path.join(run_dir.plots, "losses.png"))
    plt.close(gviz.plot_gan_losses(history, plots[-1], f"{type(model).__name__} losses"))
    curve = [row for row in history if "sample_confident" in row]
    if curve:  # a score_every run: its sample quality against epoch
        plots.append(os.path.join(run_dir.plots, "sample_quality.png"))
        plt.close(plot_curves(curve, ("sample_confident",), "fraction classified with confidence >= 0.9",
                              "Sample quality during training", plots[-1]))
    quality, sections = _score(config, run_dir,
                               lambda n, gen: (model.sample(n, generator=gen).numpy() + 1) / 2,
                               xt, progress, scorer)
    _report(run_dir, config, desc, history, sections + _curve_lines(history), plots)
    print(f"samples: {plots[0]}\nreport: {run_dir.file('report.md')}", flush=True)
    return {"history": history, "quality": quality}


def _generate(sampler, z):
    """Images in [-1, 1] from ``sampler`` (the generator, or its average), in eval mode."""
    was = sampler.training
    sampler.eval()
    with no_grad():
        out = sampler(z).numpy()
    sampler.train(was)
    return out


def _gan_callbacks(config, run_dir, trainer, sampler, fixed, optimizers, progress):
    """Add the GAN's callbacks to ``trainer``: samples of the fixed noise every epoch, the
    sample-quality curve (``score_every``) and the linear learning-rate decay (``lr_decay``).
    Returns the scorer made for the curve (None without one)."""
    trainer.callbacks.append(_EpochSamples(os.path.join(run_dir.plots, "samples"),
                                           lambda: _generate(sampler, fixed), (-1.0, 1.0)))
    scorer = None
    if config.get("score_every"):  # the sample-quality curve needs the classifier from the start
        rng = random_state.capture()  # building (or training) the classifier must not move the
        scorer = _scorer(config, progress)  # run's random stream: same run with or without a curve
        random_state.restore(rng)
        trainer.callbacks.append(_QualityCurve(
            scorer[0], lambda n, gen: (_generate(sampler, randn(n, fixed.shape[1], generator=gen))
                                       + 1) / 2,
            int(config["score_every"]), int(config["score_samples"])))
    decay_epochs = round(config["epochs"] * float(config.get("lr_decay") or 0))
    if decay_epochs:
        trainer.callbacks.append(_LinearLrDecay(optimizers, config["epochs"], decay_epochs))
    return scorer


GAN_CHECKS = {"loss": one_of("nonsaturating", "wgan-gp")}  # checked before the run folder exists
register("gan-mnist", "GAN with MLP generator and discriminator on MNIST (non-saturating loss, "
         "Adam beta1 0.5): samples per epoch and a GIF, losses, sample-quality score",
         GAN_DEFAULTS, GAN_CHECKS)(run_gan)
register("dcgan-mnist", "DCGAN (transposed-conv generator with batch norm, strided-conv "
         "discriminator) on MNIST: samples per epoch and a GIF, losses, sample-quality score",
         DCGAN_DEFAULTS, GAN_CHECKS)(run_gan)


# ------------------------------------------------------------------------------ generate
def generate(run_dir_path: str, n: int = 64, out: str | None = None, seed: int | None = None) -> str:
    """Sample ``n`` images from a trained vae-mnist, gan-mnist or dcgan-mnist run and write them as
    one PNG grid (default ``RUN_DIR/plots/generated.png``); returns the path."""
    if not os.path.isdir(run_dir_path):
        raise RecipeError(f"generate: {run_dir_path}: no such run folder")
    if n < 1:
        raise RecipeError(f"generate: -n must be at least 1, got {n}")
    run_dir = RunDir(run_dir_path)
    config = run_dir.read_config()
    recipe = config.get("recipe")
    if recipe not in ("vae-mnist", "gan-mnist", "dcgan-mnist"):
        raise RecipeError(f"generate: {run_dir_path} is a run of {recipe}; generate samples from "
                          "vae-mnist, gan-mnist or dcgan-mnist runs")
    if not os.path.exists(run_dir.checkpoint):
        raise RecipeError(f"generate: {run_dir_path} has no checkpoint.npz (did an epoch finish?)")
    model = _build(config)
    state = load(run_dir.checkpoint)
    gen = Generator().manual_seed(seed) if seed is not None else None
    if isinstance(model, VAE):
        model.load_state_dict(state["model"])
        model.eval()
        images, value_range = _decode(model, randn(n, model.latent_dim, generator=gen)), (0.0, 1.0)
    else:
        model.generator.load_state_dict(state.get("generator_ema", state["generator"]))
        images, value_range = model.sample(n, generator=gen).numpy(), (-1.0, 1.0)
    path = out or os.path.join(run_dir.plots, "generated.png")
    gviz.save_image_grid(images, path, value_range=value_range)
    return path
