"""GANTrainer, AutoencoderTrainer and the WGAN-GP gradient penalty: the penalty and its double-
backward gradient against PyTorch on the same weights, alternating steps, and exact resume (after
whole epochs and after an interrupt mid-epoch)."""
import json

import numpy as np
import pytest

import graphgrad as gg
from graphgrad import optim
from graphgrad.models import DCGAN, GAN, VAE
from graphgrad.models.gan import DCDiscriminator, MLPDiscriminator
from graphgrad.train import RunDir
from graphgrad.train.callbacks import Callback
from graphgrad.train.gan import AutoencoderTrainer, GANTrainer, gradient_penalty
from graphgrad.utils.data import DataLoader, TensorDataset


def _torch_twin(torch, module):
    """The same layers in PyTorch with the same weights (float64)."""
    layers = []
    for m in module:
        name = type(m).__name__
        if name == "Conv2d":
            t = torch.nn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding,
                                bias=m.bias is not None)
        elif name == "Linear":
            t = torch.nn.Linear(m.in_features, m.out_features, bias=m.bias is not None)
        elif name == "LeakyReLU":
            t = torch.nn.LeakyReLU(m.negative_slope)
        elif name == "Flatten":
            t = torch.nn.Flatten()
        elif name in ("Identity", "Dropout"):
            t = torch.nn.Identity()
        else:
            raise AssertionError(name)
        layers.append(t)
    twin = torch.nn.Sequential(*layers).double()
    twin.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in module.state_dict().items()})
    return twin


@pytest.mark.parametrize("make", [
    lambda: DCDiscriminator(channels=3, batch_norm=False),
    lambda: MLPDiscriminator(hidden_sizes=(12, 8), dropout=0.0),
])
def test_gradient_penalty_matches_torch_double_backward(make):
    torch = pytest.importorskip("torch")
    d = make().double()
    twin = _torch_twin(torch, d)
    rng = np.random.default_rng(0)
    real, fake = rng.standard_normal((4, 1, 28, 28)), rng.standard_normal((4, 1, 28, 28))
    alpha = rng.random((4, 1, 1, 1))
    gp = gradient_penalty(d, gg.tensor(real), gg.tensor(fake), alpha=gg.tensor(alpha))
    gp.backward()
    x_hat = torch.tensor(alpha * real + (1 - alpha) * fake, requires_grad=True)
    (g,) = torch.autograd.grad(twin(x_hat).sum(), x_hat, create_graph=True)
    expected = ((g.reshape(4, -1).norm(2, dim=1) - 1) ** 2).mean()
    expected.backward()
    assert float(gp) == pytest.approx(expected.item(), rel=1e-10)
    for (name, p), tp in zip(d.named_parameters(), twin.parameters()):
        ours = np.zeros(tuple(p.shape)) if p.grad is None else p.grad.numpy()
        theirs = np.zeros(tuple(tp.shape)) if tp.grad is None else tp.grad.numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-12, err_msg=name)


def test_gradient_penalty_checks_shapes():
    d = MLPDiscriminator(hidden_sizes=(4,))
    with pytest.raises(ValueError, match="same shape"):
        gradient_penalty(d, gg.rand(2, 1, 28, 28), gg.rand(3, 1, 28, 28))


def _loader(n=48, batch=16):
    x = gg.rand(n, 1, 28, 28) * 2 - 1
    return DataLoader(TensorDataset(x, gg.zeros(n, dtype=gg.int64)), batch_size=batch, shuffle=True,
                      drop_last=True)


def _gan_trainer(run_dir=None, loss="nonsaturating", d_steps=1, callbacks=(), dc=False, ema=None):
    gg.manual_seed(0)
    model = (DCGAN(latent_dim=6, channels=3, d_batch_norm=loss != "wgan-gp") if dc
             else GAN(latent_dim=6, g_hidden=(16,), d_hidden=(16,)))
    g, d = model.generator, model.discriminator
    trainer = GANTrainer(g, d, optim.Adam(g.parameters(), lr=1e-3, betas=(0.5, 0.999)),
                         optim.Adam(d.parameters(), lr=1e-3, betas=(0.5, 0.999)), 6, loss=loss,
                         d_steps=d_steps, ema_decay=ema, run_dir=run_dir, progress=False,
                         callbacks=callbacks)
    return model, trainer


@pytest.mark.parametrize("loss,dc", [("nonsaturating", False), ("nonsaturating", True),
                                     ("wgan-gp", False), ("wgan-gp", True)])
def test_gan_trainer_alternates_and_reports(loss, dc):
    model, trainer = _gan_trainer(loss=loss, dc=dc)
    before = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    history = trainer.fit(_loader(), epochs=2)
    assert len(history) == 2
    for key in ("d_loss", "g_loss", "d_real", "d_fake") + (("gp",) if loss == "wgan-gp" else ()):
        assert np.isfinite(history[-1][key]), key
    after = model.state_dict()
    for prefix in ("generator.", "discriminator."):
        assert any(not np.array_equal(before[k], after[k].numpy()) for k in before if k.startswith(prefix))
    if loss == "nonsaturating":
        assert 0 < history[-1]["d_real"] < 1 and 0 < history[-1]["d_fake"] < 1
    for p in model.discriminator.parameters():  # the generator step hands D's weights back
        assert p.requires_grad


