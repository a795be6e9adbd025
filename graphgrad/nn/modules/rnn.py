"""Recurrent layers, as ``torch.nn``: ``RNN``, ``LSTM``, ``GRU`` (stacked, bidirectional, packed
input, initial states, dropout between layers) and ``RNNCell``, ``LSTMCell``, ``GRUCell``; plus
``PeepholeLSTM``, a graphgrad extension.

Parameter names, shapes, gate order (LSTM i, f, g, o; GRU r, z, n) and initialisation
(U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) for every weight and bias) are PyTorch's, so a
PyTorch ``state_dict`` loads and gives the same outputs. Each direction of each layer runs as one
fused op (``graphgrad.ops.rnn.lstm_layer`` and friends): one matrix product for the input
projections of all steps, one per step for the recurrence.
"""
from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from ...autograd.tensor import Tensor
from ...backend import check_device, get_default_dtype
from ...ops.creation import empty
from ...ops.joining import cat, stack
from ...ops.nn_misc import dropout as _dropout
from ...ops.rnn import (gru_cell, gru_layer, lstm_cell, lstm_layer, rnn_layer, rnn_relu_cell,
                        rnn_tanh_cell)
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "PeepholeLSTM", "RNNCellBase", "RNNCell", "LSTMCell",
           "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _shape(t) -> tuple:
    return tuple(t.shape)


