"""Special functions (ops/special.py, graphgrad.special): values and gradients against PyTorch in
float32 and float64, gradcheck/gradgradcheck, and the edge values PyTorch gives."""
import warnings

import numpy as np
import pytest

import graphgrad
import graphgrad.special as S
from parity import check_grads, compare_with_torch, torch_or_skip

torch = torch_or_skip()

# name -> (low, high): inside each function's smooth domain
UNARY = {"erf": (-3, 3), "erfc": (-3, 3), "erfinv": (-0.95, 0.95), "lgamma": (0.1, 6),
         "digamma": (0.2, 6), "i0": (-5, 5), "sinc": (-2.5, 2.5)}
SPECIAL = {"i0e": (-5, 5), "i1": (-5, 5), "i1e": (-5, 5), "ndtr": (-4, 4), "ndtri": (0.05, 0.95),
           "log_ndtr": (-6, 4), "entr": (0.1, 3), "expit": (-4, 4), "logit": (0.05, 0.95),
           "gammaln": (0.1, 6), "psi": (0.2, 6)}


def _x(lo, hi, shape=(3, 4), dtype=np.float64, seed=0):
    return np.random.default_rng(seed).uniform(lo, hi, shape).astype(dtype)


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_torch_functions_match(name, dtype):
    x = _x(*UNARY[name], dtype=dtype)
    compare_with_torch(getattr(graphgrad, name), getattr(torch, name), [x], rtol=1e-4 if dtype ==
                       np.float32 else 1e-9)
    compare_with_torch(lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), [x],
                       rtol=1e-4 if dtype == np.float32 else 1e-9)


@pytest.mark.parametrize("name", sorted(SPECIAL))
def test_special_namespace_matches(name):
    x = _x(*SPECIAL[name])
    compare_with_torch(getattr(S, name), getattr(torch.special, name), [x], rtol=1e-9)


@pytest.mark.parametrize("name", sorted(UNARY) + ["i1", "i0e", "i1e", "ndtri", "log_ndtr", "entr"])
def test_gradcheck(name):
    lo, hi = {**UNARY, **SPECIAL}[name]
    fn = getattr(graphgrad, name, None) or getattr(S, name)
    check_grads(fn, [_x(lo, hi, (2, 3), seed=1)])


@pytest.mark.parametrize("n", [1, 2, 3])
def test_polygamma(n):
    x = _x(0.3, 5)
    # PyTorch's own trigamma is accurate to ~1e-9 only; graphgrad's to float64
    compare_with_torch(lambda t: graphgrad.polygamma(n, t), lambda t: torch.polygamma(n, t), [x],
                       rtol=1e-7, atol=1e-9)
    check_grads(lambda t: graphgrad.polygamma(n, t), [_x(0.5, 4, (2, 2), seed=2)],
                second_order=False)


def test_mvlgamma_xlogy_xlog1py():
    x = _x(2, 5)
    compare_with_torch(lambda t: graphgrad.mvlgamma(t, 3), lambda t: torch.mvlgamma(t, 3), [x])
    y = _x(0.1, 3, seed=3)
    x0 = x.copy()
    x0[0, 0] = 0.0
    compare_with_torch(graphgrad.xlogy, torch.xlogy, [x0, y])
    compare_with_torch(S.xlog1py, torch.special.xlog1py, [x0, y])
    compare_with_torch(lambda t: graphgrad.xlogy(t, 2.0), lambda t: torch.xlogy(t, 2.0), [x])
    check_grads(graphgrad.xlogy, [x, y])


def test_edge_values_follow_pytorch():
    edges = np.array([0.0, -1.0, -2.5, 1.0, 2.0, np.inf, -np.inf, np.nan])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ("lgamma", "digamma", "erf", "erfc", "i0"):
            got = getattr(graphgrad, name)(graphgrad.tensor(edges)).numpy()
            want = getattr(torch, name)(torch.tensor(edges)).numpy()
            np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True, err_msg=name)
        ends = np.array([-1.0, 1.0, 1.5, 0.0, 1 - 1e-12, -1 + 1e-15])
        np.testing.assert_allclose(graphgrad.erfinv(graphgrad.tensor(ends)).numpy(),
                                   torch.erfinv(torch.tensor(ends)).numpy(), rtol=1e-10,
                                   equal_nan=True)


def test_wide_range_accuracy():
    x = np.concatenate([np.linspace(-30, 30, 601), np.linspace(-6, 6, 241)])
    for name in ("erf", "erfc", "lgamma", "digamma"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = getattr(graphgrad, name)(graphgrad.tensor(x)).numpy()
            want = getattr(torch, name)(torch.tensor(x)).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-12, equal_nan=True, err_msg=name)


def test_integer_input_becomes_float_and_inplace():
    assert graphgrad.erf(graphgrad.tensor([0, 1])).dtype == graphgrad.float32
    t = graphgrad.tensor([0.5, 0.25])
    assert t.erfinv_() is t
    np.testing.assert_allclose(t.numpy(), torch.erfinv(torch.tensor([0.5, 0.25])).numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="polygamma"):
        graphgrad.polygamma(-1, t)
