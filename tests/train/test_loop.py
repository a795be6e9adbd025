"""The one training loop: every kind of step runs on it; callbacks get dicts; schedulers by kind;
checkpoints at batch boundaries resume bit for bit (Ctrl-C, an exception in a callback, timed and
first-steps checkpoints, a changed number of epochs); a full disk, stale temporary files and the
umask."""
import errno
import os
import shutil
import signal

import numpy as np
import pytest

import graphgrad as gg
from graphgrad import nn, optim
from graphgrad.train import (Callback, CheckpointWriteError, GradientDiagnostics, Loop, LossStep,
                             RunDir, Trainer)
from graphgrad.train.gan import GANTrainer
from graphgrad.utils.data import DataLoader, Dataset, TensorDataset
from graphgrad.vision import transforms as T


class Noisy(TensorDataset):
    """Samples with random augmentation drawn in __getitem__ (graphgrad's generator)."""

    def __getitem__(self, i):
        x, y = super().__getitem__(i)
        return x + 0.1 * gg.randn(*x.shape), y


def _data(n=96, d=6, noisy=True, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    return (Noisy if noisy else TensorDataset)(gg.tensor(x), gg.tensor(y))


def _trainer(run_dir=None, callbacks=(), scheduler=None, epochs=3, **options):
    """A small model with dropout, shuffled and augmented batches: every source of randomness."""
    gg.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 2))
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = scheduler(opt) if scheduler else None
    return Trainer(model, nn.CrossEntropyLoss(), opt, sched, callbacks=callbacks, run_dir=run_dir,
                   progress=False, **options)


def _loader(**kw):
    return DataLoader(_data(), batch_size=8, shuffle=True, **kw)


def _weights(loop):
    state = loop.state_dict()
    return {f"{name}.{k}": np.array(v.numpy()) for name in loop.step.modules()
            for k, v in state[name].items()}


