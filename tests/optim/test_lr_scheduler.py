"""Learning-rate schedulers: rates (and cycled momentum) equal PyTorch's over 100 steps for two
parameter groups, state_dict resume, last_epoch semantics, warnings and bad input."""
import copy
import warnings

import numpy as np
import pytest

import graphgrad
from graphgrad import optim
from graphgrad.optim import lr_scheduler as gsched


def _optimizer(lib, name="SGD", **opts):
    """Two groups with different rates (0.1 and 0.05), as both libraries build them."""
    if lib is graphgrad:
        params = [graphgrad.zeros(2, requires_grad=True) for _ in range(2)]
        cls = getattr(optim, name)
    else:
        params, cls = [lib.zeros(2, requires_grad=True) for _ in range(2)], getattr(lib.optim, name)
    return cls([{"params": params[:1]}, {"params": params[1:], "lr": 0.05}], lr=0.1, **opts)


SCHEDULES = {
    "StepLR": lambda S, o: S.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda S, o: S.MultiStepLR(o, milestones=[10, 30, 30, 60], gamma=0.3),
    "ExponentialLR": lambda S, o: S.ExponentialLR(o, gamma=0.97),
    "CosineAnnealingLR": lambda S, o: S.CosineAnnealingLR(o, T_max=30, eta_min=1e-3),
    "CosineAnnealingLR-long": lambda S, o: S.CosineAnnealingLR(o, T_max=100),
    "CosineAnnealingWarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=10),
    "CosineAnnealingWarmRestarts-mult": lambda S, o: S.CosineAnnealingWarmRestarts(
        o, T_0=5, T_mult=2, eta_min=1e-3),
    "LinearLR": lambda S, o: S.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=20),
    "LinearLR-default": lambda S, o: S.LinearLR(o),
    "ConstantLR": lambda S, o: S.ConstantLR(o, factor=0.25, total_iters=7),
    "PolynomialLR": lambda S, o: S.PolynomialLR(o, total_iters=40, power=2.0),
    "LambdaLR": lambda S, o: S.LambdaLR(o, [lambda e: 0.95 ** e, lambda e: 1 / (1 + e)]),
    "MultiplicativeLR": lambda S, o: S.MultiplicativeLR(o, lambda e: 0.98),
    "OneCycleLR": lambda S, o: S.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=101),
    "OneCycleLR-linear-3phase": lambda S, o: S.OneCycleLR(
        o, max_lr=1.0, epochs=10, steps_per_epoch=11, anneal_strategy="linear", three_phase=True,
        pct_start=0.25, div_factor=10.0, final_div_factor=100.0),
    "OneCycleLR-no-momentum": lambda S, o: S.OneCycleLR(o, 0.3, total_steps=100,
                                                        cycle_momentum=False),
    "CyclicLR": lambda S, o: S.CyclicLR(o, 0.01, [0.1, 0.2], step_size_up=7, step_size_down=13),
    "CyclicLR-triangular2": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=9,
                                                    mode="triangular2", base_momentum=0.7),
    "CyclicLR-exp_range": lambda S, o: S.CyclicLR(o, [0.01, 0.02], 0.1, step_size_up=9,
                                                  mode="exp_range", gamma=0.99),
    "CyclicLR-scale_fn": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=5,
                                                 scale_fn=lambda x: 0.9 ** x,
                                                 scale_mode="iterations", cycle_momentum=False),
    "SequentialLR": lambda S, o: S.SequentialLR(
        o, [S.LinearLR(o, start_factor=0.1, total_iters=10), S.CosineAnnealingLR(o, T_max=50),
            S.ExponentialLR(o, gamma=0.9)], milestones=[10, 60]),
    "ChainedScheduler": lambda S, o: S.ChainedScheduler(
        [S.ConstantLR(o, factor=0.1, total_iters=5), S.ExponentialLR(o, gamma=0.95)]),
}
MOMENTUM = {"SGD": dict(momentum=0.9), "Adam": {}, "RMSprop": dict(momentum=0.5)}


