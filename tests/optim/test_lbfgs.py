"""LBFGS takes PyTorch's steps: the same losses, parameters, evaluation counts and state on the
Rosenbrock function, with and without the strong-Wolfe line search."""
import numpy as np
import pytest

import graphgrad
from parity import torch_or_skip

torch = torch_or_skip()


def _run(lib, dtype, steps=4, **options):
    x = lib.tensor(np.array([-1.5, 2.0, 0.5, -0.3]), dtype=getattr(lib, dtype), requires_grad=True)
    opt = lib.optim.LBFGS([x], **options)

    def closure():
        opt.zero_grad()
        a, b = x[:-1], x[1:]
        loss = (100 * (b - a ** 2) ** 2 + (1 - a) ** 2).sum()
        loss.backward()
        return loss

    history = []
    for _ in range(steps):
        loss = opt.step(closure)
        history.append((loss.item(), x.detach().numpy().copy()))
    state = opt.state[x]
    return history, state["func_evals"], state["n_iter"]


OPTIONS = [{}, {"lr": 0.5, "history_size": 3, "max_iter": 7}, {"line_search_fn": "strong_wolfe"},
           {"line_search_fn": "strong_wolfe", "lr": 0.5, "history_size": 3, "max_iter": 7}]


@pytest.mark.parametrize("options", OPTIONS, ids=["plain", "short-history", "wolfe",
                                                  "wolfe-short-history"])
def test_same_steps_as_pytorch_float64(options):
    ours, evals, iters = _run(graphgrad, "float64", **options)
    theirs, t_evals, t_iters = _run(torch, "float64", **options)
    assert (evals, iters) == (t_evals, t_iters)
    for (loss, x), (t_loss, t_x) in zip(ours, theirs):
        assert loss == pytest.approx(t_loss, rel=1e-10, abs=1e-12)
        np.testing.assert_allclose(x, t_x, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("options", OPTIONS[:3], ids=["plain", "short-history", "wolfe"])
def test_float32_tracks_pytorch(options):
    ours, _, _ = _run(graphgrad, "float32", **options)
    theirs, _, _ = _run(torch, "float32", **options)
    np.testing.assert_allclose(ours[-1][1], theirs[-1][1], atol=2e-3)
    assert ours[-1][0] == pytest.approx(theirs[-1][0], rel=1e-3)


def test_fits_a_least_squares_problem_and_checks_its_arguments():
    rng = np.random.default_rng(0)
    a, w_true = rng.standard_normal((50, 3)), np.array([1.0, -2.0, 0.5])
    X, y = graphgrad.tensor(a), graphgrad.tensor(a @ w_true)
    w = graphgrad.zeros(3, dtype=graphgrad.float64, requires_grad=True)
    opt = graphgrad.optim.LBFGS([w], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((X @ w - y) ** 2).mean()
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(w.detach().numpy(), w_true, atol=1e-4)
    with pytest.raises(RuntimeError, match="only 'strong_wolfe'"):
        graphgrad.optim.LBFGS([w], line_search_fn="backtracking")
    with pytest.raises(RuntimeError, match="requires a closure"):
        opt.step(None)
    with pytest.raises(ValueError, match="parameter groups"):
        graphgrad.optim.LBFGS([{"params": [w]}, {"params": [graphgrad.zeros(1, requires_grad=True)]}])
    state = opt.state_dict()
    assert state["param_groups"][0]["history_size"] == 100 and "old_dirs" in state["state"][0]
