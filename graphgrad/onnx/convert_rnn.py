"""Converters of the fused recurrent layers: one direction of one LSTM, GRU or RNN layer becomes
one ONNX LSTM, GRU or RNN node.

graphgrad runs a layer on packed rows ``(T*B, I)`` and returns ``(T*B, H)`` rows and the final
``(B, H)`` states; ONNX takes ``(T, B, I)`` and returns ``(T, 1, B, H)`` and ``(1, B, H)``, so
each node sits between Reshapes and Squeezes. ONNX also orders the gates differently (LSTM: i, o,
f, c for PyTorch's i, f, g, o; GRU: z, r, h for r, z, n): the weights, kept under their
``state_dict`` names, are reordered in the graph by a Split and a Concat (constant-folded by any
runtime). PyTorch's GRU applies the reset gate after the hidden matrix product: ONNX's
``linear_before_reset=1``.
"""
from __future__ import annotations

import numpy as np

from ..ops._gru_layer import GRULayer
from ..ops._lstm_layer import LSTMLayer
from ..ops._vanilla_rnn_layer import RNNLayer
from .graph import converts

_GATE_ORDER = {LSTMLayer: (0, 3, 1, 2), GRULayer: (1, 0, 2), RNNLayer: (0,)}


def _reorder(site, i: int, hidden: int) -> str:
    """Argument ``i`` (``(G*H, ...)`` weights or ``(G*H,)`` bias) with its gates in ONNX's order."""
    g = site.g
    order = _GATE_ORDER[site.call.op]
    x = site.input(i)
    if len(order) == 1:
        return x
    parts = g.emit("Split", [x, g.ints([hidden] * len(order))], len(order), axis=0)
    return g.emit("Concat", [parts[k] for k in order], axis=0)[0]


def _initial_state(site, i: int) -> str:
    """``(1, B, H)`` from argument ``i`` ``(B, H)``; omitted ('') when it is all zeros, ONNX's
    default (that keeps a zero state made inside forward valid for any batch size)."""
    v = site.inputs[i]
    if v is None or (v.kind == "const" and not v.array.any()):
        return ""
    return site.g.emit("Unsqueeze", [site.input(i), site.g.ints([0])])[0]


def _sequence(site) -> tuple:
    """``(T, B)`` of the packed input, checking it is a padded batch (equal sizes per step)."""
    sizes, sizes2 = tuple(site.kwargs["sizes"]), tuple(site.call2.kwargs["sizes"])
    if len(set(sizes)) > 1:
        raise site.error("a PackedSequence of unequal lengths; export the model on padded "
                         "batches (equal lengths)")
    return (len(sizes), sizes[0]), (len(sizes2), sizes2[0])


def _convert(site, onnx_op: str, **attrs):
    g = site.g
    (steps, batch), (steps2, batch2) = _sequence(site)
    if steps != steps2 and batch != batch2:
        raise site.error("both the sequence length and the batch size are dynamic; ONNX Reshape "
                         "can infer only one of them")
    features = site.shape(0)[1]
    shape = [steps if steps == steps2 else -1, batch if batch == batch2 else -1, features]
    x = g.emit("Reshape", [site.input(0), g.ints(shape)])[0]
    w_ih_i = 3 if site.call.op is LSTMLayer else 2
    gates = len(_GATE_ORDER[site.call.op])
    hidden = site.shape(w_ih_i + 1)[0] // gates
    unsq = g.ints([0])
    w = g.emit("Unsqueeze", [_reorder(site, w_ih_i, hidden), unsq])[0]
    r = g.emit("Unsqueeze", [_reorder(site, w_ih_i + 1, hidden), unsq])[0]
    b = ""
    if site.has(w_ih_i + 2) or site.has(w_ih_i + 3):
        halves = [_reorder(site, k, hidden) if site.has(k) else
                  g.const(np.zeros(gates * hidden, site.dtype(0)), "zero_bias")
                  for k in (w_ih_i + 2, w_ih_i + 3)]
        b = g.emit("Unsqueeze", [g.emit("Concat", halves, axis=0)[0], unsq])[0]
    inputs = [x, w, r, b, "", _initial_state(site, 1)]
    if site.call.op is LSTMLayer:
        inputs.append(_initial_state(site, 2))
        if site.has(8):  # peepholes, ONNX order i, o, f
            p = g.emit("Concat", [site.input(8), site.input(10), site.input(9)], axis=0)[0]
            inputs.append(g.emit("Unsqueeze", [p, unsq])[0])
    while inputs[-1] == "":
        inputs.pop()
    states = [name and g.fresh("state") for name in site.outputs[1:]]
    y = g.fresh("Y") if site.outputs[0] else ""
    g.emit(onnx_op, inputs, [y] + states, hidden_size=int(hidden),
           direction="reverse" if site.kwargs.get("reverse") else "forward", **attrs)
    if y:
        rows = g.emit("Squeeze", [y, g.ints([1])])[0]
        g.emit("Reshape", [rows, g.ints([-1, site.call.outputs[0].shape[1]])], [site.outputs[0]])
    for state, name in zip(states, site.outputs[1:]):
        if name:
            g.emit("Squeeze", [state, unsq], [name])


@converts(LSTMLayer, varying=("sizes",))
def lstm(site):
    if site.has(7):
        raise site.error("an LSTM with proj_size has no ONNX equivalent")
    _convert(site, "LSTM")


@converts(GRULayer, varying=("sizes",))
def gru(site):
    _convert(site, "GRU", linear_before_reset=1)


@converts(RNNLayer, varying=("sizes",))
def rnn(site):
    _convert(site, "RNN", activations=["Relu" if site.kwargs.get("nonlinearity") == "relu"
                                          else "Tanh"])
