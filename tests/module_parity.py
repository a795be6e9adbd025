"""Test helper: run a graphgrad module and the PyTorch module of the same class with the same
weights on the same inputs; compare the outputs, the input gradients and every parameter's
gradient. Import as ``from module_parity import compare_module``."""
from __future__ import annotations

import numpy as np

import graphgrad


def _to_framework(value, framework, requires_grad=False):
    if isinstance(value, np.ndarray):
        grad = requires_grad and value.dtype.kind == "f"
        if framework is graphgrad:
            return graphgrad.tensor(value.copy(), requires_grad=grad)
        return framework.tensor(value.copy(), requires_grad=grad)
    return value


def _outputs(out) -> list:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _numpy(t):
    return t.detach().numpy()


def compare_module(g, t, inputs, kwargs=None, dtype=np.float32, rtol=None, atol=None, seed=1,
                   grad_inputs=True, call=None):
    """Copy ``t``'s state into ``g`` (both cast to ``dtype``), call both on ``inputs`` (arrays;
    floating ones require grad when ``grad_inputs`` is True or lists their index) and
    ``kwargs`` (arrays become tensors), and assert equal outputs and gradients of a random
    projection of every floating output.
    ``call(module, *inputs, **kwargs)`` replaces the plain call. Returns the graphgrad outputs."""
    import torch

    kwargs = kwargs or {}
    if np.dtype(dtype) == np.float64:
        g.double()
        t.double()
    g.load_state_dict({k: v.detach().numpy().copy() for k, v in t.state_dict().items()})
    assert list(g.state_dict()) == list(t.state_dict()), "state_dict keys differ from PyTorch's"
    if rtol is None:
        rtol, atol = (2e-5, 2e-6) if np.dtype(dtype) == np.float32 else (1e-8, 1e-10)
    inputs = [np.asarray(a, dtype=dtype) if np.asarray(a).dtype.kind == "f" else np.asarray(a)
              for a in inputs]
    wants = [grad_inputs is True or (grad_inputs is not False and i in grad_inputs)
             for i in range(len(inputs))]
    gi = [_to_framework(a, graphgrad, w) for a, w in zip(inputs, wants)]
    ti = [_to_framework(a, torch, w) for a, w in zip(inputs, wants)]
    gk = {k: _to_framework(v, graphgrad) for k, v in kwargs.items()}
    tk = {k: _to_framework(v, torch) for k, v in kwargs.items()}
    call = call or (lambda module, *args, **kw: module(*args, **kw))
    g_out, t_out = _outputs(call(g, *gi, **gk)), _outputs(call(t, *ti, **tk))
    assert len(g_out) == len(t_out)
    rng = np.random.default_rng(seed)
    g_loss = t_loss = 0
    for k, (a, b) in enumerate(zip(g_out, t_out)):
        assert (a is None) == (b is None), f"output {k}: {a!r} vs torch {b!r}"
        if a is None:
            continue
        assert tuple(a.shape) == tuple(b.shape), f"output {k}: {tuple(a.shape)} vs {tuple(b.shape)}"
        np.testing.assert_allclose(_numpy(a), _numpy(b), rtol=rtol, atol=atol,
                                   err_msg=f"output {k}")
        if b.requires_grad:
            w = rng.standard_normal(tuple(a.shape)).astype(dtype)
            finite = np.isfinite(_numpy(b))
            w = np.where(finite, w, 0).astype(dtype)  # NaN rows (fully masked) carry no gradient
            g_loss = g_loss + (a.masked_fill(graphgrad.tensor(~finite), 0.0)
                               * graphgrad.tensor(w)).sum()
            t_loss = t_loss + (b.masked_fill(torch.tensor(~finite), 0.0) * torch.tensor(w)).sum()
    if isinstance(t_loss, int):
        return g_out
    g_loss.backward()
    t_loss.backward()
    for i, (a, b) in enumerate(zip(gi, ti)):
        if isinstance(b, torch.Tensor) and b.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol * 10,
                                       atol=atol * 10, err_msg=f"gradient of input {i}")
    t_params = dict(t.named_parameters())
    for name, p in g.named_parameters():
        tg = t_params[name].grad
        if tg is None:
            assert p.grad is None or not np.any(p.grad.numpy()), f"{name}: torch has no gradient"
            continue
        assert p.grad is not None, f"{name}: graphgrad has no gradient"
        np.testing.assert_allclose(p.grad.numpy(), tg.numpy(), rtol=rtol * 10, atol=atol * 10,
                                   err_msg=f"gradient of {name}")
    return g_out