class RNNBase(Module):
    """Shared machinery of ``RNN``, ``LSTM`` and ``GRU``: parameters, checks and the layer loop.

    ``mode`` is ``'LSTM'``, ``'GRU'``, ``'RNN_TANH'`` or ``'RNN_RELU'``."""

    _peephole = False

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None):
        check_device(device, type(self).__name__)
        super().__init__()
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        name = type(self).__name__
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError(f"{name}: dropout should be a number in range [0, 1] representing the "
                             f"probability of an element being zeroed, got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout option adds dropout after all but last recurrent "
                          f"layer, so non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}")
        for arg, value, low in (("input_size", input_size, 0), ("hidden_size", hidden_size, 1),
                                ("num_layers", num_layers, 1)):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"{name}: {arg} must be an integer >= {low}, got {value!r}")
        if not isinstance(proj_size, int) or proj_size < 0:
            raise ValueError(f"{name}: proj_size should be a positive integer or zero to disable "
                             f"projections, got {proj_size!r}")
        if proj_size >= hidden_size:
            raise ValueError(f"{name}: proj_size has to be smaller than hidden_size, got "
                             f"proj_size={proj_size} and hidden_size={hidden_size}")
        if proj_size and mode != "LSTM":
            raise ValueError(f"{name}: proj_size argument is only supported for LSTM, not RNN or "
                             "GRU")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        dtype = dtype or get_default_dtype()
        gates = _GATES[mode] * hidden_size
        real_hidden = proj_size or hidden_size
        directions = 2 if bidirectional else 1
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else real_hidden * directions
            for direction in range(directions):
                sfx = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = [("weight_ih", (gates, layer_in)), ("weight_hh", (gates, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gates,)), ("bias_hh", (gates,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                if self._peephole:
                    shapes += [(w, (hidden_size,)) for w in ("weight_ci", "weight_cf",
                                                              "weight_co")]
                names = []
                for base, shape in shapes:
                    setattr(self, base + sfx, Parameter(empty(*shape, dtype=dtype)))
                    names.append(base + sfx)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """No-op (PyTorch compacts cuDNN weights here)."""

    # ---------------------------------------------------------------------------- checks
    def _check_input(self, input: Tensor, batched: bool) -> None:
        name = type(self).__name__
        expected = 3 if batched else 2
        if input.ndim != expected:
            raise RuntimeError(f"{name}: input must have {expected} dimensions, got {input.ndim} "
                               f"(input shape {_shape(input)})")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]} (input shape "
                               f"{_shape(input)})")
        if input._data.dtype.kind != "f":
            raise TypeError(f"{name}: expected a floating point input, got dtype {input.dtype}")
        w = self._flat_weights[0]
        if input._data.dtype != w._data.dtype:
            raise TypeError(f"{name}: input must have the type {w.dtype}, got type {input.dtype}")

    def _check_hidden(self, hx: Tensor, expected: tuple, what: str) -> None:
        if _shape(hx) != expected:
            raise RuntimeError(f"{type(self).__name__}: Expected {what} size {expected}, got "
                               f"{list(hx.shape)}")

    def _state_shapes(self, batch: int) -> tuple:
        d = 2 if self.bidirectional else 1
        h = (self.num_layers * d, batch, self.proj_size or self.hidden_size)
        c = (self.num_layers * d, batch, self.hidden_size)
        return h, c

    # --------------------------------------------------------------------------- forward
    def _prepare(self, input, hx):
        """Packed rows (N, I), batch sizes and how to shape the result back."""
        name = type(self).__name__
        if isinstance(input, PackedSequence):
            data, batch_sizes, sorted_idx, unsorted_idx = input
            self._check_input(data, batched=False)
            sizes = [int(b) for b in np.asarray(batch_sizes._data if isinstance(
                batch_sizes, Tensor) else batch_sizes).reshape(-1)]
            ctx = ("packed", batch_sizes, sorted_idx, unsorted_idx)
            return data, sizes, sizes[0], ctx, True
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected a Tensor or PackedSequence input, got "
                            f"{type(input).__name__}")
        if input.ndim not in (2, 3):
            raise RuntimeError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D instead "
                               f"(input shape {_shape(input)})")
        batched = input.ndim == 3
        self._check_input(input, batched)
        x = input
        if not batched:
            x = x.unsqueeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)
        steps, batch = x.shape[0], x.shape[1]
        if steps == 0:
            raise RuntimeError(f"{name}: expected a sequence of at least one step, got input "
                               f"shape {_shape(input)}")
        return x.reshape(steps * batch, self.input_size), [batch] * steps, batch, \
            ("padded", steps, batched), batched

    def _initial(self, hx, batch: int, batched: bool, ctx, dtype):
        """The initial states as lists of (B, F) tensors, one per layer and direction."""
        h_shape, c_shape = self._state_shapes(batch)
        lstm = self.mode == "LSTM"
        if hx is None:
            h = Tensor._make(np.zeros(h_shape[1:], dtype=dtype))
            c = Tensor._make(np.zeros(c_shape[1:], dtype=dtype))
            return [h] * h_shape[0], ([c] * c_shape[0] if lstm else None)
        states = list(hx) if lstm else [hx]
        if lstm and (not isinstance(hx, (tuple, list)) or len(states) != 2):
            raise TypeError(f"{type(self).__name__}: hx must be a tuple (h_0, c_0), got "
                            f"{type(hx).__name__}")
        if not lstm and not isinstance(hx, Tensor):
            raise TypeError(f"{type(self).__name__}: hx must be a Tensor, got {type(hx).__name__}")
        shapes = (h_shape, c_shape)
        out = []
        for k, s in enumerate(states):
            what = f"hidden[{k}]" if lstm else "hidden"
            if not batched:
                if s.ndim != 2:
                    raise RuntimeError(f"{type(self).__name__}: For unbatched 2-D input, hx "
                                       f"should also be 2-D but got {s.ndim}-D tensor")
                s = s.unsqueeze(1)
            elif s.ndim != 3:
                raise RuntimeError(f"{type(self).__name__}: For batched 3-D input, hx should also "
                                   f"be 3-D but got {s.ndim}-D tensor")
            self._check_hidden(s, shapes[k], what)
            if ctx[0] == "packed" and ctx[2] is not None:
                s = s.index_select(1, ctx[2])
            out.append(list(s.unbind(0)))
        return out[0], (out[1] if lstm else None)

    def _run_layers(self, x, sizes, h0, c0):
        directions = 2 if self.bidirectional else 1
        h_n, c_n = [], []
        weights = self.all_weights
        for layer in range(self.num_layers):
            outs = []
            for d in range(directions):
                k = layer * directions + d
                w = weights[k]
                w_ih, w_hh = w[0], w[1]
                rest = w[2:]
                b_ih = b_hh = None
                if self.bias:
                    b_ih, b_hh = rest[0], rest[1]
                    rest = rest[2:]
                if self.mode == "LSTM":
                    w_hr = rest[0] if self.proj_size else None
                    peep = tuple(rest[-3:]) if self._peephole else None
                    out, h, c = lstm_layer(x, sizes, h0[k], c0[k], w_ih, w_hh, b_ih, b_hh, w_hr,
                                           peep, reverse=d == 1)
                    c_n.append(c)
                elif self.mode == "GRU":
                    out, h = gru_layer(x, sizes, h0[k], w_ih, w_hh, b_ih, b_hh, reverse=d == 1)
                else:
                    nl = "tanh" if self.mode == "RNN_TANH" else "relu"
                    out, h = rnn_layer(x, sizes, h0[k], w_ih, w_hh, b_ih, b_hh, reverse=d == 1,
                                       nonlinearity=nl)
                outs.append(out)
                h_n.append(h)
            x = outs[0] if directions == 1 else cat(outs, 1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout, True)
        return x, h_n, c_n

    def forward(self, input, hx=None):
        x, sizes, batch, ctx, batched = self._prepare(input, hx)
        h0, c0 = self._initial(hx, batch, batched, ctx, x._data.dtype)
        out, h_n, c_n = self._run_layers(x, sizes, h0, c0)
        states = [h_n, c_n] if self.mode == "LSTM" else [h_n]
        states = [s[0].unsqueeze(0) if len(s) == 1 else stack(s, 0) for s in states]
        if ctx[0] == "packed":
            _, batch_sizes, sorted_idx, unsorted_idx = ctx
            if unsorted_idx is not None:
                states = [s.index_select(1, unsorted_idx) for s in states]
            output = PackedSequence(out, batch_sizes, sorted_idx, unsorted_idx)
        else:
            steps = ctx[1]
            output = out.reshape(steps, batch, out.shape[-1])
            if not batched:
                output = output.squeeze(1)
                states = [s.squeeze(1) for s in states]
            elif self.batch_first:
                output = output.transpose(0, 1)
        hidden = tuple(states) if self.mode == "LSTM" else states[0]
        return output, hidden

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


