"""Whole-layer recurrent ops: one direction of one LSTM, GRU or RNN layer as one graph node.

Input rows are in the packed layout (see ``graphgrad.ops.rnn``). Forward: one matrix product for
the input projections of all steps, then per step one ``h @ W_hh^T`` and a few in-place array
operations. First-order backward (``backward_arrays``): backpropagation through time in one loop on
arrays (per step one ``dgates @ W_hh`` and a few products with factors precomputed for all steps at
once), then every weight gradient as one matrix product. Graph backward (``create_graph=True``):
the layer is re-run step by step with the cell-step ops on the graph-connected inputs and
differentiated, so higher derivatives are exact.

One file each: ``_lstm_layer``, ``_gru_layer``, ``_vanilla_rnn_layer``; what they share is in
``_rnn_layer_common``.
"""
from ._gru_layer import GRULayer, gru_layer
from ._lstm_layer import LSTMLayer, lstm_layer
from ._vanilla_rnn_layer import RNNLayer, rnn_layer

__all__ = ["LSTMLayer", "lstm_layer", "GRULayer", "gru_layer", "RNNLayer", "rnn_layer"]
