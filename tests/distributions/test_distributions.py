"""graphgrad.distributions against torch.distributions: log_prob, entropy, moments, cdf/icdf,
KL divergences and their gradients; sample shapes and statistics; validate_args errors."""
import numpy as np
import pytest

import graphgrad
import graphgrad.distributions as D
from parity import torch_or_skip

torch = torch_or_skip()
TD = torch.distributions
rng = np.random.default_rng(0)


def G(a, grad=False):
    return graphgrad.tensor(np.asarray(a), requires_grad=grad)


def T(a, grad=False):
    return torch.tensor(np.asarray(a), requires_grad=grad)


def _close(a, b, **kw):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-9, atol=1e-10,
                               equal_nan=True, **kw)


LOC, SCALE = rng.standard_normal((3, 2)), rng.random((3, 2)) + 0.5
PROBS = rng.random((3, 4)) * 0.9 + 0.05
LOGITS = rng.standard_normal((3, 5))
LOW = rng.standard_normal(3)
HIGH = LOW + rng.random(3) + 0.1
M = rng.standard_normal((2, 3, 3))
COV = M @ M.transpose(0, 2, 1) + np.eye(3)
MU = rng.standard_normal((2, 3))

# name -> (graphgrad distribution from tensors, torch's, parameter arrays, a value to score)
FAMILIES = {
    "Normal": (lambda lib, a, b: lib.Normal(a, b), [LOC, SCALE], rng.standard_normal((4, 3, 2))),
    "Bernoulli_probs": (lambda lib, p: lib.Bernoulli(probs=p), [PROBS],
                        (rng.random((5, 3, 4)) > 0.5) * 1.0),
    "Bernoulli_logits": (lambda lib, p: lib.Bernoulli(logits=p), [LOGITS[:, :4]],
                         (rng.random((5, 3, 4)) > 0.5) * 1.0),
    "Categorical_probs": (lambda lib, p: lib.Categorical(probs=p), [PROBS],
                          rng.integers(0, 4, (6, 3))),
    "Categorical_logits": (lambda lib, p: lib.Categorical(logits=p), [LOGITS],
                           rng.integers(0, 5, (6, 3))),
    "Uniform": (lambda lib, lo, hi: lib.Uniform(lo, hi), [LOW, HIGH], LOW + 0.3 * (HIGH - LOW)),
    "MVN_cov": (lambda lib, m, c: lib.MultivariateNormal(m, covariance_matrix=c), [MU, COV],
                rng.standard_normal((5, 2, 3))),
    "MVN_tril": (lambda lib, m, c: lib.MultivariateNormal(m, scale_tril=c),
                 [MU, np.linalg.cholesky(COV)], rng.standard_normal((5, 2, 3))),
    "MVN_precision": (lambda lib, m, c: lib.MultivariateNormal(m, precision_matrix=c),
                      [MU, np.linalg.inv(COV)], rng.standard_normal((5, 2, 3))),
    "Independent": (lambda lib, a, b: lib.Independent(lib.Normal(a, b), 1), [LOC, SCALE],
                    rng.standard_normal((4, 3, 2))),
}
MOMENTS = {"Normal": ["mean", "mode", "stddev", "variance"], "Uniform": ["mean", "stddev",
           "variance", "mode"], "Bernoulli_probs": ["mean", "variance", "mode"],
           "Categorical_logits": ["mean", "mode", "variance"], "MVN_cov": ["mean", "variance",
           "covariance_matrix", "precision_matrix", "scale_tril"]}


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_log_prob_entropy_and_gradients(name):
    build, params, value = FAMILIES[name]
    gp = [G(p, grad=True) for p in params]
    tp = [T(p, grad=True) for p in params]
    gd, td = build(D, *gp), build(TD, *tp)
    assert tuple(gd.batch_shape) == tuple(td.batch_shape)
    assert tuple(gd.event_shape) == tuple(td.event_shape)
    g_lp, t_lp = gd.log_prob(G(value)), td.log_prob(T(value))
    _close(g_lp, t_lp)
    _close(gd.entropy(), td.entropy())
    (g_lp.sum() + gd.entropy().sum()).backward()
    (t_lp.sum() + td.entropy().sum()).backward()
    for a, b in zip(gp, tp):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-8, atol=1e-10)
    for moment in MOMENTS.get(name, []):
        _close(getattr(gd, moment), getattr(td, moment))
    shape = tuple(gd.sample((7,)).shape)
    assert shape == tuple(td.sample((7,)).shape) == (7,) + tuple(td.batch_shape) + tuple(td.event_shape)


def test_cdf_icdf_and_enumerate_support():
    _close(D.Normal(G(LOC), G(SCALE)).cdf(G(LOC * 0.3)), TD.Normal(T(LOC), T(SCALE)).cdf(T(LOC * 0.3)))
    _close(D.Normal(G(LOC), G(SCALE)).icdf(G(SCALE / 3)),
           TD.Normal(T(LOC), T(SCALE)).icdf(T(SCALE / 3)))
    u = LOW + 0.5 * (HIGH - LOW)
    _close(D.Uniform(G(LOW), G(HIGH)).cdf(G(u)), TD.Uniform(T(LOW), T(HIGH)).cdf(T(u)))
    _close(D.Bernoulli(G(PROBS)).enumerate_support(), TD.Bernoulli(T(PROBS)).enumerate_support())
    _close(D.Categorical(G(PROBS)).enumerate_support(False),
           TD.Categorical(T(PROBS)).enumerate_support(False))


