"""A PyTorch DDP program ported by changing its imports (torch_program.py), run on 2 MPI ranks with
per-rank batches of 32, ends with the weights PyTorch itself reaches in one process with the same
global batches of 64, from the same initial weights."""
import sys

import numpy as np
import pytest

import graphgrad
from mpi_launch import SCRIPTS, launch, needs_mpi
from graphgrad.utils.data.distributed import DistributedSampler

sys.path.insert(0, SCRIPTS)
import torch_program  # noqa: E402


def _train_in_pytorch(initial: dict, data):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F

    net = torch.nn.Sequential()  # the same layers under the same names as torch_program.Net
    net.conv1 = torch.nn.Conv2d(1, 8, 3, 1)
    net.fc1 = torch.nn.Linear(8 * 5 * 5, 32)
    net.fc2 = torch.nn.Linear(32, 10)
    net.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in initial.items()})

    def forward(x):
        x = F.max_pool2d(F.relu(net.conv1(x)), 2)
        return net.fc2(F.relu(net.fc1(torch.flatten(x, 1))))

    images, labels = (torch.from_numpy(t.numpy().copy()) for t in data.tensors)
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    for epoch in range(2):
        orders = []
        for rank in range(2):  # what each rank's DistributedSampler yields in this epoch
            sampler = DistributedSampler(data, num_replicas=2, rank=rank, shuffle=True, seed=0)
            sampler.set_epoch(epoch)
            orders.append(list(sampler))
        for step in range(len(orders[0]) // 32):
            batch = orders[0][32 * step:32 * step + 32] + orders[1][32 * step:32 * step + 32]
            opt.zero_grad()
            F.cross_entropy(forward(images[batch]), labels[batch]).backward()
            opt.step()
    return {k: v.detach().numpy() for k, v in net.state_dict().items()}


@needs_mpi
def test_ported_pytorch_program_on_2_ranks_matches_pytorch_in_one_process(tmp_path):
    run = launch("torch_program.py", tmp_path, runner=("-m", "mpi4py"))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "epoch 1: loss" in run.stdout and run.stdout.count("epoch 1") == 1  # rank 0 prints
    initial = graphgrad.load(tmp_path / "initial.pt")
    final = graphgrad.load(tmp_path / "final.pt")
    want = _train_in_pytorch(initial, torch_program.dataset())
    assert sorted(final) == sorted(want)
    for k in want:
        moved = np.abs(want[k] - initial[k].numpy()).max()
        diff = np.abs(final[k].numpy() - want[k]).max()
        assert moved > 1e-3 and diff < 1e-5, (k, moved, diff)
