"""Optimizers: parameters track PyTorch's over 100 steps, per-group options, training a small
two-layer network, state_dict round trips that resume exactly, and errors on bad input."""
import copy
import math

import numpy as np
import pytest

import graphgrad
from graphgrad import optim

SHAPES = [(5, 4), (4,), (3, 2, 2)]

# (optimizer, options for the first group, overrides for the second group)
CASES = [
    ("SGD", dict(lr=0.1), {}),
    ("SGD", dict(lr=0.05, momentum=0.9), dict(lr=0.01, momentum=0.5, dampening=0.2)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-2), dict(maximize=True)),
    ("Adam", dict(lr=1e-2), {}),
    ("Adam", dict(lr=1e-2, betas=(0.8, 0.99), weight_decay=0.1), dict(amsgrad=True, lr=3e-3)),
    ("Adam", dict(lr=1e-2, amsgrad=True, maximize=True, eps=1e-6), dict(betas=(0.5, 0.9))),
    ("AdamW", dict(lr=1e-2), dict(weight_decay=0.1)),
    ("AdamW", dict(lr=1e-2, amsgrad=True, weight_decay=0.05), dict(maximize=True)),
    ("RMSprop", dict(), {}),
    ("RMSprop", dict(lr=1e-3, alpha=0.9, centered=True), dict(momentum=0.9, weight_decay=0.1)),
    ("RMSprop", dict(lr=1e-3, momentum=0.5, centered=True, maximize=True), dict(alpha=0.5)),
    ("Adagrad", dict(), {}),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1),
     dict(weight_decay=0.1, eps=1e-6)),
    ("Adadelta", dict(), {}),
    ("Adadelta", dict(rho=0.5, weight_decay=0.1), dict(lr=0.5, maximize=True)),
    ("Adamax", dict(), {}),
    ("Adamax", dict(betas=(0.3, 0.9), weight_decay=0.1), dict(lr=1e-2, maximize=True)),
    ("NAdam", dict(), {}),
    ("NAdam", dict(momentum_decay=1e-2, weight_decay=0.1),
     dict(decoupled_weight_decay=True, betas=(0.5, 0.99))),
]


def _case_id(case):
    name, opts, overrides = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in {**opts, **overrides}.items())


def _make(lib, name, opts, overrides, arrays):
    """An optimizer over tensors made from ``arrays``: the first param alone in group 0, the rest
    in group 1 with ``overrides``."""
    if lib is graphgrad:
        params = [graphgrad.tensor(a.copy(), requires_grad=True) for a in arrays]
        cls = getattr(optim, name)
    else:
        params = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
        cls = getattr(lib.optim, name)
    groups = [{"params": params[:1]}, {"params": params[1:], **overrides}]
    return cls(groups, **opts), params