def _same(a, b):
    assert sorted(a) == sorted(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


class StopAt(Callback):
    """Raise ``error`` (KeyboardInterrupt: a Ctrl-C) after training step ``step``."""

    def __init__(self, step, error=KeyboardInterrupt):
        self.step, self.error = step, error

    def on_batch_end(self, trainer, step, logs):
        if step == self.step:
            raise self.error()


class Logs(Callback):
    def __init__(self):
        self.batches, self.epochs = [], []

    def on_batch_end(self, trainer, step, logs):
        self.batches.append((step, logs))

    def on_epoch_end(self, trainer, logs):
        self.epochs.append(dict(logs))


def _straight(tmp_path, **kw):
    trainer = _trainer(**kw)
    trainer.fit(_loader(), epochs=3)
    return trainer


# ------------------------------------------------------------------ steps and callbacks
def test_every_step_kind_reports_dicts_to_one_callback_signature():
    from graphgrad.models import GAN, VAE, CharRNN
    from graphgrad.train import AutoencoderTrainer, LanguageModelTrainer

    gg.manual_seed(0)
    seen = {}
    for kind in ("supervised", "loss", "gan", "vae", "lm"):
        logs = Logs()
        if kind == "supervised":
            _trainer(callbacks=[logs]).fit(_loader(), epochs=1)
        elif kind == "loss":
            model = nn.Linear(6, 1)
            step = LossStep(model, optim.SGD(model.parameters(), lr=0.1),
                            lambda m, b: {"loss": (m(b[0]) ** 2).mean(), "scale": 2.0})
            Loop(step, callbacks=[logs], progress=False).fit(_loader(), epochs=1)
        elif kind == "gan":
            m = GAN(latent_dim=4, g_hidden=(8,), d_hidden=(8,))
            GANTrainer(m.generator, m.discriminator, optim.Adam(m.generator.parameters()),
                       optim.Adam(m.discriminator.parameters()), 4, callbacks=[logs],
                       progress=False).fit(DataLoader(TensorDataset(gg.rand(16, 1, 28, 28)),
                                                      batch_size=8), epochs=1)
        elif kind == "vae":
            m = VAE(latent_dim=2, hidden_sizes=(8,))
            AutoencoderTrainer(m, optim.Adam(m.parameters()), callbacks=[logs], progress=False).fit(
                DataLoader(TensorDataset(gg.rand(16, 1, 28, 28)), batch_size=8), epochs=1)
        else:
            m = CharRNN(5, 4, 8, num_layers=1)
            LanguageModelTrainer(m, optim.Adam(m.parameters()), batch_size=2, seq_len=5,
                                 callbacks=[logs], progress=False).fit(
                np.random.default_rng(0).integers(0, 5, 60), epochs=1)
        step, first = logs.batches[0]
        assert step == 1 and isinstance(first, dict) and first
        assert all(isinstance(v, float) for v in first.values()), (kind, first)
        seen[kind] = (set(first), set(logs.epochs[0]))
    assert seen["supervised"][0] == {"train_loss", "train_acc"}
    assert seen["loss"][0] == {"train_loss", "train_scale"} and "lr" in seen["loss"][1]
    assert {"d_loss", "g_loss", "d_real", "d_fake"} <= seen["gan"][0]
    assert {"train_loss", "train_recon", "train_kl"} == seen["vae"][0]
    assert {"train_bpc", "tokens_per_s", "step"} <= seen["lm"][1]


def test_callback_can_end_training_after_a_step():
    class Stop(Callback):
        def on_batch_end(self, trainer, step, logs):
            return step == 5

    trainer = _trainer(callbacks=[Stop()])
    history = trainer.fit(_loader(), epochs=3)
    assert trainer.global_step == 5 and len(history) == 1 and history[0]["partial"]


def test_gradient_diagnostics_on_a_gan():
    from graphgrad.models import GAN

    gg.manual_seed(0)
    m = GAN(latent_dim=4, g_hidden=(8,), d_hidden=(8,))
    diag = GradientDiagnostics(every=1, warn=False)
    GANTrainer(m.generator, m.discriminator, optim.Adam(m.generator.parameters()),
               optim.Adam(m.discriminator.parameters()), 4, ema_decay=0.9, callbacks=[diag],
               progress=False).fit(DataLoader(TensorDataset(gg.rand(16, 1, 28, 28)), batch_size=8),
                                   epochs=1)
    layers = diag.records[-1]["layers"]
    assert any(k.startswith("generator.") for k in layers)
    assert any(k.startswith("discriminator.") for k in layers)
    assert not any(k.startswith("generator_ema") for k in layers)  # not trained: no gradients
    assert all(np.isfinite(r["loss"]) for r in diag.records)


# ------------------------------------------------------------------ schedulers
def test_schedulers_step_by_kind():
    one_cycle = _trainer(scheduler=lambda o: optim.lr_scheduler.OneCycleLR(o, 0.1, total_steps=24))
    one_cycle.fit(_loader(), epochs=2)  # 12 batches per epoch: stepped per batch, no error
    assert one_cycle.scheduler.last_epoch == 24
    plateau = _trainer(scheduler=lambda o: optim.lr_scheduler.ReduceLROnPlateau(o, patience=0))
    plateau.fit(_loader(), DataLoader(_data(seed=1), batch_size=32), epochs=3)
    assert plateau.scheduler.best == min(r["val_loss"] for r in plateau.history)
    with pytest.raises(ValueError, match="cannot step per batch"):
        _trainer(scheduler=lambda o: optim.lr_scheduler.ReduceLROnPlateau(o),
                 scheduler_step="batch")


@pytest.mark.parametrize("make", [
    lambda o, e: optim.lr_scheduler.OneCycleLR(o, 0.1, epochs=e, steps_per_epoch=12),
    lambda o, e: optim.lr_scheduler.CosineAnnealingLR(o, T_max=e),
    lambda o, e: optim.lr_scheduler.StepLR(o, step_size=max(1, e // 2)),
    lambda o, e: optim.lr_scheduler.ReduceLROnPlateau(o, patience=0),
])
def test_more_epochs_on_resume_replans_every_scheduler(tmp_path, make):
    """A run planned for 2 epochs, stopped in its second, resumed for 4: the schedule follows
    the 4-epoch plan from the step reached."""
    with pytest.raises(KeyboardInterrupt):
        _trainer(run_dir=str(tmp_path), scheduler=lambda o: make(o, 2),
                 callbacks=[StopAt(18)]).fit(_loader(), epochs=2)
    resumed = _trainer(run_dir=str(tmp_path), scheduler=lambda o: make(o, 4))
    history = resumed.fit(_loader(), epochs=4, resume=True)
    assert len(history) == 4 and resumed.global_step == 48
    if hasattr(resumed.scheduler, "total_steps"):
        assert resumed.scheduler.total_steps == 48 and resumed.scheduler.last_epoch == 48
    if hasattr(resumed.scheduler, "T_max"):
        assert resumed.scheduler.T_max == 4 and resumed.scheduler.last_epoch == 4


# ------------------------------------------------------------------ resuming exactly
@pytest.mark.parametrize("at", [1, 5, 12, 13, 30])
def test_interrupt_at_any_step_then_resume_is_exact(tmp_path, at):
    """KeyboardInterrupt from a callback after step ``at`` (12 steps per epoch: mid-epoch, at an
    epoch's last step, at the next one's first), with shuffling, augmentation and dropout."""
    straight = _straight(tmp_path)
    run = RunDir(str(tmp_path / "run"))
    with pytest.raises(KeyboardInterrupt):
        _trainer(run_dir=run, callbacks=[StopAt(at)]).fit(_loader(), epochs=3)
    gg.manual_seed(123)  # a resumed run does not depend on the process's random state
    resumed = _trainer(run_dir=run)
    history = resumed.fit(_loader(), epochs=3, resume=True)
    _same(_weights(straight), _weights(resumed))
    drop = ("time", "images_per_s")
    assert [{k: v for k, v in r.items() if k not in drop} for r in history] == \
        [{k: v for k, v in r.items() if k not in drop} for r in straight.history]
    assert len(run.read_metrics()) == 3


def test_sigint_is_taken_at_the_end_of_the_step(tmp_path):
    class CtrlC(Callback):
        def on_batch_end(self, trainer, step, logs):
            if step == 7:
                os.kill(os.getpid(), signal.SIGINT)

    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT is not handled by Python's default handler in this process")
    straight = _straight(tmp_path)
    run = RunDir(str(tmp_path / "run"))
    trainer = _trainer(run_dir=run, callbacks=[CtrlC()])
    with pytest.raises(KeyboardInterrupt):
        trainer.fit(_loader(), epochs=3)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    resumed = _trainer(run_dir=run)
    resumed.fit(_loader(), epochs=3, resume=True)
    _same(_weights(straight), _weights(resumed))


def test_interrupt_inside_a_step_keeps_the_last_checkpoint(tmp_path):
    run = RunDir(str(tmp_path / "run"))
    trainer = _trainer(run_dir=run)
    trainer.fit(_loader(), epochs=1)
    before = open(run.checkpoint, "rb").read()
    calls = [0]

    def loss(out, y):
        calls[0] += 1
        if calls[0] == 3:
            raise KeyboardInterrupt
        return nn.functional.cross_entropy(out, y)

    trainer.step.criterion = loss
    with pytest.raises(KeyboardInterrupt):
        trainer.fit(_loader(), epochs=2)
    assert open(run.checkpoint, "rb").read() == before


@pytest.mark.parametrize("workers", [0, 2])
def test_timed_checkpoints_resume_exactly_with_workers(tmp_path, workers):
    """A checkpoint at every step boundary (checkpoint_every=0); the run is resumed from the one
    written after step 17 (in epoch 2), with the augmentation done in worker processes."""
    class Snapshot(Callback):
        def on_batch_end(self, trainer, step, logs):
            if step == 18:  # the checkpoint on disk is the one written after step 17
                shutil.copytree(trainer.run_dir.path, tmp_path / "copy")

    straight = _trainer()
    straight.fit(_loader(num_workers=workers), epochs=3)
    _trainer(run_dir=str(tmp_path / "run"), checkpoint_every=0.0, callbacks=[Snapshot()]).fit(
        _loader(num_workers=workers), epochs=3)
    resumed = _trainer(run_dir=str(tmp_path / "copy"))
    resumed.fit(_loader(num_workers=workers), epochs=3, resume=True)
    _same(_weights(straight), _weights(resumed))


def test_checkpoint_after_the_first_steps(tmp_path):
    from graphgrad.train.checkpoint import progress

    run = RunDir(str(tmp_path / "run"))
    with pytest.raises(RuntimeError):  # a crash, not a Ctrl-C: no checkpoint of its own
        _trainer(run_dir=run, callbacks=[StopAt(11, RuntimeError)], checkpoint_first=4,
                 checkpoint_every=float("inf")).fit(_loader(), epochs=2)
    assert progress(run.checkpoint) == {"epoch": 0, "global_step": 4, "in_epoch": True, "epochs": 2}


def test_elapsed_adds_up_across_resumes(tmp_path):
    run = RunDir(str(tmp_path / "run"))
    first = _trainer(run_dir=run)
    first.fit(_loader(), epochs=1)
    second = _trainer(run_dir=run)
    second.fit(_loader(), epochs=2, resume=True)
    assert second.elapsed > first.elapsed > 0
    assert gg.load(run.checkpoint)["elapsed"] == pytest.approx(second.elapsed)


def test_time_limit_ends_training(tmp_path):
    trainer = _trainer(time_limit=1e-9)
    history = trainer.fit(_loader(), epochs=3)
    assert trainer.global_step == 1 and len(history) == 1 and history[0]["partial"]


# ------------------------------------------------------------------ files
def test_metrics_never_ahead_of_the_checkpoint(tmp_path):
    run = RunDir(str(tmp_path / "run"))
    _trainer(run_dir=run).fit(_loader(), epochs=2)
    rows = run.read_metrics()
    run.write_metrics(rows + [dict(rows[-1], epoch=3)])  # as if killed after metrics, before the checkpoint
    _trainer(run_dir=run).fit(_loader(), epochs=2, resume=True)
    assert [r["epoch"] for r in run.read_metrics()] == [1, 2]


def test_stale_temporary_files_are_removed(tmp_path):
    run = RunDir(str(tmp_path / "run"))
    os.makedirs(run.plots)
    stale = [run.file(".checkpoint.npz.0a1b2c3d.tmp"), run.file(".tmp-abcmetrics.jsonl"),
             os.path.join(run.plots, ".loss.png.12345678.png")]
    for path in stale:
        open(path, "w").close()
    open(run.file("keep.tmp.txt"), "w").close()
    _trainer(run_dir=run).fit(_loader(), epochs=1)
    assert not any(os.path.exists(p) for p in stale)
    assert os.path.exists(run.file("keep.tmp.txt"))


def test_disk_full_keeps_the_last_checkpoint_and_resumes_elsewhere(tmp_path, monkeypatch):
    from graphgrad import serialization

    straight = _straight(tmp_path)
    run = RunDir(str(tmp_path / "run"))
    real = serialization.atomic_write
    writes = [0]

    def full_disk(path, write):
        writes[0] += 1
        if writes[0] < 3:
            return real(path, write)

        def half(f):
            f.write(b"x" * 100)
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, half)

    monkeypatch.setattr(serialization, "atomic_write", full_disk)
    with pytest.raises(CheckpointWriteError) as info:
        _trainer(run_dir=run, checkpoint_first=5).fit(_loader(), epochs=3)  # writes: 5, epoch 1, 2
    message = str(info.value)
    assert info.value.errno == errno.ENOSPC and "\n" not in message
    assert "No space left on device" in message and "checkpoint.npz" in message
    assert "the previous checkpoint (epoch 1, step 12) is intact" in message
    assert isinstance(info.value, OSError) and info.value.__cause__ is None
    monkeypatch.undo()
    assert sorted(os.listdir(run.path)) == ["checkpoint.npz", "metrics.jsonl"]  # no temporary file
    elsewhere = shutil.copytree(run.path, tmp_path / "elsewhere")
    resumed = _trainer(run_dir=str(elsewhere))
    resumed.fit(_loader(), epochs=3, resume=True)
    _same(_weights(straight), _weights(resumed))


def test_files_follow_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        run = RunDir(str(tmp_path / "run"))
        _trainer(run_dir=run).fit(_loader(), epochs=1)
        run.write_config({"a": 1})
    finally:
        os.umask(old)
    for name in ("checkpoint.npz", "metrics.jsonl", "config.json"):
        assert os.stat(run.file(name)).st_mode & 0o777 == 0o640, name


def test_fewer_epochs_than_the_checkpoint_is_an_error(tmp_path):
    run = RunDir(str(tmp_path / "run"))
    with pytest.raises(KeyboardInterrupt):
        _trainer(run_dir=run, callbacks=[StopAt(15)]).fit(_loader(), epochs=3)
    with pytest.raises(ValueError, match="within epoch 2; epochs=1"):
        _trainer(run_dir=run).fit(_loader(), epochs=1, resume=True)


def test_augmentation_transforms_resume_exactly(tmp_path):
    """Image augmentation (RandomAffine on PIL-free arrays) in the DataLoader, as mnist-cnn."""
    rng = np.random.default_rng(0)
    images = (rng.random((40, 8, 8, 1)) * 255).astype(np.uint8)

    class Images(Dataset):
        tf = T.Compose([T.RandomAffine(degrees=10, translate=(0.1, 0.1)), T.ToTensor()])

        def __getitem__(self, i):
            return self.tf(images[i]), int(i % 2)

        def __len__(self):
            return len(images)

    def make(run_dir=None, callbacks=()):
        gg.manual_seed(0)
        model = nn.Sequential(nn.Flatten(), nn.Linear(64, 2))
        return Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                       run_dir=run_dir, callbacks=callbacks, progress=False)

    loader = DataLoader(Images(), batch_size=8, shuffle=True)
    straight = make()
    straight.fit(loader, epochs=2)
    run = str(tmp_path / "run")
    with pytest.raises(KeyboardInterrupt):
        make(run, [StopAt(7)]).fit(loader, epochs=2)
    resumed = make(run)
    resumed.fit(loader, epochs=2, resume=True)
    _same(_weights(straight), _weights(resumed))


def test_sigint_during_validation_stops_after_the_epoch_checkpoint(tmp_path):
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT is not handled by Python's default handler in this process")

    class CtrlCInValidation(Dataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            if i == 0:
                os.kill(os.getpid(), signal.SIGINT)
            return gg.zeros(6), 0

    run = RunDir(str(tmp_path / "run"))
    trainer = _trainer(run_dir=run)
    with pytest.raises(KeyboardInterrupt):
        trainer.fit(_loader(), DataLoader(CtrlCInValidation(), batch_size=8), epochs=3)
    assert trainer.epoch == 1 and len(run.read_metrics()) == 1


def test_a_sampler_with_set_epoch_is_told_each_epoch():
    from graphgrad.utils.data import SequentialSampler

    class Epochs(SequentialSampler):
        seen = []

        def set_epoch(self, epoch):
            self.seen.append(epoch)

    data = _data()
    _trainer().fit(DataLoader(data, batch_size=32, sampler=Epochs(data)), epochs=3)
    assert Epochs.seen == [0, 1, 2]