def _momenta(opt):
    return [g["betas"] if "betas" in g else g.get("momentum") for g in opt.param_groups]


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
@pytest.mark.parametrize("sched", list(SCHEDULES))
def test_tracks_pytorch_for_100_steps(sched, opt_name):
    torch = pytest.importorskip("torch")
    og = _optimizer(graphgrad, opt_name, **MOMENTUM[opt_name])
    ot = _optimizer(torch, opt_name, **MOMENTUM[opt_name])
    sg = SCHEDULES[sched](gsched, og)
    st = SCHEDULES[sched](torch.optim.lr_scheduler, ot)
    assert sg.get_last_lr() == pytest.approx(st.get_last_lr(), rel=1e-12)
    for k in range(100):
        og.step()
        ot.step()
        sg.step()
        st.step()
        np.testing.assert_allclose(sg.get_last_lr(), st.get_last_lr(), rtol=1e-12,
                                   err_msg=f"step {k}")
        assert [g["lr"] for g in og.param_groups] == pytest.approx(
            [g["lr"] for g in ot.param_groups], rel=1e-12)
        for a, b in zip(_momenta(og), _momenta(ot)):
            assert np.allclose(a, b, rtol=1e-12), f"momentum at step {k}: {a} vs {b}"
    assert getattr(sg, "last_epoch", None) == getattr(st, "last_epoch", None)
    assert sorted(sg.state_dict()) == sorted(st.state_dict())


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(mode="max", factor=0.5, patience=2, threshold=0.1, threshold_mode="abs", cooldown=3,
         min_lr=[0.01, 0.02]),
    dict(mode="min", factor=0.3, patience=0, threshold=0.05, cooldown=1, min_lr=1e-3),
    dict(mode="max", patience=1, threshold_mode="rel", eps=1e-2),
])
def test_reduce_lr_on_plateau_tracks_pytorch(kwargs):
    torch = pytest.importorskip("torch")
    og, ot = _optimizer(graphgrad), _optimizer(torch)
    sg = gsched.ReduceLROnPlateau(og, **kwargs)
    st = torch.optim.lr_scheduler.ReduceLROnPlateau(ot, **kwargs)
    metrics = np.cumsum(np.random.default_rng(0).standard_normal(100))
    for k, m in enumerate(metrics):
        sg.step(graphgrad.tensor(m) if k % 2 else m)
        st.step(m)
        assert sg.get_last_lr() == st.get_last_lr(), f"step {k}"
        assert (sg.num_bad_epochs, sg.cooldown_counter, sg.best) == \
            (st.num_bad_epochs, st.cooldown_counter, st.best)
    assert sorted(sg.state_dict()) == sorted(st.state_dict())


def test_reduce_lr_on_plateau_reduces_after_patience():
    opt = optim.SGD([graphgrad.zeros(1, requires_grad=True)], lr=1.0)
    sched = gsched.ReduceLROnPlateau(opt, factor=0.5, patience=2)
    for m in [1.0, 1.0, 1.0]:
        sched.step(m)
    assert sched.get_last_lr() == [1.0]
    sched.step(1.0)  # a third epoch without improvement: more than patience
    assert sched.get_last_lr() == [0.5]


# ------------------------------------------------------------------------------ state dicts
def _roundtrip(state, how, tmp_path):
    if how == "deepcopy":
        return copy.deepcopy(state)
    if getattr(graphgrad, "save", None) is None:
        pytest.skip("graphgrad.save is not available yet")
    path = str(tmp_path / "state.ckpt")
    graphgrad.save(state, path)
    return graphgrad.load(path)


RESUMABLE = [s for s in SCHEDULES if s not in ("LambdaLR", "MultiplicativeLR",
                                               "CyclicLR-scale_fn")]


@pytest.mark.parametrize("how", ["deepcopy", "file"])
@pytest.mark.parametrize("sched", RESUMABLE)
def test_resume_from_state_dicts_is_exact(sched, how, tmp_path):
    straight = _optimizer(graphgrad, momentum=0.9)
    s_straight = SCHEDULES[sched](gsched, straight)
    lrs = []
    for _ in range(60):
        straight.step()
        s_straight.step()
        lrs.append(s_straight.get_last_lr())

    first = _optimizer(graphgrad, momentum=0.9)
    s_first = SCHEDULES[sched](gsched, first)
    for _ in range(25):
        first.step()
        s_first.step()
    saved = _roundtrip({"optimizer": first.state_dict(), "scheduler": s_first.state_dict()},
                       how, tmp_path)
    second = _optimizer(graphgrad, momentum=0.9)
    s_second = SCHEDULES[sched](gsched, second)  # build the scheduler, then load both
    second.load_state_dict(saved["optimizer"])
    s_second.load_state_dict(saved["scheduler"])
    for k in range(25, 60):
        second.step()
        s_second.step()
        assert s_second.get_last_lr() == pytest.approx(lrs[k], rel=1e-12), f"step {k}"


@pytest.mark.parametrize("how", ["deepcopy", "file"])
def test_reduce_lr_on_plateau_resumes(how, tmp_path):
    metrics = [1.0, 0.9, 0.95, 0.97, 0.99, 0.92, 0.91, 0.93, 0.94, 0.95, 0.96, 0.97]
    kwargs = dict(factor=0.5, patience=1, cooldown=1)
    opt = _optimizer(graphgrad)
    straight = gsched.ReduceLROnPlateau(opt, **kwargs)
    lrs = []
    for m in metrics:
        straight.step(m)
        lrs.append(straight.get_last_lr())
    opt1 = _optimizer(graphgrad)
    first = gsched.ReduceLROnPlateau(opt1, **kwargs)
    for m in metrics[:5]:
        first.step(m)
    saved = _roundtrip({"optimizer": opt1.state_dict(), "scheduler": first.state_dict()}, how,
                       tmp_path)
    opt2 = _optimizer(graphgrad)
    second = gsched.ReduceLROnPlateau(opt2, **kwargs)
    opt2.load_state_dict(saved["optimizer"])
    second.load_state_dict(saved["scheduler"])
    for k in range(5, len(metrics)):
        second.step(metrics[k])
        assert second.get_last_lr() == lrs[k], f"epoch {k}"


