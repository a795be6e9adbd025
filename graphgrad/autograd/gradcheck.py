"""Numerical gradient checks: ``gradcheck`` compares autograd's Jacobian with central differences;
``gradgradcheck`` does the same for the gradient itself (second derivatives). Use float64 inputs."""
from __future__ import annotations

import warnings

import numpy as np

from . import grad_mode
from .engine import grad as autograd_grad
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the analytical and numerical Jacobians disagree."""


def _as_tuple(x):
    if isinstance(x, Tensor):
        return (x,)
    if isinstance(x, (list, tuple)):
        return tuple(x)
    return (x,)


def _diff_outputs(outputs):
    return [o for o in outputs if isinstance(o, Tensor) and o._data.dtype.kind == "f"]


def _numerical_jacobians(func, inputs, diff_inputs, eps):
    """One (n_out_total, n_in) matrix per differentiable input, by central differences."""
    jacobians = []
    with grad_mode.no_grad():
        for x in diff_inputs:
            flat = x._data.reshape(-1)  # a view: writing into it perturbs the input
            columns = []
            for j in range(flat.size):
                orig = flat[j].copy()
                flat[j] = orig + eps
                plus = _flatten_outputs(func(*inputs))
                flat[j] = orig - eps
                minus = _flatten_outputs(func(*inputs))
                flat[j] = orig
                columns.append((plus - minus) / (2 * eps))
            if not columns:  # an empty input: one row per output entry, no columns
                jacobians.append(np.zeros((_flatten_outputs(func(*inputs)).size, 0)))
                continue
            jacobians.append(np.stack(columns, axis=1))
    return jacobians


def _flatten_outputs(outputs):
    outs = _diff_outputs(_as_tuple(outputs))
    if not outs:
        return np.zeros(0)
    return np.concatenate([o._data.astype(np.float64).reshape(-1) for o in outs])


def _analytical_jacobians(outputs, diff_inputs):
    outs = _diff_outputs(outputs)
    total = sum(o._data.size for o in outs)
    jacobians = [np.zeros((total, x._data.size)) for x in diff_inputs]
    row = 0
    for o in outs:
        if not o._requires_grad:
            row += o._data.size
            continue
        for k in range(o._data.size):
            seed = np.zeros(o._data.size, dtype=o._data.dtype)
            seed[k] = 1
            grads = autograd_grad(o, diff_inputs, Tensor._make(seed.reshape(o._data.shape)),
                                  retain_graph=True, allow_unused=True)
            for jac, g in zip(jacobians, grads):
                if g is not None:
                    jac[row, :] = g._data.reshape(-1)
            row += 1
    return jacobians


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, **_ignored) -> bool:
    """Check the gradients of ``func(*inputs)`` against central differences.

    Every tensor in ``inputs`` with ``requires_grad=True`` is checked; use float64 for them.
    Returns True, or raises ``GradcheckError`` (or returns False with ``raise_exception=False``).
    """
    inputs = _as_tuple(inputs)
    diff_inputs = [x for x in inputs if isinstance(x, Tensor) and x._requires_grad]
    if not diff_inputs:
        raise ValueError("gradcheck: expected at least one input tensor with requires_grad=True")
    for x in diff_inputs:
        if x._data.dtype != np.float64:
            warnings.warn(f"gradcheck: input of dtype {x._data.dtype} is not float64; "
                          "the numerical check may fail from rounding alone")
    outputs = _as_tuple(func(*inputs))
    analytical = _analytical_jacobians(outputs, diff_inputs)
    numerical = _numerical_jacobians(func, inputs, diff_inputs, eps)
    for i, (a, n) in enumerate(zip(analytical, numerical)):
        if a.shape != n.shape or not np.allclose(a, n, atol=atol, rtol=rtol):
            message = (f"gradcheck: Jacobian mismatch for output 0 with respect to input {i},\n"
                       f"numerical:\n{n}\nanalytical:\n{a}")
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True, **_ignored) -> bool:
    """Check second derivatives: gradcheck of the map (inputs, v) -> vJ, built with create_graph."""
    inputs = _as_tuple(inputs)
    diff_positions = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._requires_grad]
    outputs = _diff_outputs(_as_tuple(func(*inputs)))
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [Tensor._make(rng.standard_normal(o._data.shape).astype(o._data.dtype),
                                     requires_grad=True) for o in outputs]
    grad_outputs = list(_as_tuple(grad_outputs))
    n_in = len(inputs)

    def first_derivative(*args):
        ins, gouts = args[:n_in], args[n_in:]
        # the numerical Jacobian calls this under no_grad, but it needs a graph to differentiate
        with grad_mode.enable_grad():
            outs = [o for o in _diff_outputs(_as_tuple(func(*ins))) if o._requires_grad]
            diff = [ins[i] for i in diff_positions]
            grads = autograd_grad(outs, diff, list(gouts)[:len(outs)], create_graph=True,
                                  allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivative, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception)
