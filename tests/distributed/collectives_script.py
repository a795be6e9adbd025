"""Run as 2+ MPI ranks by tests/distributed/test_collectives.py: every collective and ReduceOp of
graphgrad.distributed against values computed here from every rank's known input. Any failed check
raises, which aborts every rank; the last line each rank prints counts its checks."""
import numpy as np

import graphgrad as torch
import graphgrad.distributed as dist
from graphgrad.distributed.nn.functional import all_reduce as differentiable_all_reduce

dist.init_process_group(backend="mpi")
R, W = dist.get_rank(), dist.get_world_size()
checks = [0]


def check(condition, what):
    if not condition:
        raise AssertionError(f"rank {R}: {what}")
    checks[0] += 1


def close(tensor, expected, what):
    got = tensor.numpy() if hasattr(tensor, "numpy") else np.asarray(tensor)
    check(got.shape == np.shape(expected) and np.allclose(got, expected, rtol=1e-3),
          f"{what}: {got} != {expected}")


def raises(error, call, what):
    try:
        call()
    except error:
        checks[0] += 1
        return
    raise AssertionError(f"rank {R}: {what} did not raise {error.__name__}")


def values(rank, dtype):
    """Rank ``rank``'s input: distinct per rank, positive and negative, exact in every dtype."""
    return np.array([rank + 1, 2 * (rank + 2), -(rank + 3), 7], dtype=dtype)


check((dist.is_initialized(), dist.get_backend(), W) == (True, "mpi", W), "initialised, backend mpi")
everyone = {}
for dtype in (np.float32, np.float64, np.int64, np.int32, np.float16):
    stacked = np.stack([values(q, dtype) for q in range(W)])
    everyone[dtype] = stacked
    expected = {dist.ReduceOp.SUM: stacked.sum(0), dist.ReduceOp.PRODUCT: stacked.prod(0),
                dist.ReduceOp.MIN: stacked.min(0), dist.ReduceOp.MAX: stacked.max(0)}
    if dtype in (np.float32, np.float64, np.float16):
        expected[dist.ReduceOp.AVG] = stacked.sum(0) / W
    if dtype in (np.int64, np.int32):
        expected[dist.ReduceOp.BAND] = np.bitwise_and.reduce(stacked, 0)
        expected[dist.ReduceOp.BOR] = np.bitwise_or.reduce(stacked, 0)
        expected[dist.ReduceOp.BXOR] = np.bitwise_xor.reduce(stacked, 0)
    for op, want in expected.items():
        t = torch.tensor(values(R, dtype))
        version = t._vc[0]
        check(dist.all_reduce(t, op=op) is None, "a blocking all_reduce returns None")
        close(t, want.astype(dtype), f"all_reduce {op} {np.dtype(dtype)}")
        check(t._vc[0] > version, "all_reduce bumps the tensor's version")
        t = torch.tensor(values(R, dtype))
        work = dist.all_reduce(t, op=op, async_op=True)
        work.wait()
        check(work.is_completed(), "Work.is_completed after wait")
        close(t, want.astype(dtype), f"async all_reduce {op} {np.dtype(dtype)}")

f32 = everyone[np.float32]
raises(TypeError, lambda: dist.all_reduce(torch.tensor([1, 2]), op=dist.ReduceOp.AVG), "AVG of ints")
raises(ValueError, lambda: dist.all_reduce(torch.ones(4, 4).t()), "a non-contiguous target")
raises(ValueError, lambda: dist.all_reduce(torch.ones(2), group=object()), "another group")
raises(TypeError, lambda: dist.all_reduce(np.ones(2)), "a NumPy array")

# reduce: the result on dst only
for dst in range(W):
    t = torch.tensor(values(R, np.float32))
    dist.reduce(t, dst=dst, op=dist.ReduceOp.SUM)
    close(t, f32.sum(0) if R == dst else values(R, np.float32), f"reduce to {dst}")

# broadcast from every source, blocking and not
for src in range(W):
    t = torch.tensor(values(R, np.float32))
    dist.broadcast(t, src=src)
    close(t, f32[src], f"broadcast from {src}")
    t = torch.tensor(values(R, np.float64))
    dist.broadcast(t, group_src=src, async_op=True).wait()
    close(t, everyone[np.float64][src], f"async broadcast from {src}")
raises(ValueError, lambda: dist.broadcast(torch.ones(2)), "broadcast without src")
raises(ValueError, lambda: dist.broadcast(torch.ones(2), src=W), "broadcast from a rank that is not")