def test_d_steps_makes_fewer_generator_steps():
    model, trainer = _gan_trainer(d_steps=3)
    trainer.fit(_loader(n=96), epochs=1)  # 6 discriminator steps, 2 generator steps
    assert trainer.global_step == 6
    g_state = trainer.g_optimizer.state_dict()["state"]
    d_state = trainer.d_optimizer.state_dict()["state"]
    assert int(next(iter(g_state.values()))["step"]) == 2
    assert int(next(iter(d_state.values()))["step"]) == 6


def test_ema_generator_averages_the_weights():
    model, trainer = _gan_trainer(ema=0.999, dc=True)
    g, ema = model.generator, trainer.generator_ema
    start = _weights(g)
    trainer.fit(_loader(n=16, batch=16), epochs=1)  # one discriminator and one generator step
    after = _weights(g)
    decay = 2 / 11  # warm-up: min(0.999, (1 + t) / (10 + t)) at t = 1
    for (name, p), avg in zip(g.named_parameters(), ema.parameters()):
        np.testing.assert_allclose(avg.numpy(), decay * start[name] + (1 - decay) * after[name],
                                   rtol=1e-5, atol=1e-7, err_msg=name)
        assert not avg.requires_grad
    assert not ema.training and all(m.momentum == 0.1 for m in ema.modules() if hasattr(m, "momentum"))
    with pytest.raises(ValueError, match="ema_decay"):
        _gan_trainer(ema=1.5)


def test_standing_batch_norm_stats_average_over_noise_batches():
    from graphgrad.backend import Generator
    from graphgrad.train import random_state
    from graphgrad.train.gan import standing_batch_norm_stats

    g = DCGAN(latent_dim=6, channels=3).generator
    before = random_state.capture()
    standing_batch_norm_stats(g, 6, batches=3, batch_size=20, seed=5)
    assert random_state.capture() == before and not g.training
    rng = Generator().manual_seed(5)
    with gg.no_grad():
        pre_bn = [g[0](gg.randn(20, 6, generator=rng)).numpy() for _ in range(3)]
    bn = g[1]
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([a.mean(0) for a in pre_bn], 0),
                               rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(bn.running_var.numpy(), np.mean([a.var(0, ddof=1) for a in pre_bn], 0),
                               rtol=1e-4, atol=1e-7)
    assert int(bn.num_batches_tracked) == 3 and bn.momentum == 0.1


def test_bad_trainer_settings():
    model = GAN(latent_dim=4, g_hidden=(4,), d_hidden=(4,))
    opt = optim.Adam(model.parameters())
    with pytest.raises(ValueError, match="loss must be"):
        GANTrainer(model.generator, model.discriminator, opt, opt, 4, loss="hinge")
    with pytest.raises(ValueError, match="d_steps"):
        GANTrainer(model.generator, model.discriminator, opt, opt, 4, d_steps=0)


def _weights(model):
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


class _InterruptAt(Callback):
    def __init__(self, step):
        self.step = step

    def on_batch_end(self, trainer, step, metrics):
        if step == self.step:
            raise KeyboardInterrupt


@pytest.mark.parametrize("interrupt_at,ema", [(None, None), (4, None), (4, 0.9)])
def test_gan_resume_is_exact(tmp_path, interrupt_at, ema):
    straight, t1 = _gan_trainer(dc=True, ema=ema)
    t1.fit(_loader(), epochs=3)
    run = RunDir(str(tmp_path / "run"))
    _, t2 = _gan_trainer(run, dc=True, ema=ema,
                         callbacks=[_InterruptAt(interrupt_at)] if interrupt_at else ())
    if interrupt_at:
        with pytest.raises(KeyboardInterrupt):
            t2.fit(_loader(), epochs=3)
    else:
        t2.fit(_loader(), epochs=1)
    gg.manual_seed(123)  # a resumed run must not depend on the state of the process
    resumed, t3 = _gan_trainer(run, dc=True, ema=ema)
    history = t3.fit(_loader(), epochs=3, resume=True)
    a, b = _weights(straight), _weights(resumed)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    if ema:
        a, b = _weights(t1.generator_ema), _weights(t3.generator_ema)
        for k in a:
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    drop = ("time", "images_per_s")
    assert [{k: v for k, v in r.items() if k not in drop} for r in history] == \
        [{k: v for k, v in r.items() if k not in drop} for r in t1.history]
    assert len(run.read_metrics()) == 3


def _vae_setup(run_dir=None):
    gg.manual_seed(0)
    model = VAE(latent_dim=3, hidden_sizes=(32,))
    x = gg.rand(64, 1, 28, 28)
    y = gg.zeros(64, dtype=gg.int64)
    train = DataLoader(TensorDataset(x[:48], y[:48]), batch_size=16, shuffle=True)
    val = DataLoader(TensorDataset(x[48:], y[48:]), batch_size=16)
    trainer = AutoencoderTrainer(model, optim.Adam(model.parameters(), lr=3e-3), val_loader=val,
                                 run_dir=run_dir, progress=False)
    return model, trainer, train