def _assert_tracks(gg_params, th_params, dtype, step):
    for a, b in zip(gg_params, th_params):
        want = b.detach().numpy()
        scale = np.abs(want).max()
        if dtype == np.float64:
            np.testing.assert_allclose(a.detach().numpy(), want, rtol=1e-10, atol=1e-12 * scale,
                                       err_msg=f"step {step}")
        else:  # float32: PyTorch's kernels fuse multiply-adds, so agree to rounding, relatively
            np.testing.assert_allclose(a.detach().numpy(), want, rtol=1e-5, atol=1e-5 * scale,
                                       err_msg=f"step {step}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_tracks_pytorch_for_100_steps(case, dtype):
    torch = pytest.importorskip("torch")
    name, opts, overrides = case
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [rng.standard_normal((100,) + s).astype(dtype) for s in SHAPES]
    opt_g, pg = _make(graphgrad, name, opts, overrides, arrays)
    opt_t, pt = _make(torch, name, opts, overrides, arrays)
    for k in range(100):
        for i, (a, b) in enumerate(zip(pg, pt)):
            if i == 2 and k % 7 == 3:  # sometimes no gradient: the parameter is skipped
                a.grad, b.grad = None, None
                continue
            a.grad = graphgrad.tensor(grads[i][k])
            b.grad = torch.tensor(grads[i][k])
        opt_g.step()
        opt_t.step()
        _assert_tracks(pg, pt, dtype, k)
    for a in pg:
        assert a.is_leaf and a.requires_grad and a.dtype == graphgrad.from_numpy(arrays[0]).dtype
    # state has PyTorch's keys and values
    sd_g, sd_t = opt_g.state_dict(), opt_t.state_dict()
    assert sorted(sd_g["state"]) == sorted(sd_t["state"])
    for idx, st in sd_t["state"].items():
        assert list(sd_g["state"][idx]) == list(st), f"state keys of parameter {idx}"
        for key, value in st.items():
            np.testing.assert_allclose(sd_g["state"][idx][key].numpy(), value.numpy(),
                                       rtol=1e-4, atol=1e-6 * float(value.abs().max() + 1))
    for gg_group, th_group in zip(sd_g["param_groups"], sd_t["param_groups"]):
        assert gg_group["params"] == th_group["params"]
        for key, value in gg_group.items():
            assert th_group[key] == value, key


def test_sgd_is_the_lecture_momentum_form():
    """Krizhevsky et al. (2012): v <- 0.9 v - 0.0005 e w - e g; w <- w + v, with constant e, is
    SGD(lr=e, momentum=0.9, weight_decay=0.0005); PyTorch's buffer is v / (-e)."""
    rng = np.random.default_rng(0)
    e = 0.01
    w0 = rng.standard_normal((6, 3))
    grads = rng.standard_normal((50, 6, 3))
    p = graphgrad.tensor(w0.copy(), requires_grad=True)
    opt = optim.SGD([p], lr=e, momentum=0.9, weight_decay=0.0005)
    w, v = w0.copy(), np.zeros_like(w0)
    for g in grads:
        v = 0.9 * v - 0.0005 * e * w - e * g
        w = w + v
        p.grad = graphgrad.tensor(g)
        opt.step()
        np.testing.assert_allclose(p.detach().numpy(), w, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(opt.state[p]["momentum_buffer"].numpy(), v / (-e),
                                   rtol=1e-12, atol=1e-12)


def test_defaults_match_pytorch():
    torch = pytest.importorskip("torch")
    for name in ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam"]:
        gg = getattr(optim, name)([graphgrad.zeros(2, requires_grad=True)])
        th = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)])
        for key, value in gg.defaults.items():
            assert th.defaults[key] == value, f"{name}.{key}: {value} vs {th.defaults[key]}"