def test_lambda_state_dict_skips_plain_functions_and_keeps_callable_objects():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, epoch):
            return self.rate ** epoch

    opt = _optimizer(graphgrad)
    sched = gsched.LambdaLR(opt, [lambda e: 1.0, Decay()])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [None, {"rate": 0.5}]
    sd["lr_lambdas"][1]["rate"] = 0.25
    sched.load_state_dict(sd)
    assert sched.lr_lambdas[1].rate == 0.25


# -------------------------------------------------------------------------- last_epoch etc.
def test_construction_sets_initial_lr_and_epoch_zero():
    opt = _optimizer(graphgrad)
    sched = gsched.StepLR(opt, step_size=2)
    assert sched.last_epoch == 0 and sched.base_lrs == [0.1, 0.05]
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]


def test_resume_with_last_epoch_needs_initial_lr():
    opt = _optimizer(graphgrad)
    with pytest.raises(KeyError, match="initial_lr"):
        gsched.StepLR(opt, step_size=2, last_epoch=5)
    for g in opt.param_groups:
        g["initial_lr"] = g["lr"]
    sched = gsched.StepLR(opt, step_size=2, gamma=0.5, last_epoch=5)
    assert sched.last_epoch == 6


def test_step_with_epoch_uses_closed_form():
    torch = pytest.importorskip("torch")
    og, ot = _optimizer(graphgrad), _optimizer(torch)
    sg, st = gsched.CosineAnnealingLR(og, T_max=20), torch.optim.lr_scheduler.CosineAnnealingLR(
        ot, T_max=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in [3, 7, 7, 15, 2]:
            og.step()
            ot.step()
            sg.step(epoch)
            st.step(epoch)
            assert sg.get_last_lr() == pytest.approx(st.get_last_lr(), rel=1e-12)
    og, ot = _optimizer(graphgrad), _optimizer(torch)
    sg = gsched.CosineAnnealingWarmRestarts(og, T_0=4, T_mult=2)
    st = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(ot, T_0=4, T_mult=2)
    for epoch in [0.5, 3.25, 4.0, 11.75, 30.0]:
        og.step()
        ot.step()
        sg.step(epoch)
        st.step(epoch)
        assert sg.get_last_lr() == pytest.approx(st.get_last_lr(), rel=1e-12)


def test_warns_when_stepped_before_optimizer():
    opt = _optimizer(graphgrad)
    sched = gsched.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    opt2 = _optimizer(graphgrad)
    sched2 = gsched.StepLR(opt2, step_size=2)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched2.step()
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched2.get_lr()


def test_one_cycle_raises_past_total_steps():
    opt = _optimizer(graphgrad, momentum=0.9)
    sched = gsched.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        opt.step()
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total "
                                         "steps is 3"):
        sched.step()


def test_bad_input():
    opt = _optimizer(graphgrad)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        gsched.StepLR(object(), step_size=2)
    with pytest.raises(ValueError, match="step_size must be a positive integer"):
        gsched.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 3"):
        gsched.LambdaLR(opt, [lambda e: 1] * 3)
    with pytest.raises(ValueError, match="max_lr must have the same length as "
                                         "optimizer.param_groups"):
        gsched.OneCycleLR(opt, max_lr=[1.0], total_steps=10)
    with pytest.raises(ValueError, match="either total_steps OR"):
        gsched.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="pct_start"):
        gsched.OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=1.5)
    with pytest.raises(ValueError, match="anneal_strategy"):
        gsched.OneCycleLR(opt, max_lr=1.0, total_steps=10, anneal_strategy="step")
    adagrad = optim.Adagrad([graphgrad.zeros(1, requires_grad=True)])
    with pytest.raises(ValueError, match="must support momentum or beta1"):
        gsched.OneCycleLR(adagrad, max_lr=1.0, total_steps=10)
    with pytest.raises(ValueError, match="mode 'sawtooth' is invalid"):
        gsched.CyclicLR(opt, 0.01, 0.1, mode="sawtooth", cycle_momentum=False)
    with pytest.raises(ValueError, match="Expected positive integer T_0"):
        gsched.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        gsched.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match="mode 'median' is unknown"):
        gsched.ReduceLROnPlateau(opt, mode="median")
    with pytest.raises(ValueError, match="threshold mode 'relative' is unknown"):
        gsched.ReduceLROnPlateau(opt, threshold_mode="relative")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 3"):
        gsched.ReduceLROnPlateau(opt, min_lr=[0, 0, 0])
    plateau = gsched.ReduceLROnPlateau(opt)
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        gsched.SequentialLR(opt, [plateau, gsched.StepLR(opt, 2)], milestones=[3])
    with pytest.raises(ValueError, match="one more than the number of milestone points"):
        gsched.SequentialLR(opt, [gsched.StepLR(opt, 2)], milestones=[3])
    with pytest.raises(ValueError, match="same optimizer"):
        gsched.ChainedScheduler([gsched.StepLR(opt, 2), gsched.StepLR(_optimizer(graphgrad), 2)])