def test_rsample_statistics_and_gradient_flow():
    graphgrad.manual_seed(0)
    loc, scale = G(LOC, grad=True), G(SCALE, grad=True)
    s = D.Normal(loc, scale).rsample((20000,))
    assert s.requires_grad and not D.Normal(loc, scale).sample().requires_grad
    np.testing.assert_allclose(s.mean(0).detach().numpy(), LOC, atol=0.05)
    np.testing.assert_allclose(s.std(0).detach().numpy(), SCALE, atol=0.05)
    s.mean().backward()
    np.testing.assert_allclose(loc.grad.numpy(), np.full(LOC.shape, 1 / LOC.size), rtol=1e-6)
    u = D.Uniform(G(LOW), G(HIGH)).sample((20000,)).numpy()
    assert (u >= LOW).all() and (u < HIGH).all()
    np.testing.assert_allclose(u.mean(0), (LOW + HIGH) / 2, atol=0.03)
    b = D.Bernoulli(G(PROBS)).sample((20000,)).numpy()
    np.testing.assert_allclose(b.mean(0), PROBS, atol=0.02)
    c = D.Categorical(G(PROBS)).sample((20000,)).numpy()
    freq = np.stack([(c == k).mean(0) for k in range(4)], -1)
    np.testing.assert_allclose(freq, PROBS / PROBS.sum(-1, keepdims=True), atol=0.02)
    mvn = D.MultivariateNormal(G(MU), G(COV)).sample((40000,)).numpy()
    np.testing.assert_allclose(np.cov(mvn[:, 0].T), COV[0], atol=0.15)


KL_PAIRS = [
    (lambda lib, f: lib.Normal(f(LOC), f(SCALE)), lambda lib, f: lib.Normal(f(LOC / 2), f(SCALE * 2))),
    (lambda lib, f: lib.Bernoulli(f(np.array([0.0, 0.5, 1.0]))),
     lambda lib, f: lib.Bernoulli(f(np.array([0.2, 0.5, 1.0])))),
    (lambda lib, f: lib.Categorical(f(PROBS * np.array([1, 0, 1, 1]))),
     lambda lib, f: lib.Categorical(f(PROBS))),
    (lambda lib, f: lib.Categorical(f(PROBS)),
     lambda lib, f: lib.Categorical(f(PROBS * np.array([1, 0, 1, 1])))),
    (lambda lib, f: lib.Uniform(f(LOW), f(HIGH)), lambda lib, f: lib.Uniform(f(LOW - 1), f(HIGH))),
    (lambda lib, f: lib.Uniform(f(LOW - 1), f(HIGH)), lambda lib, f: lib.Uniform(f(LOW), f(HIGH))),
    (lambda lib, f: lib.MultivariateNormal(f(MU), f(COV)),
     lambda lib, f: lib.MultivariateNormal(f(MU[::-1].copy()), f(COV[::-1].copy()))),
    (lambda lib, f: lib.Independent(lib.Normal(f(LOC), f(SCALE)), 1),
     lambda lib, f: lib.Independent(lib.Normal(f(LOC * 0), f(SCALE)), 1)),
]


@pytest.mark.parametrize("pair", range(len(KL_PAIRS)))
def test_kl_divergence(pair):
    p, q = KL_PAIRS[pair]
    _close(D.kl_divergence(p(D, G), q(D, G)), TD.kl_divergence(p(TD, T), q(TD, T)))


def test_kl_gradient_and_registry():
    loc = G(LOC, grad=True)
    tloc = T(LOC, grad=True)
    D.kl_divergence(D.Normal(loc, G(SCALE)), D.Normal(G(LOC * 0), G(SCALE * 2))).sum().backward()
    TD.kl_divergence(TD.Normal(tloc, T(SCALE)), TD.Normal(T(LOC * 0), T(SCALE * 2))).sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), tloc.grad.numpy())
    with pytest.raises(NotImplementedError, match="No KL"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Uniform(0.0, 1.0))


def test_validation_errors_follow_pytorch():
    cases = [lambda lib, f: lib.Normal(f([0.0]), f([-1.0])),
             lambda lib, f: lib.Normal(0.0, 1.0).log_prob(f(float("nan"))),
             lambda lib, f: lib.Categorical(probs=f([0.5, 0.5])).log_prob(f(3)),
             lambda lib, f: lib.Uniform(0.0, 1.0).log_prob(f(2.0)),
             lambda lib, f: lib.Bernoulli(f([0.5])).log_prob(f([0.5]))]
    for case in cases:
        with pytest.raises(ValueError) as ours:
            case(D, G)
        with pytest.raises(ValueError) as theirs:
            case(TD, T)
        assert str(ours.value).replace("graphgrad", "torch") == str(theirs.value)
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        D.Bernoulli(probs=G([0.5]), logits=G([0.0]))
    D.Normal(G([0.0]), G([-1.0]), validate_args=False)  # no check when switched off
    assert repr(D.Normal(G(np.zeros(2)), 1.0)) == "Normal(loc: graphgrad.Size([2]), scale: " \
                                                  "graphgrad.Size([2]))"