# ---------------------------------------------------------------------------- training
def _problem():
    """A fixed small regression: y = sin(x1) + x2 * x3 with noise, 64 samples."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (64, 3)).astype(np.float32)
    y = (np.sin(2 * x[:, :1]) + x[:, 1:2] * x[:, 2:3]).astype(np.float32)
    w1 = (rng.standard_normal((3, 16)) / np.sqrt(3)).astype(np.float32)
    w2 = (rng.standard_normal((16, 1)) / 4).astype(np.float32)
    return x, y, w1, w2


TRAIN = [("SGD", dict(lr=0.1, momentum=0.9)), ("SGD", dict(lr=0.2)),
         ("Adam", dict(lr=1e-2)), ("AdamW", dict(lr=1e-2)), ("RMSprop", dict(lr=1e-3)),
         ("Adagrad", dict(lr=0.1)), ("Adadelta", dict(lr=1.0)), ("Adamax", dict(lr=2e-2)),
         ("NAdam", dict(lr=1e-2))]


@pytest.mark.parametrize("name,opts", TRAIN, ids=[n + str(i) for i, (n, _) in enumerate(TRAIN)])
def test_two_layer_network_trains(name, opts):
    x, y, w1, w2 = _problem()
    W1 = graphgrad.tensor(w1, requires_grad=True)
    b1 = graphgrad.zeros(16, requires_grad=True)
    W2 = graphgrad.tensor(w2, requires_grad=True)
    b2 = graphgrad.zeros(1, requires_grad=True)
    X, Y = graphgrad.tensor(x), graphgrad.tensor(y)
    opt = getattr(optim, name)([W1, b1, W2, b2], **opts)

    def loss_fn():
        h = graphgrad.tanh(X @ W1 + b1)
        return ((h @ W2 + b2 - Y) ** 2).mean()

    first = loss_fn().item()
    for _ in range(60):
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
    last = loss_fn().item()
    assert last < 0.7 * first, f"{name}: loss {first:.4f} -> {last:.4f}"


def test_step_with_closure_returns_the_loss():
    p = graphgrad.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.detach().numpy(), [0.8, -1.6], rtol=1e-6)


def test_step_records_no_graph_and_bumps_version():
    p = graphgrad.tensor([1.0, 2.0], requires_grad=True)
    (p * 3).sum().backward()
    version = p._version
    opt = optim.Adam([p])
    opt.step()
    assert p.grad_fn is None and p.is_leaf and p._version == version + 1
    assert opt.state[p]["exp_avg"].grad_fn is None
    assert not opt.state[p]["exp_avg"].requires_grad


def test_zero_grad():
    p = graphgrad.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert p.grad is not None and np.all(p.grad.numpy() == 0)
    opt.zero_grad()
    assert p.grad is None


def test_named_parameters_and_add_param_group():
    a = graphgrad.zeros(2, requires_grad=True)
    b = graphgrad.zeros(3, requires_grad=True)
    opt = optim.SGD([("a", a)], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["a"]
    opt.add_param_group({"params": [("b", b)], "lr": 0.5})
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0
    assert opt.state_dict()["param_groups"][1]["params"] == [1]
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [("a2", a)]})
    with pytest.raises(ValueError, match="with/without names"):
        opt.add_param_group({"params": [graphgrad.zeros(1, requires_grad=True)]})


# --------------------------------------------------------------------------- state dicts
def _roundtrip(state_dict, how, tmp_path):
    if how == "deepcopy":
        return copy.deepcopy(state_dict)
    save = getattr(graphgrad, "save", None)
    if save is None:
        pytest.skip("graphgrad.save is not available yet")
    path = str(tmp_path / "opt.ckpt")
    save(state_dict, path)
    return graphgrad.load(path)


@pytest.mark.parametrize("how", ["deepcopy", "file"])
@pytest.mark.parametrize("case", [c for c in CASES if c[2]], ids=_case_id)
def test_resume_from_state_dict_is_exact(case, how, tmp_path):
    name, opts, overrides = case
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    grads = [rng.standard_normal((20,) + s).astype(np.float32) for s in SHAPES]

    def run(opt, params, steps):
        for k in steps:
            for i, p in enumerate(params):
                p.grad = graphgrad.tensor(grads[i][k])
            opt.step()

    straight, ps = _make(graphgrad, name, opts, overrides, arrays)
    run(straight, ps, range(20))

    first, pf = _make(graphgrad, name, opts, overrides, arrays)
    run(first, pf, range(10))
    saved = _roundtrip(first.state_dict(), how, tmp_path)
    weights = [p.detach().numpy().copy() for p in pf]
    resumed, pr = _make(graphgrad, name, opts, {}, weights)  # different options: loaded over
    resumed.load_state_dict(saved)
    run(resumed, pr, range(10, 20))
    for a, b in zip(ps, pr):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    # the loaded state is a copy: stepping the resumed optimizer leaves the first one alone
    assert not any(first.state[pf[0]][k] is v for k, v in resumed.state[pr[0]].items())


def test_load_pytorch_state_dict_and_continue_together():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s) for s in SHAPES]
    grads = [rng.standard_normal((10,) + s) for s in SHAPES]
    opt_t, pt = _make(torch, "Adam", dict(lr=1e-2, amsgrad=True), dict(lr=1e-3), arrays)
    for k in range(5):
        for i, p in enumerate(pt):
            p.grad = torch.tensor(grads[i][k])
        opt_t.step()
    sd = opt_t.state_dict()
    converted = {
        "state": {i: {k: graphgrad.tensor(v.numpy()) for k, v in s.items()}
                  for i, s in sd["state"].items()},
        "param_groups": sd["param_groups"],
    }
    opt_g, pg = _make(graphgrad, "Adam", {}, {}, [p.detach().numpy() for p in pt])
    opt_g.load_state_dict(converted)
    assert opt_g.param_groups[0]["amsgrad"] and opt_g.param_groups[1]["lr"] == 1e-3
    for k in range(5, 10):
        for i, (a, b) in enumerate(zip(pg, pt)):
            a.grad = graphgrad.tensor(grads[i][k])
            b.grad = torch.tensor(grads[i][k])
        opt_g.step()
        opt_t.step()
    _assert_tracks(pg, pt, np.float64, 10)


def test_load_state_dict_errors():
    p = graphgrad.zeros((2, 3), requires_grad=True)
    opt = optim.Adam([p])
    p.grad = graphgrad.ones((2, 3))
    opt.step()
    sd = opt.state_dict()
    other = optim.Adam([graphgrad.zeros((3, 2), requires_grad=True)])
    with pytest.raises(ValueError, match=r"'exp_avg' of parameter 0 has shape \(2, 3\) but the "
                                         r"parameter has shape \(3, 2\)"):
        other.load_state_dict(sd)
    two = optim.Adam([graphgrad.zeros(1, requires_grad=True) for _ in range(2)])
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        two.load_state_dict(sd)
    groups = optim.Adam([{"params": [p]}, {"params": [graphgrad.zeros(1, requires_grad=True)]}])
    with pytest.raises(ValueError, match="different number of parameter groups"):
        groups.load_state_dict(sd)
    with pytest.raises(ValueError, match="expected a dict with 'state' and 'param_groups'"):
        opt.load_state_dict({"weight": p})


# --------------------------------------------------------------------------------- errors
class _FakeModule:
    def parameters(self):
        return iter([])


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta",
                                  "Adamax", "NAdam"])
def test_bad_params_raise_type_error(name):
    cls = getattr(optim, name)
    p = graphgrad.zeros(2, requires_grad=True)
    with pytest.raises(TypeError, match="can only optimize Tensors, but params\\[1\\] is "
                                        "numpy.ndarray"):
        cls([p, np.zeros(2)], lr=0.1)
    with pytest.raises(TypeError, match=r"got the module _FakeModule; pass its .parameters\(\)"):
        cls(_FakeModule(), lr=0.1)
    with pytest.raises(TypeError, match="got a dict with keys"):
        cls({"params": [p]}, lr=0.1)
    with pytest.raises(TypeError, match="got a single graphgrad.Tensor"):
        cls(p, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        cls([], lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate: -0.1"):
        cls([p], lr=-0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        cls([p * 2], lr=0.1)
    with pytest.raises(TypeError, match="sets will change between runs"):
        cls([{"params": {p}}], lr=0.1)


@pytest.mark.parametrize("name", ["Adam", "AdamW", "Adamax", "NAdam"])
def test_bad_betas(name):
    p = graphgrad.zeros(2, requires_grad=True)
    cls = getattr(optim, name)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 0: 1.0"):
        cls([p], betas=(1.0, 0.999))
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: -0.5"):
        cls([p], betas=(0.9, -0.5))
    with pytest.raises(ValueError, match="betas must be a pair"):
        cls([p], betas=0.9)
    with pytest.raises(ValueError, match="index 1: 2"):  # per-group options are checked too
        cls([{"params": [p], "betas": (0.9, 2)}])


def test_pytorch_implementation_flags():
    p = graphgrad.zeros(2, requires_grad=True)
    for name in ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam"]:
        opt = getattr(optim, name)([p], foreach=False, fused=None, differentiable=False)
        assert "foreach" not in opt.defaults
        with pytest.raises(ValueError, match="capturable=True is not supported"):
            getattr(optim, name)([p], capturable=True)
        with pytest.raises(TypeError, match="unexpected keyword argument 'momentom'"):
            getattr(optim, name)([p], momentom=0.9)


def test_other_bad_options():
    p = graphgrad.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid momentum value: -1"):
        optim.SGD([p], lr=0.1, momentum=-1)
    with pytest.raises(ValueError, match="Invalid weight_decay value: -0.1"):
        optim.AdamW([p], weight_decay=-0.1)
    with pytest.raises(ValueError, match="Invalid eps value"):
        optim.RMSprop([p], eps=-1.0)
    with pytest.raises(ValueError, match="Invalid rho value: 1.5"):
        optim.Adadelta([p], rho=1.5)
    with pytest.raises(ValueError, match="Invalid lr_decay value"):
        optim.Adagrad([p], lr_decay=-1)
    with pytest.raises(TypeError, match="lr must be a number"):
        optim.SGD([p], lr="0.1")
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.SGD([{"params": [p], "lr": -1}], lr=0.1)
    assert math.isclose(optim.SGD([p]).defaults["lr"], 1e-3)


def test_gradient_shape_mismatch_is_reported():
    p = graphgrad.zeros((2, 2), requires_grad=True)
    p.grad = graphgrad.zeros(4)
    with pytest.raises(RuntimeError, match=r"gradient of shape \(4,\) does not match its "
                                           r"parameter of shape \(2, 2\)"):
        optim.SGD([p], lr=0.1).step()


def test_repr_lists_groups():
    opt = optim.SGD([graphgrad.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    text = repr(opt)
    assert text.startswith("SGD (\nParameter Group 0\n") and "    momentum: 0.9" in text


def test_with_nn_modules():
    from graphgrad import nn
    graphgrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    x, y = graphgrad.randn(32, 3), graphgrad.randn(32, 1)
    opt = optim.AdamW(model.named_parameters(), lr=1e-2)
    assert opt.param_groups[0]["param_names"] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    with pytest.raises(TypeError, match="got the module Sequential"):
        optim.SGD(model, lr=0.1)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert all(isinstance(p, nn.Parameter) and p.is_leaf for p in model.parameters())
