"""DistributedDataParallel and SyncBatchNorm on 2 MPI ranks against one process with the whole batch:
ddp_script.py trains on the ranks; the references are trained here, in this process."""
import sys

import numpy as np

import graphgrad as torch
import graphgrad.nn as nn
from mpi_launch import SCRIPTS, launch, needs_mpi

sys.path.insert(0, SCRIPTS)
from ddp_cases import batch_norm_case, cnn, data, train, weights  # noqa: E402


def _assert_close(got: dict, want: dict, case: str, atol: float):
    assert sorted(got) == sorted(want), case
    for k in want:
        diff = np.max(np.abs(got[k].astype(np.float64) - want[k]))
        assert diff <= atol, f"{case}: {k} differs by {diff}"


def _case(results: dict, case: str) -> dict:
    prefix = case + "/"
    return {k[len(prefix):]: v for k, v in results.items() if k.startswith(prefix)}


@needs_mpi
def test_ddp_on_2_ranks_matches_one_process_with_the_whole_batch(tmp_path):
    run = launch("ddp_script.py", tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    ranks = [dict(np.load(tmp_path / f"rank{r}.npz")) for r in range(2)]
    assert ranks[0].keys() == ranks[1].keys()
    for k in ranks[0]:
        if not k.startswith("syncbn/"):  # every rank ends with exactly the same model
            assert np.array_equal(ranks[0][k], ranks[1][k]), k
    x, y = data()
    full = list(zip(x, y))
    # at wrap, rank 1 (seeded 1) took rank 0's weights (seed 0)
    _assert_close(_case(ranks[1], "plain_start"), weights(cnn(seed=0)), "plain_start", 0)
    reference = weights(train(cnn(seed=0), full))
    _assert_close(_case(ranks[0], "plain"), reference, "20 steps of batch 2 x 32", 1e-5)
    _assert_close(_case(ranks[0], "no_sync"), reference, "no_sync accumulation", 1e-5)
    _assert_close(_case(ranks[0], "sync_bn"), weights(train(cnn(seed=0, batch_norm=True), full[:10])),
                  "SyncBatchNorm", 1e-5)
    _check_sync_batch_norm_alone(ranks)


def _check_sync_batch_norm_alone(ranks):
    """The script's SyncBatchNorm on batches of 3 and 5 = BatchNorm2d on the batch of 8."""
    bn, inputs, upstream = batch_norm_case(nn.BatchNorm2d)
    x = torch.tensor(np.concatenate(inputs), requires_grad=True)
    out = bn(x)
    (out * torch.tensor(np.concatenate(upstream))).sum().backward()
    for r, (start, stop) in enumerate([(0, 3), (3, 8)]):  # the batches of 3 and 5
        got = _case(ranks[r], "syncbn")
        np.testing.assert_allclose(got["out"], out.detach().numpy()[start:stop], atol=1e-12)
        np.testing.assert_allclose(got["grad_input"], x.grad.numpy()[start:stop], atol=1e-12)
        np.testing.assert_allclose(got["grad_weight"], bn.weight.grad.numpy(), atol=1e-12)
        np.testing.assert_allclose(got["grad_bias"], bn.bias.grad.numpy(), atol=1e-12)
        np.testing.assert_allclose(got["running_mean"], bn.running_mean.numpy(), atol=1e-12)
        np.testing.assert_allclose(got["running_var"], bn.running_var.numpy(), atol=1e-12)