# all_gather into a list and into one tensor, two layouts
out = [torch.zeros(4) for _ in range(W)]
dist.all_gather(out, torch.tensor(values(R, np.float32)))
for q in range(W):
    close(out[q], f32[q], f"all_gather [{q}]")
out = [torch.zeros(4) for _ in range(W)]
dist.all_gather(out, torch.tensor(values(R, np.float32)), async_op=True).wait()
close(torch.stack(out), f32, "async all_gather")
raises(ValueError, lambda: dist.all_gather([torch.zeros(4)] * (W + 1), torch.ones(4)), "a list too long")
raises(ValueError, lambda: dist.all_gather([torch.zeros(3)] * W, torch.ones(4)), "a wrong shape")
flat = torch.zeros(4 * W)
dist.all_gather_into_tensor(flat, torch.tensor(values(R, np.float32)))
close(flat, f32.reshape(-1), "all_gather_into_tensor (W*n,)")
stacked = torch.zeros(W, 4)
dist.all_gather_into_tensor(stacked, torch.tensor(values(R, np.float32)))
close(stacked, f32, "all_gather_into_tensor (W, n)")

# gather to every destination
for dst in range(W):
    lst = [torch.zeros(4) for _ in range(W)] if R == dst else None
    dist.gather(torch.tensor(values(R, np.float32)), lst, dst=dst)
    if R == dst:
        close(torch.stack(lst), f32, f"gather to {dst}")
other = (R + 1) % W
raises(ValueError, lambda: dist.gather(torch.ones(4), [torch.zeros(4)] * W, dst=other),
       "gather_list on a non-destination rank")

# scatter from every source
for src in range(W):
    t = torch.zeros(4)
    parts = [torch.tensor(values(q, np.float32) * 10) for q in range(W)] if R == src else None
    dist.scatter(t, parts, src=src)
    close(t, values(R, np.float32) * 10, f"scatter from {src}")
raises(ValueError, lambda: dist.scatter(torch.zeros(4), [torch.zeros(4)] * W, src=other),
       "scatter_list on a non-source rank")

dist.barrier()
dist.barrier(async_op=True).wait()

# objects (pickled, as PyTorch's)
objs = [{"rank": R}, f"from {R}"]
dist.broadcast_object_list(objs, src=W - 1)
check(objs == [{"rank": W - 1}, f"from {W - 1}"], f"broadcast_object_list: {objs}")
gathered = [None] * W
dist.all_gather_object(gathered, ("r", R))
check(gathered == [("r", q) for q in range(W)], f"all_gather_object: {gathered}")

# the differentiable all_reduce: d(sum over ranks of loss_r)/dx_r
for op, scale in ((dist.ReduceOp.SUM, 1.0), (dist.ReduceOp.AVG, 1.0 / W)):
    x = torch.tensor(values(R, np.float64), requires_grad=True)
    y = differentiable_all_reduce(x, op=op)
    close(y.detach(), everyone[np.float64].sum(0) * scale, f"differentiable all_reduce {op}")
    (y * float(R + 1)).sum().backward()
    close(x.grad, np.full(4, sum(q + 1 for q in range(W)) * scale), f"its gradient {op}")

# the training-loop helpers
check(dist.rank_and_world_size() == (R, W) and dist.is_main_process() == (R == 0), "rank helpers")
sums = dist.all_reduce_sums({"a": float(R), "n": 1})
check(sums == {"a": float(sum(range(W))), "n": float(W)}, f"all_reduce_sums {sums}")
means = dist.mean_over_ranks({"loss": 10.0 * (R + 1)}, count=R + 1)
check(abs(means["loss"] - 10.0) < 1e-12, f"mean_over_ranks {means}")
raises(RuntimeError, lambda: dist.all_reduce_sums({f"key{R}": 1.0}), "different keys on the ranks")
check(dist.broadcast_from_main({"run": f"folder-{R}"}) == {"run": "folder-0"}, "broadcast_from_main")

raises(ValueError, lambda: dist.init_process_group(), "a second init")
dist.destroy_process_group()
check(not dist.is_initialized(), "destroyed")
raises(ValueError, dist.get_rank, "get_rank after destroy")
dist.init_process_group("gloo")  # PyTorch's CPU backend name runs over MPI too
check(dist.get_world_size() == W, "re-initialised")
dist.barrier()
print(f"rank {R}: {checks[0]} checks passed", flush=True)
