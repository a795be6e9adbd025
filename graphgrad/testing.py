"""``graphgrad.testing``: ``assert_close`` (and the older ``assert_allclose``) with PyTorch's
default tolerances per dtype, for tests written against ``torch.testing``."""
from __future__ import annotations

import numpy as np

from .autograd.tensor import Tensor

# dtype -> (rtol, atol), as torch.testing.assert_close chooses them
_DEFAULTS = {np.dtype(np.float16): (1e-3, 1e-5), np.dtype(np.float32): (1.3e-6, 1e-5),
             np.dtype(np.float64): (1e-7, 1e-7)}


def _array(value):
    if isinstance(value, Tensor):
        return value._data
    return np.asarray(value)


def assert_close(actual, expected, *, rtol=None, atol=None, equal_nan: bool = False,
                 check_dtype: bool = True, msg=None) -> None:
    """Raise AssertionError unless ``|actual - expected| <= atol + rtol * |expected|`` elementwise
    (tensors, arrays, numbers, or lists/tuples/dicts of them); shapes (and dtypes, with
    ``check_dtype``) must match. Default tolerances depend on the dtype, as in PyTorch."""
    if isinstance(actual, dict):
        assert isinstance(expected, dict) and actual.keys() == expected.keys(), \
            msg or f"dict keys differ: {sorted(actual)} vs {sorted(expected)}"
        for key in actual:
            assert_close(actual[key], expected[key], rtol=rtol, atol=atol, equal_nan=equal_nan,
                         check_dtype=check_dtype, msg=msg)
        return
    if isinstance(actual, (list, tuple)) and not isinstance(actual, Tensor):
        assert len(actual) == len(expected), msg or f"lengths differ: {len(actual)} vs {len(expected)}"
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=check_dtype,
                         msg=msg)
        return
    a, e = _array(actual), _array(expected)
    if a.shape != e.shape:
        raise AssertionError(msg or f"The values for attribute 'shape' do not match: {a.shape} != "
                                    f"{e.shape}.")
    if check_dtype and isinstance(actual, Tensor) and isinstance(expected, Tensor) and \
            a.dtype != e.dtype:
        raise AssertionError(msg or f"The values for attribute 'dtype' do not match: {a.dtype} != "
                                    f"{e.dtype}.")
    if (rtol is None) != (atol is None):
        raise ValueError("Both 'rtol' and 'atol' must be either specified or omitted")
    if rtol is None:
        rtol, atol = _DEFAULTS.get(np.promote_types(a.dtype, e.dtype), (0.0, 0.0))
    close = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if not close.all():
        bad = np.argwhere(~close)
        diff = np.abs(a.astype(np.float64) - e.astype(np.float64))
        first = tuple(int(i) for i in bad[0])
        raise AssertionError(msg or (
            f"Tensor-likes are not close!\n\nMismatched elements: {len(bad)} / {a.size} "
            f"({100 * len(bad) / max(a.size, 1):.1f}%)\nGreatest absolute difference: "
            f"{np.nanmax(diff)} (up to {atol} allowed)\nFirst mismatch at index {first}: "
            f"{a[first] if a.ndim else a} vs {e[first] if e.ndim else e}"))


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan: bool = True,
                    msg: str = "") -> None:
    """The older ``torch.testing.assert_allclose`` (``equal_nan`` on by default)."""
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=False,
                 msg=msg or None)


__all__ = ["assert_close", "assert_allclose"]
