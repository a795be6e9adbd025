"""Run as 2 MPI ranks by tests/distributed/test_ddp.py (argument: an output folder). Trains the
models of ddp_cases.py with DistributedDataParallel and saves, per rank, the weights at the start
(after DDP copied rank 0's) and at the end of each case, and SyncBatchNorm's results on a batch of
a different size per rank. test_ddp.py compares them with one process on the whole batch."""
import os
import sys

import numpy as np

import graphgrad as torch
import graphgrad.distributed as dist
import graphgrad.nn as nn
from graphgrad.nn.parallel import DistributedDataParallel as DDP

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ddp_cases import batch_norm_case, cnn, data, shard, train, weights  # noqa: E402

dist.init_process_group()
R, W = dist.get_rank(), dist.get_world_size()
out = sys.argv[1]
x, y = data()
mine = [(shard(x[s], R, W), shard(y[s], R, W)) for s in range(len(x))]
saved = {}


def keep(case, model):
    for k, v in weights(model).items():
        saved[f"{case}/{k}"] = v


# 1. per-rank batch 32, 20 SGD steps; every rank starts from its own seed: DDP copies rank 0's
model = cnn(seed=R)
ddp = DDP(model, bucket_cap_mb=0.004)  # several buckets for this small model
assert len(ddp.reducer.buckets) > 1, ddp.reducer.buckets
keep("plain_start", ddp)
train(ddp, mine)
keep("plain", ddp)

# 2. the same with gradient accumulation: the first half-batch inside no_sync()
ddp = DDP(cnn(seed=R))
train(ddp, mine, ddp=ddp, micro_batches=2)
keep("no_sync", ddp)

# 3. batch norm converted to SyncBatchNorm: statistics over the global batch of 64
ddp = DDP(nn.SyncBatchNorm.convert_sync_batchnorm(cnn(seed=R, batch_norm=True)))
train(ddp, mine[:10])
keep("sync_bn", ddp)

# 4. gradient_as_bucket_view gives the same training as copying
a = DDP(cnn(seed=R), gradient_as_bucket_view=True)
b = DDP(cnn(seed=R))
train(a, mine[:5])
train(b, mine[:5])
for (k, va), vb in zip(weights(a).items(), weights(b).values()):
    assert np.array_equal(va, vb), k

# 5. SyncBatchNorm alone, float64, a batch of 3 on rank 0 and 5 on rank 1 (unequal counts)
bn, inputs, upstream = batch_norm_case(nn.SyncBatchNorm, W)
xin = torch.tensor(inputs[R], requires_grad=True)
result = bn(xin)
(result * torch.tensor(upstream[R])).sum().backward()
for name, grad in (("weight", bn.weight.grad), ("bias", bn.bias.grad)):
    dist.all_reduce(grad)  # the whole batch's gradient is the sum of the ranks'
    saved[f"syncbn/grad_{name}"] = grad.numpy()
saved["syncbn/out"] = result.detach().numpy()
saved["syncbn/grad_input"] = xin.grad.numpy()
saved["syncbn/running_mean"] = bn.running_mean.numpy()
saved["syncbn/running_var"] = bn.running_var.numpy()

np.savez(os.path.join(out, f"rank{R}.npz"), **saved)
print(f"rank {R}: saved", flush=True)
