"""Inverse trigonometric/hyperbolic functions, log2/log10/exp2 and the binary elementwise math
(atan2, hypot, fmod, logaddexp, copysign, fmax, ...): values, gradients, dtypes, broadcasting."""
import numpy as np
import pytest

import graphgrad
from parity import check_grads, compare_with_torch, torch_or_skip

torch = torch_or_skip()

UNARY = {"asin": (-0.9, 0.9), "acos": (-0.9, 0.9), "atan": (-3, 3), "sinh": (-2, 2),
         "cosh": (-2, 2), "asinh": (-3, 3), "acosh": (1.2, 4), "atanh": (-0.9, 0.9),
         "log2": (0.2, 4), "log10": (0.2, 4), "exp2": (-3, 3), "deg2rad": (-90, 90),
         "rad2deg": (-3, 3), "arcsin": (-0.9, 0.9), "arctanh": (-0.9, 0.9)}
BINARY = {"atan2": ((-2, 2), (-2, 2)), "hypot": ((-2, 2), (-2, 2)), "fmod": ((-5, 5), (1, 2)),
          "logaddexp": ((-3, 3), (-3, 3)), "logaddexp2": ((-3, 3), (-3, 3)),
          "copysign": ((0.5, 2), (-2, 2)), "fmax": ((-2, 2), (-2, 2)), "fmin": ((-2, 2), (-2, 2)),
          "arctan2": ((-2, 2), (-2, 2))}


def _x(lo, hi, shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).uniform(lo, hi, shape).astype(dtype)


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary(name, dtype):
    x = _x(*UNARY[name], (3, 4), dtype)
    compare_with_torch(getattr(graphgrad, name), getattr(torch, name), [x])
    compare_with_torch(lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), [x])
    if dtype == np.float64:
        check_grads(getattr(graphgrad, name), [x[:2, :2]])


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 3), (4, 1))])
def test_binary(name, shapes):
    (la, ha), (lb, hb) = BINARY[name]
    a, b = _x(la, ha, shapes[0]), _x(lb, hb, shapes[1], seed=1)
    compare_with_torch(getattr(graphgrad, name), getattr(torch, name), [a, b])
    check_grads(getattr(graphgrad, name), [a, b], second_order=name not in ("fmax", "fmin"))


@pytest.mark.parametrize("name", ["atan2", "hypot", "logaddexp", "fmod", "copysign"])
def test_binary_float32_and_scalar(name):
    (la, ha), (lb, hb) = BINARY[name]
    a = _x(la, ha, (5,), np.float32)
    compare_with_torch(getattr(graphgrad, name), getattr(torch, name), [a, _x(lb, hb, (5,),
                                                                              np.float32, 2)])
    try:
        getattr(torch, name)(torch.tensor(a), 1.5)
    except TypeError:
        return  # PyTorch takes only tensors here (graphgrad also takes the number)
    compare_with_torch(lambda t: getattr(graphgrad, name)(t, 1.5),
                       lambda t: getattr(torch, name)(t, 1.5), [a])


def test_integer_inputs_and_nan_handling():
    ints = np.array([7, -7, 9]), np.array([2, 2, -4])
    for name in ("fmod", "gcd", "lcm", "fmax"):
        got = getattr(graphgrad, name)(*map(graphgrad.tensor, ints))
        want = getattr(torch, name)(*map(torch.tensor, ints))
        assert got.dtype == graphgrad.int64
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert graphgrad.atan2(graphgrad.tensor([1, 2]), graphgrad.tensor([3, 4])).dtype == \
        graphgrad.float32
    a = np.array([np.nan, 1.0, np.nan]), np.array([2.0, np.nan, np.nan])
    for name in ("fmax", "fmin"):
        np.testing.assert_array_equal(getattr(graphgrad, name)(*map(graphgrad.tensor, a)).numpy(),
                                      getattr(torch, name)(*map(torch.tensor, a)).numpy())


def test_nan_to_num_and_friends():
    x = np.array([np.nan, np.inf, -np.inf, -2.0, 0.0, -0.0])
    for kwargs in ({}, {"nan": 1.0, "posinf": 9.0, "neginf": -9.0}):
        compare_with_torch(lambda t: graphgrad.nan_to_num(t, **kwargs),
                           lambda t: torch.nan_to_num(t, **kwargs), [x.astype(np.float32)],
                           atol=0)
    np.testing.assert_array_equal(graphgrad.signbit(graphgrad.tensor(x)).numpy(),
                                  torch.signbit(torch.tensor(x)).numpy())
    np.testing.assert_array_equal(graphgrad.heaviside(graphgrad.tensor(x[3:]), graphgrad.tensor(
        0.5, dtype=graphgrad.float64)).numpy(), torch.heaviside(torch.tensor(x[3:]), torch.tensor(
            0.5, dtype=torch.float64)).numpy())
    m, e = graphgrad.frexp(graphgrad.tensor([8.0, 0.3]))
    tm, te = torch.frexp(torch.tensor([8.0, 0.3]))
    np.testing.assert_array_equal(m.numpy(), tm.numpy())
    np.testing.assert_array_equal(e.numpy(), te.numpy())
    assert graphgrad.float_power(graphgrad.tensor([2]), 2).dtype == graphgrad.float64
    np.testing.assert_allclose(graphgrad.ldexp(graphgrad.tensor([1.0]), graphgrad.tensor([3])).numpy(),
                               [8.0])
    t = graphgrad.tensor([np.nan, 1.0])
    assert t.nan_to_num_() is t and t[0].item() == 0.0


def test_inplace_forms_and_shape_errors():
    t = graphgrad.tensor([0.5, 0.25])
    assert t.asin_() is t
    np.testing.assert_allclose(t.numpy(), np.arcsin([0.5, 0.25]), rtol=1e-6)
    assert graphgrad.atan_(graphgrad.tensor([1.0])).item() == pytest.approx(np.pi / 4)
    with pytest.raises(RuntimeError, match="atan2: the size of tensor a"):
        graphgrad.atan2(graphgrad.ones(3), graphgrad.ones(4))