class RNN(RNNBase):
    """Elman RNN: ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``, ``act`` tanh or relu.

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``. Input ``(T, B, I)`` (``(B, T, I)``
    with ``batch_first``, ``(T, I)`` unbatched, or a ``PackedSequence``), optional ``h_0
    (D*num_layers, B, H)``; returns ``(output (T, B, D*H), h_n (D*num_layers, B, H))``."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("RNN: proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            args = list(args)
            kwargs["nonlinearity"] = args.pop(3)
        nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"RNN: Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__(mode, *args, **kwargs)


class LSTM(RNNBase):
    """Long short-term memory: gates ``i, f, g, o`` from ``x_t W_ih^T + b_ih + h_{t-1} W_hh^T +
    b_hh``, ``c_t = f*c_{t-1} + i*g``, ``h_t = o*tanh(c_t)`` (times ``W_hr^T`` with ``proj_size``).

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, proj_size=0)``. Input as ``RNN``; optional ``(h_0, c_0)``; returns
    ``(output, (h_n, c_n))`` with PyTorch's shapes."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit (PyTorch's form): ``r, z = sigmoid(...)``, ``n = tanh(W_in x + b_in +
    r*(W_hn h + b_hn))``, ``h_t = (1-z)*n + z*h_{t-1}``. Arguments and shapes as ``RNN``."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("GRU: proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


class PeepholeLSTM(RNNBase):
    """LSTM with peephole connections (Graves, 2013) -- a graphgrad extension, not in PyTorch.

    The input and forget gates also see the previous cell state and the output gate sees the new
    one: ``i = sigmoid(... + w_ci*c_{t-1})``, ``f = sigmoid(... + w_cf*c_{t-1})``, ``c_t = f*c_{t-1}
    + i*g``, ``o = sigmoid(... + w_co*c_t)``, ``h_t = o*tanh(c_t)``. Extra parameters per layer and
    direction: ``weight_ci_l{k}``, ``weight_cf_l{k}``, ``weight_co_l{k}``, each ``(hidden_size,)``.
    Everything else (arguments, inputs, outputs) as ``LSTM``."""

    _peephole = True

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


# ====================================================================================== cells
class RNNCellBase(Module):
    """Shared parameters and checks of the single-step cells."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None):
        check_device(device, type(self).__name__)
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        dtype = dtype or get_default_dtype()
        self.weight_ih = Parameter(empty(num_chunks * hidden_size, input_size, dtype=dtype))
        self.weight_hh = Parameter(empty(num_chunks * hidden_size, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, dtype=dtype))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input: Tensor, hx, n_states: int):
        """Batched input ``(B, I)`` and states ``(B, H)``; whether to squeeze the result."""
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise RuntimeError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead "
                               f"(input shape {_shape(input)})")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input has inconsistent input_size: got {input.shape[-1]} "
                               f"expected {self.input_size} (input shape {_shape(input)})")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        batch = x.shape[0]
        if hx is None:
            zero = Tensor._make(np.zeros((batch, self.hidden_size), dtype=x._data.dtype))
            return x, [zero] * n_states, batched
        states = list(hx) if n_states == 2 else [hx]
        out = []
        for k, s in enumerate(states):
            if s.ndim != input.ndim:
                raise RuntimeError(f"{name}: hidden state {k} must be {input.ndim}-D like the "
                                   f"input, got shape {_shape(s)}")
            s = s if batched else s.unsqueeze(0)
            if _shape(s) != (batch, self.hidden_size):
                raise RuntimeError(f"{name}: Expected hidden state {k} of shape "
                                   f"{(batch, self.hidden_size)} for input of shape "
                                   f"{_shape(input)}, got {_shape(s)}")
            out.append(s)
        return x, out, batched


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: ``h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)``. Input ``(B, I)``
    or ``(I,)``, ``hx`` ``(B, H)`` (zeros if omitted); returns ``h' (B, H)``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, (h,), batched = self._prepare(input, hx, 1)
        cell = rnn_tanh_cell if self.nonlinearity == "tanh" else rnn_relu_cell
        out = cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return out if batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step (one fused op for the gate arithmetic). Input ``(B, I)`` or ``(I,)``, ``hx =
    (h, c)`` each ``(B, H)`` (zeros if omitted); returns ``(h', c')``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx=None):
        x, (h, c), batched = self._prepare(input, hx, 2)
        h, c = lstm_cell(x, (h, c), self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (PyTorch's form). Input ``(B, I)`` or ``(I,)``, ``hx (B, H)`` (zeros if
    omitted); returns ``h' (B, H)``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, (h,), batched = self._prepare(input, hx, 1)
        out = gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return out if batched else out.squeeze(0)