def test_autoencoder_trainer_reports_parts_and_resumes(tmp_path):
    model, trainer, train = _vae_setup()
    history = trainer.fit(train, epochs=4)
    assert set(history[0]) >= {"train_loss", "train_recon", "train_kl", "val_loss", "val_recon", "val_kl"}
    assert history[-1]["val_loss"] < history[0]["val_loss"]
    assert history[-1]["train_loss"] == pytest.approx(history[-1]["train_recon"] + history[-1]["train_kl"],
                                                      rel=1e-5)
    # held-out figures use a fixed noise seed: evaluating twice gives the same numbers
    assert trainer.evaluate(trainer.val_loader) == trainer.evaluate(trainer.val_loader)
    run = RunDir(str(tmp_path / "vae"))
    _, t2, train2 = _vae_setup(run)
    t2.fit(train2, epochs=2)
    resumed, t3, train3 = _vae_setup(run)
    t3.fit(train3, epochs=4, resume=True)
    a, b = _weights(model), _weights(resumed)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    rows = [json.loads(line) for line in open(run.file("metrics.jsonl"))]
    assert [r["epoch"] for r in rows] == [1, 2, 3, 4]


def test_resume_without_checkpoint_is_an_error(tmp_path):
    _, trainer = _gan_trainer(RunDir(str(tmp_path / "empty")))
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        trainer.fit(_loader(), epochs=1, resume=True)


def test_random_translate_shifts_each_image_and_passes_gradients():
    from graphgrad.train.gan import RandomTranslate

    rng = np.random.default_rng(0)
    x = gg.tensor(rng.standard_normal((6, 1, 7, 9)), requires_grad=True)
    gg.manual_seed(3)
    offsets = gg.randint(-2, 3, (2, 6)).numpy()
    gg.manual_seed(3)
    y = RandomTranslate(2, fill=-1.0)(x)
    xn = x.detach().numpy()
    for i, (dy, dx) in enumerate(offsets.T):
        expected = np.full((7 + 4, 9 + 4), -1.0)
        expected[2 + dy:2 + dy + 7, 2 + dx:2 + dx + 9] = xn[i, 0]
        np.testing.assert_allclose(y.detach().numpy()[i, 0], expected[2:9, 2:11], atol=1e-12)
    weights = gg.tensor(rng.standard_normal((6, 1, 7, 9)))
    (y * weights).sum().backward()
    gg.manual_seed(3)
    check = gg.tensor(xn, requires_grad=True)
    (RandomTranslate(2, fill=-1.0)(check) * weights).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), check.grad.numpy())
    assert RandomTranslate(0)(x) is x
    with pytest.raises(ValueError, match="max_shift"):
        RandomTranslate(-1)


def test_random_cutout_blanks_one_square_per_image_and_passes_gradients():
    from graphgrad.train.gan import DiffAugment, RandomCutout, RandomTranslate

    rng = np.random.default_rng(1)
    x = gg.tensor(rng.uniform(0.5, 1.0, (40, 1, 8, 8)), requires_grad=True)  # no pixel is the fill
    y = RandomCutout(0.5, fill=-1.0)(x)
    yn, xn = y.detach().numpy()[:, 0], x.detach().numpy()[:, 0]
    blank = yn == -1.0
    np.testing.assert_allclose(yn[~blank], xn[~blank], rtol=1e-14)  # the rest is untouched
    for square in blank:  # one axis-aligned block of at most 4 x 4, clipped at the edges
        rows, cols = np.nonzero(square.any(1))[0], np.nonzero(square.any(0))[0]
        assert 1 <= len(rows) <= 4 and 1 <= len(cols) <= 4
        assert square.sum() == len(rows) * len(cols) and np.ptp(rows) == len(rows) - 1
    assert {int(s.sum()) for s in blank} >= {16}  # most squares lie wholly inside
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[:, 0], (~blank).astype(float))
    assert DiffAugment([RandomTranslate(0), RandomCutout(0.0)])(x) is x
    with pytest.raises(ValueError, match=r"RandomCutout: fraction must be in \[0, 1\)"):
        RandomCutout(1.0)


def test_trainer_with_augmentation_trains_and_resumes(tmp_path):
    from graphgrad.train.gan import DiffAugment, RandomCutout, RandomTranslate

    def make(run=None):
        model, trainer = _gan_trainer(run, dc=True)
        trainer.augment = DiffAugment([RandomTranslate(2), RandomCutout(0.5)])
        return model, trainer

    straight, t1 = make()
    t1.fit(_loader(), epochs=2)
    assert np.isfinite(t1.history[-1]["g_loss"])
    run = RunDir(str(tmp_path / "aug"))
    make(run)[1].fit(_loader(), epochs=1)
    resumed, t3 = make(run)
    t3.fit(_loader(), epochs=2, resume=True)
    a, b = _weights(straight), _weights(resumed)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
