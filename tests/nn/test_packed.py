"""nn.utils.rnn: packing, padding and unpacking variable-length batches, as PyTorch does, with
gradients flowing through."""
import numpy as np
import pytest

import graphgrad as gg
from graphgrad.nn.utils import rnn as R

torch = pytest.importorskip("torch")
TR = torch.nn.utils.rnn


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths,enforce_sorted", [([5, 3, 2], True), ([2, 5, 3], False),
                                                    ([4, 4, 4], True), ([1, 3, 3, 2], False)])
def test_pack_and_pad_match_torch(batch_first, lengths, enforce_sorted):
    rng = np.random.default_rng(0)
    steps, batch = max(lengths), len(lengths)
    x = rng.standard_normal((batch, steps, 2) if batch_first else (steps, batch, 2))
    gx, tx = gg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gp = R.pack_padded_sequence(gx, lengths, batch_first, enforce_sorted)
    tp = TR.pack_padded_sequence(tx, torch.tensor(lengths), batch_first, enforce_sorted)
    np.testing.assert_allclose(gp.data.detach().numpy(), tp.data.detach().numpy())
    assert gp.batch_sizes.tolist() == tp.batch_sizes.tolist()
    assert gp.batch_sizes.dtype == gg.int64
    for mine, theirs in ((gp.sorted_indices, tp.sorted_indices),
                         (gp.unsorted_indices, tp.unsorted_indices)):
        assert (mine is None) == (theirs is None)
        if mine is not None:
            assert mine.tolist() == theirs.tolist()
    for total in (None, steps + 2):
        gpad, glen = R.pad_packed_sequence(gp, batch_first, -1.0, total)
        tpad, tlen = TR.pad_packed_sequence(tp, batch_first, -1.0, total)
        np.testing.assert_allclose(gpad.detach().numpy(), tpad.detach().numpy())
        assert glen.tolist() == tlen.tolist()
    w = rng.standard_normal(tuple(gpad.shape))
    (gpad * gg.tensor(w)).sum().backward()
    (tpad * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, padding_side):
    rng = np.random.default_rng(0)
    seqs = [rng.standard_normal((n, 3)) for n in (2, 4, 1)]
    gs = [gg.tensor(s, requires_grad=True) for s in seqs]
    ts = [torch.tensor(s, requires_grad=True) for s in seqs]
    a = R.pad_sequence(gs, batch_first, 0.5, padding_side)
    b = TR.pad_sequence(ts, batch_first, 0.5, padding_side)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy())
    w = rng.standard_normal(tuple(a.shape))
    (a * gg.tensor(w)).sum().backward()
    (b * torch.tensor(w)).sum().backward()
    for g, t in zip(gs, ts):
        np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy())


def test_pack_sequence_round_trip_and_unpad():
    rng = np.random.default_rng(0)
    seqs = [gg.tensor(rng.standard_normal((n, 2, 3))) for n in (2, 5, 3)]
    packed = R.pack_sequence(seqs, enforce_sorted=False)
    tpacked = TR.pack_sequence([torch.tensor(s.numpy()) for s in seqs], enforce_sorted=False)
    np.testing.assert_allclose(packed.data.numpy(), tpacked.data.numpy())
    for got, want in zip(R.unpack_sequence(packed), seqs):
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    padded = R.pad_sequence(seqs, batch_first=True)
    for got, want in zip(R.unpad_sequence(padded, [2, 5, 3], batch_first=True), seqs):
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_packed_sequence_is_a_named_tuple_with_helpers():
    p = R.pack_sequence([gg.ones(3, 2), gg.ones(1, 2)])
    data, batch_sizes, sorted_indices, unsorted_indices = p
    assert data.shape == (4, 2) and batch_sizes.tolist() == [2, 1, 1]
    assert sorted_indices is None and unsorted_indices is None
    assert p.double().data.dtype == gg.float64 and not p.is_cuda
    assert R.invert_permutation(gg.tensor([2, 0, 1])).tolist() == [1, 2, 0]


def test_errors():
    x = gg.randn(4, 3, 2)
    with pytest.raises(RuntimeError, match=r"must be sorted in decreasing order when "
                                           r"`enforce_sorted` is True, got \[2, 4, 3\]"):
        R.pack_padded_sequence(x, [2, 4, 3])
    with pytest.raises(RuntimeError, match="greater than 0"):
        R.pack_padded_sequence(x, [4, 0, 0])
    with pytest.raises(RuntimeError, match=r"a length of 5 is longer than the 4 steps"):
        R.pack_padded_sequence(x, [5, 3, 2])
    with pytest.raises(ValueError, match=r"expected 3 lengths .* got 2"):
        R.pack_padded_sequence(x, [4, 3])
    with pytest.raises(ValueError, match="total_length"):
        R.pad_packed_sequence(R.pack_padded_sequence(x, [4, 3, 2]), total_length=2)
    with pytest.raises(RuntimeError, match="trailing dimensions"):
        R.pad_sequence([gg.ones(2, 3), gg.ones(2, 4)])
