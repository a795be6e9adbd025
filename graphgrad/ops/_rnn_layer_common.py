"""What the whole-layer recurrent ops (``_lstm_layer``, ``_gru_layer``, ``_vanilla_rnn_layer``)
share: the order of the steps, the step loop over packed rows, the re-run-and-differentiate graph
backward and the argument checks."""
from __future__ import annotations

from ..autograd import grad_mode
from ..autograd.engine import grad as _autograd_grad
from .rnn import _cat, _check_batch_sizes, _check_dtypes, _check_shape, _offsets


def _order(n_steps: int, reverse: bool):
    return range(n_steps - 1, -1, -1) if reverse else range(n_steps)


def _graph_backward(ctx, unrolled, grads):
    """Gradients of the layer's inputs by differentiating its step-by-step re-run (recorded)."""
    inputs = ctx.saved_tensors[:len(ctx.needs_input_grad)]
    wanted = [k for k, need in enumerate(ctx.needs_input_grad) if need]
    with grad_mode.enable_grad():
        outs = unrolled(*inputs)
        got = _autograd_grad(outs, [inputs[k] for k in wanted], grads, create_graph=True,
                             allow_unused=True)
    result = [None] * len(inputs)
    for k, g in zip(wanted, got):
        result[k] = g
    return tuple(result)


def _steps(sizes, reverse, h0_list):
    """Drive a step-by-step re-run: yields (t, offset, bs, states) and keeps the final states.

    ``h0_list`` holds the initial states (tensors ``(B, F)``); the caller sends back the new
    states after each step. Returns the final states, rows in order, via ``StopIteration``."""
    offs = _offsets(sizes)
    states = [s[:sizes[_order(len(sizes), reverse)[0]]] for s in h0_list]
    finished = [[] for _ in h0_list]
    for t in _order(len(sizes), reverse):
        bs = sizes[t]
        rows = states[0].shape[0]
        if bs < rows:
            for k, s in enumerate(states):
                finished[k].append(s[bs:])
            states = [s[:bs] for s in states]
        elif bs > rows:
            states = [_cat([s, s0[rows:bs]]) for s, s0 in zip(states, h0_list)]
        states = yield t, offs[t], bs, states
    return [_cat([s] + parts[::-1]) if parts else s for s, parts in zip(states, finished)]


def _run_unrolled(sizes, reverse, init, step):
    outs = [None] * len(sizes)
    gen = _steps(sizes, reverse, init)
    try:
        t, off, bs, states = next(gen)
        while True:
            out, states = step(off, bs, states)
            outs[t] = out
            t, off, bs, states = gen.send(states)
    except StopIteration as stop:
        finals = stop.value
    return _cat(outs), finals


def _layer_checks(op, x, h0, w_ih, w_hh, k, p, batch_sizes, extra=()):
    if x.ndim != 2:
        raise RuntimeError(f"{op}: expected packed input rows of shape (N, input_size), got "
                           f"{tuple(x.shape)}")
    sizes = _check_batch_sizes(batch_sizes, x.shape[0], op)
    hidden = w_hh.shape[0] // k
    if w_ih.ndim != 2 or w_ih.shape[0] != k * hidden or w_hh.shape[0] != k * hidden:
        raise RuntimeError(f"{op}: weight_ih {tuple(w_ih.shape)} and weight_hh "
                           f"{tuple(w_hh.shape)} must both have {k} * hidden_size rows")
    if w_ih.shape[1] != x.shape[1]:
        raise RuntimeError(f"{op}: input has {x.shape[1]} features but weight_ih of shape "
                           f"{tuple(w_ih.shape)} expects {w_ih.shape[1]}")
    _check_shape(op, "h0", h0, (sizes[0], p))
    for name, a, shape in extra:
        _check_shape(op, name, a, shape)
    return sizes, hidden


def _check_tensor_dtypes(op, names, args) -> None:
    """``_check_dtypes`` on the arrays of tensor arguments (None for an absent optional one)."""
    _check_dtypes(op, [(nm, a._data if a is not None else None) for nm, a in zip(names, args)])


def _input_projection(x, w_ih, *biases):
    """``x @ w_ih^T`` plus every bias that is present (graph ops, for the graph backward)."""
    xp = x @ w_ih.t()
    for b in biases:
        if b is not None:
            xp = xp + b
    return xp
