"""Variable-length batches for recurrent layers, as ``torch.nn.utils.rnn``.

A ``PackedSequence`` holds the steps of a batch of sequences without padding: ``data`` has the rows
of step 0 (one per sequence still running), then those of step 1, and so on; ``batch_sizes[t]`` is
how many sequences are still running at step t (non-increasing, sequences sorted longest first).
``sorted_indices``/``unsorted_indices`` remember the original batch order when the input was not
sorted (``enforce_sorted=False``). Packing, padding and unpacking are each one gather on the rows,
so gradients flow through them.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ...autograd.tensor import Tensor
from ...ops.joining import cat

__all__ = ["PackedSequence", "pad_sequence", "unpad_sequence", "pack_padded_sequence",
           "pad_packed_sequence", "pack_sequence", "unpack_sequence", "invert_permutation"]


def _int_tensor(values) -> Tensor:
    return Tensor._make(np.asarray(values, dtype=np.int64))


def _as_ints(values, name: str, op: str) -> np.ndarray:
    if isinstance(values, Tensor):
        values = values._data
    arr = np.asarray(values)
    if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
        raise TypeError(f"{op}: {name} must be a 1-D sequence of integers, got "
                        f"{arr.dtype} of shape {arr.shape}")
    return arr.astype(np.int64)


def invert_permutation(permutation):
    """The permutation that undoes ``permutation`` (None stays None)."""
    if permutation is None:
        return None
    perm = permutation._data if isinstance(permutation, Tensor) else np.asarray(permutation)
    inv = np.empty_like(perm)
    inv[perm] = np.arange(perm.size, dtype=perm.dtype)
    return _int_tensor(inv)


class PackedSequence(NamedTuple):
    """Packed steps of a batch of sequences (see the module docstring). Build one with
    ``pack_padded_sequence`` or ``pack_sequence``; recurrent layers accept and return it."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def _with(self, data: Tensor) -> "PackedSequence":
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs) -> "PackedSequence":
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._with(data)

    def float(self) -> "PackedSequence":
        return self._with(self.data.float())

    def double(self) -> "PackedSequence":
        return self._with(self.data.double())

    def cpu(self) -> "PackedSequence":
        return self

    def detach(self) -> "PackedSequence":
        return self._with(self.data.detach())

    @property
    def is_cuda(self) -> bool:
        return False

    def is_pinned(self) -> bool:
        return False


