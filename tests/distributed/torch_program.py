"""A PyTorch data-parallel training program, ported by changing its imports (the PyTorch lines are
in the comments). Run as 2 MPI ranks by test_torch_program.py (argument: an output folder), which
trains the same network in PyTorch in one process on the same global batches of 64 and compares."""
import os
import sys

import numpy as np

import graphgrad as torch                                   # import torch
import graphgrad.distributed as dist                        # import torch.distributed as dist
import graphgrad.nn as nn                                   # import torch.nn as nn
import graphgrad.nn.functional as F                         # import torch.nn.functional as F
from graphgrad.nn.parallel import DistributedDataParallel as DDP  # from torch.nn.parallel import ...
from graphgrad.utils.data import DataLoader, TensorDataset  # from torch.utils.data import ...
from graphgrad.utils.data.distributed import DistributedSampler  # from torch.utils.data.distributed ...


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1)
        self.fc1 = nn.Linear(8 * 5 * 5, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))


def dataset():
    rng = np.random.default_rng(0)
    images = rng.standard_normal((640, 1, 12, 12)).astype(np.float32)
    labels = rng.integers(0, 10, 640)
    return TensorDataset(torch.from_numpy(images), torch.from_numpy(labels))


def main(out):
    dist.init_process_group(backend="gloo")
    rank, world_size = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(rank)
    data = dataset()
    sampler = DistributedSampler(data, shuffle=True, seed=0)
    loader = DataLoader(data, batch_size=64 // world_size, sampler=sampler)
    model = DDP(Net())
    if rank == 0:
        torch.save(model.module.state_dict(), os.path.join(out, "initial.pt"))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for epoch in range(2):
        sampler.set_epoch(epoch)
        model.train()
        for images, labels in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
        mean_loss = torch.tensor([loss.item()])
        dist.all_reduce(mean_loss, op=dist.ReduceOp.AVG)
        if rank == 0:
            print(f"epoch {epoch}: loss {mean_loss.item():.4f}", flush=True)
    if rank == 0:
        torch.save(model.module.state_dict(), os.path.join(out, "final.pt"))
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
