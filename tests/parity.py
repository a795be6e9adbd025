"""Test helpers: run the same computation in graphgrad and PyTorch and compare forward values and
input gradients; run float64 gradcheck and gradgradcheck. Import as ``from parity import ...``."""
from __future__ import annotations

import numpy as np
import pytest

import graphgrad
from graphgrad.autograd import gradcheck, gradgradcheck


def torch_or_skip():
    return pytest.importorskip("torch")


def _tolerances(dtype):
    return (1e-5, 1e-6) if np.dtype(dtype) == np.float32 else (1e-8, 1e-10)


def _as_list(x):
    return list(x) if isinstance(x, (tuple, list)) else [x]


def compare_with_torch(gg_fn, torch_fn, arrays, grad=True, rtol=None, atol=None, seed=0,
                       grad_inputs=None):
    """Call ``gg_fn(*tensors)`` and ``torch_fn(*tensors)`` on tensors made from ``arrays``; assert
    that outputs match and, if ``grad``, that gradients of a random projection of the outputs match.

    ``grad_inputs``: indices of the arrays that require grad (default: every floating array)."""
    torch = torch_or_skip()
    arrays = [np.asarray(a) for a in arrays]
    float_idx = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    grad_idx = float_idx if grad_inputs is None else list(grad_inputs)
    if not grad:
        grad_idx = []
    gg_in = [graphgrad.tensor(a.copy(), requires_grad=i in grad_idx) for i, a in enumerate(arrays)]
    th_in = [torch.tensor(a.copy(), requires_grad=i in grad_idx) for i, a in enumerate(arrays)]
    gg_out = _as_list(gg_fn(*gg_in))
    th_out = _as_list(torch_fn(*th_in))
    assert len(gg_out) == len(th_out), f"{len(gg_out)} outputs vs torch's {len(th_out)}"
    for k, (g, t) in enumerate(zip(gg_out, th_out)):
        t_np = t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)
        g_np = g.detach().numpy() if isinstance(g, graphgrad.Tensor) else np.asarray(g)
        assert g_np.shape == t_np.shape, f"output {k}: shape {g_np.shape} vs torch {t_np.shape}"
        assert g_np.dtype == t_np.dtype, f"output {k}: dtype {g_np.dtype} vs torch {t_np.dtype}"
        r, a = _tolerances(t_np.dtype if t_np.dtype.kind == "f" else np.float64)
        np.testing.assert_allclose(g_np, t_np, rtol=rtol or r, atol=atol if atol is not None else a,
                                   err_msg=f"forward output {k}")
    if not grad_idx:
        return gg_out
    rng = np.random.default_rng(seed)
    gg_loss, th_loss = 0, 0
    for g, t in zip(gg_out, th_out):
        if isinstance(g, graphgrad.Tensor) and g.requires_grad:
            w = rng.standard_normal(g.shape).astype(g.detach().numpy().dtype)
            gg_loss = gg_loss + (g * graphgrad.tensor(w)).sum()
            th_loss = th_loss + (t * torch.tensor(w)).sum()
    if isinstance(gg_loss, int):
        return gg_out
    gg_loss.backward()
    th_loss.backward()
    for i in grad_idx:
        gg_g, th_g = gg_in[i].grad, th_in[i].grad
        if th_g is None:
            assert gg_g is None or np.allclose(gg_g.numpy(), 0), f"input {i}: torch has no grad"
            continue
        assert gg_g is not None, f"input {i}: graphgrad has no gradient but torch has"
        r, a = _tolerances(arrays[i].dtype)
        np.testing.assert_allclose(gg_g.numpy(), th_g.numpy(), rtol=rtol or r * 10,
                                   atol=atol if atol is not None else a * 10,
                                   err_msg=f"gradient of input {i}")
    return gg_out


def check_grads(fn, arrays, second_order=True, atol=1e-5, rtol=1e-3, grad_inputs=None):
    """gradcheck (and gradgradcheck) of ``fn`` in float64 on tensors made from ``arrays``."""
    tensors = []
    for i, a in enumerate(arrays):
        a = np.asarray(a)
        is_float = a.dtype.kind == "f"
        needs = is_float and (grad_inputs is None or i in grad_inputs)
        tensors.append(graphgrad.tensor(a.astype(np.float64) if is_float else a,
                                        requires_grad=needs))
    assert gradcheck(fn, tensors, atol=atol, rtol=rtol)
    if second_order:
        assert gradgradcheck(fn, tensors, atol=atol, rtol=rtol)