def _packed_rows(lengths: np.ndarray, n_steps: int):
    """(step, batch position) of every packed row, and the batch sizes, for ``lengths`` sorted
    longest first."""
    batch_sizes = (lengths[None, :] > np.arange(n_steps)[:, None]).sum(1)
    batch_sizes = batch_sizes[batch_sizes > 0]
    t_idx = np.repeat(np.arange(batch_sizes.size), batch_sizes)
    starts = np.concatenate([[0], np.cumsum(batch_sizes)[:-1]])
    b_idx = np.arange(t_idx.size) - np.repeat(starts, batch_sizes)
    return t_idx, b_idx, batch_sizes


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) of sequences with the
    given ``lengths`` (each in ``1..T``). With ``enforce_sorted`` the lengths must be in decreasing
    order; otherwise the batch is sorted here and the order kept for unpacking."""
    op = "pack_padded_sequence"
    lengths = _as_ints(lengths, "lengths", op)
    if input.ndim < 2:
        raise ValueError(f"{op}: expected a padded batch of at least 2 dimensions, got shape "
                         f"{tuple(input.shape)}")
    t_dim, b_dim = (1, 0) if batch_first else (0, 1)
    n_steps, batch = input.shape[t_dim], input.shape[b_dim]
    if lengths.size != batch:
        raise ValueError(f"{op}: expected {batch} lengths for a batch of shape "
                         f"{tuple(input.shape)} (batch_first={batch_first}), got {lengths.size}")
    if lengths.size and lengths.min() <= 0:
        raise RuntimeError(f"{op}: Length of all samples has to be greater than 0, but found an "
                           f"element in 'lengths' that is <= 0 (lengths {lengths.tolist()})")
    if lengths.size and lengths.max() > n_steps:
        raise RuntimeError(f"{op}: a length of {lengths.max()} is longer than the {n_steps} steps "
                           f"of the padded input of shape {tuple(input.shape)}")
    if enforce_sorted:
        if np.any(lengths[:-1] < lengths[1:]):
            raise RuntimeError(
                f"{op}: `lengths` array must be sorted in decreasing order when `enforce_sorted` "
                f"is True, got {lengths.tolist()}. You can pass `enforce_sorted=False` to "
                "pack_padded_sequence and/or pack_sequence to sidestep this requirement.")
        order = np.arange(batch)
        sorted_indices = None
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices = _int_tensor(order)
    # row r of the packed data is padded element (t, order[b]); gather it from the flat batch
    t_idx, b_pos, batch_sizes = _packed_rows(lengths[order], n_steps)
    b_idx = order[b_pos]
    flat_idx = (t_idx * batch + b_idx) if not batch_first else (b_idx * n_steps + t_idx)
    feat = tuple(input.shape[2:])
    data = input.reshape((n_steps * batch,) + feat)[flat_idx]
    return PackedSequence(data, _int_tensor(batch_sizes), sorted_indices,
                          invert_permutation(sorted_indices))


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: int | None = None):
    """Undo ``pack_padded_sequence``: returns the padded batch ``(T, B, *)`` (``(B, T, *)`` with
    ``batch_first``) in the original batch order and the lengths (int64 tensor)."""
    op = "pad_packed_sequence"
    data, batch_sizes = sequence.data, _as_ints(sequence.batch_sizes, "batch_sizes", op)
    n_steps, batch = batch_sizes.size, int(batch_sizes[0])
    if total_length is not None:
        if total_length < n_steps:
            raise ValueError(f"{op}: Expected total_length to be at least the length of the "
                             f"longest sequence in input, but got total_length={total_length} "
                             f"and max sequence length being {n_steps}")
        n_steps = total_length
    lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(1)  # sorted order
    unsorted = (sequence.unsorted_indices._data if sequence.unsorted_indices is not None
                else np.arange(batch))
    # slot (t, b) of the result holds packed row offset[t] + sorted position of b, or padding
    offsets = np.concatenate([[0], np.cumsum(batch_sizes)])
    pos = unsorted  # sorted position of original sequence b
    t = np.arange(n_steps)[:, None]
    valid = t < lengths[pos][None, :]
    n_rows = data.shape[0]
    idx = np.where(valid, offsets[np.minimum(t, batch_sizes.size - 1)] + pos[None, :], n_rows)
    if batch_first:
        idx = idx.T
    feat = tuple(data.shape[1:])
    pad_row = Tensor._make(np.full((1,) + feat, padding_value, dtype=data._data.dtype))
    padded = cat([data, pad_row])[idx.reshape(-1)].reshape(idx.shape + feat)
    return padded, _int_tensor(lengths[pos])


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack tensors ``(L_i, *)`` of different lengths into ``(T, B, *)`` (``(B, T, *)`` with
    ``batch_first``), filling with ``padding_value`` on the ``padding_side``."""
    op = "pad_sequence"
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError(f"{op}: received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise ValueError(f"{op}: padding_side must be 'left' or 'right', got {padding_side!r}")
    feat = tuple(sequences[0].shape[1:])
    for k, s in enumerate(sequences):
        if s.ndim == 0 or tuple(s.shape[1:]) != feat:
            raise RuntimeError(f"{op}: sequence {k} has shape {tuple(s.shape)} but sequence 0 has "
                               f"trailing dimensions {feat}")
    lengths = np.array([s.shape[0] for s in sequences], dtype=np.int64)
    n_steps = int(lengths.max())
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    t = np.arange(n_steps)[:, None]
    shift = (n_steps - lengths)[None, :] if padding_side == "left" else 0
    step = t - shift
    valid = (step >= 0) & (step < lengths[None, :])
    total = int(lengths.sum())
    idx = np.where(valid, starts[None, :] + step, total)
    if batch_first:
        idx = idx.T
    flat = cat(sequences)
    pad_row = Tensor._make(np.full((1,) + feat, padding_value, dtype=flat._data.dtype))
    return cat([flat, pad_row])[idx.reshape(-1)].reshape(idx.shape + feat)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """Split a padded batch back into a list of tensors ``(L_i, *)``."""
    lengths = _as_ints(lengths, "lengths", "unpad_sequence")
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[b, :int(n)] for b, n in enumerate(lengths)]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of tensors ``(L_i, *)`` (longest first unless ``enforce_sorted=False``)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The list of tensors ``(L_i, *)`` that ``pack_sequence`` packed."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
