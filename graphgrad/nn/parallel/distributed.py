"""``DistributedDataParallel``: the same model on every rank, each rank a share of the batch, the
gradients averaged over the ranks during backward, as ``torch.nn.parallel.DistributedDataParallel``.

    dist.init_process_group()
    ddp = DistributedDataParallel(model)       # rank 0's parameters and buffers copied to all ranks
    loss = loss_fn(ddp(x), y)                  # x: this rank's part of the batch
    loss.backward()                            # .grad = mean over ranks of each rank's gradient
    opt.step()                                 # the same step on every rank: weights stay equal

With every rank's loss a mean over its own samples and equal per-rank batches, the averaged gradient
is the gradient of the mean loss over the global batch, so training with N ranks of batch B follows
a single process with batch N x B (batch-norm statistics aside: those are per rank unless the model
uses ``nn.SyncBatchNorm``).
"""
from __future__ import annotations

import contextlib
import zlib

import numpy as np

from ...autograd import grad_mode
from ...distributed import _mpi
from ...distributed.process_group import world
from ..modules.module import Module
from .reducer import FIRST_BUCKET_BYTES, Reducer


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training over the default process group.

    - At construction every rank checks that the models have the same parameters (names, shapes,
      dtypes), then takes rank 0's parameters and buffers (``init_sync``).
    - After each backward of an output of this wrapper, every parameter's ``.grad`` holds the mean
      over the ranks, reduced in flat buckets of up to ``bucket_cap_mb`` MiB (default 25) that
      start as soon as their gradients are ready.
    - ``no_sync()``: backward passes inside it only accumulate locally; the first backward after it
      averages the accumulated gradients.
    - ``broadcast_buffers``: before each forward (after a forward that recorded a graph outside
      ``no_sync``), rank 0's buffers (batch-norm running statistics) are copied to every rank.
    - ``find_unused_parameters``: parameters that the output does not depend on count as ready at
      once; a parameter no rank used keeps its ``.grad``. Without it such a parameter makes the next
      forward raise, as in PyTorch.
    - ``gradient_as_bucket_view``: ``.grad`` becomes a view into the bucket (saves a copy).
    - ``.module`` is the wrapped model; ``state_dict()`` keys carry the ``module.`` prefix.

    graphgrad has one device per process: ``device_ids``/``output_device`` must be None. ``dim``,
    ``check_reduction`` and ``static_graph`` are accepted (they change nothing here);
    ``process_group`` must be None or the default group; the other PyTorch options raise.
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, init_sync: bool = True, process_group=None,
                 bucket_cap_mb: float | None = None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False, delay_all_reduce_named_params=None,
                 param_to_hook_all_reduce=None, mixed_precision=None, device_mesh=None):
        super().__init__()
        for name, value in (("device_ids", device_ids), ("output_device", output_device),
                            ("delay_all_reduce_named_params", delay_all_reduce_named_params),
                            ("param_to_hook_all_reduce", param_to_hook_all_reduce),
                            ("mixed_precision", mixed_precision), ("device_mesh", device_mesh)):
            if value is not None:
                raise ValueError(f"DistributedDataParallel: {name}={value!r} is not supported "
                                 f"(graphgrad runs one CPU device per rank); leave it None")
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: expected an nn.Module, got "
                            f"{type(module).__name__}")
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any "
                               "parameter that requires a gradient.")
        pg = world(process_group, "DistributedDataParallel")
        self.module = module
        self.process_group = pg
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        _check_same_model(pg.comm, list(module.named_parameters()) + list(module.named_buffers()))
        if init_sync:
            _broadcast_coalesced(pg.comm, list(module.parameters()) + list(module.buffers()))
        # As PyTorch: with the default cap the first bucket is smaller (1 MiB), so that the last
        # layers' gradients start travelling early; an explicit cap applies to every bucket.
        first_cap = FIRST_BUCKET_BYTES if bucket_cap_mb is None else self.bucket_bytes_cap
        self.reducer = Reducer(named, pg.comm, self.bucket_bytes_cap, first_cap,
                               find_unused_parameters=find_unused_parameters,
                               gradient_as_bucket_view=gradient_as_bucket_view)

    def forward(self, *inputs, **kwargs):
        if self.require_forward_param_sync and self.broadcast_buffers:
            buffers = list(self.module.buffers())
            if buffers:
                _broadcast_coalesced(self.process_group.comm, buffers)
        output = self.module(*inputs, **kwargs)
        if grad_mode.is_grad_enabled() and self.require_backward_grad_sync:
            self.require_forward_param_sync = True
            self.reducer.prepare_for_backward(output)
        else:
            self.require_forward_param_sync = False
        return output

    @contextlib.contextmanager
    def no_sync(self):
        """Inside this context, backward accumulates gradients on each rank without averaging them;
        the first backward after it averages everything accumulated."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous


def _check_same_model(comm, named_tensors) -> None:
    """Raise on every rank if the ranks' models differ in parameter or buffer names, shapes or
    dtypes (a collective: one allgather of a checksum)."""
    text = ";".join(f"{n}:{tuple(t.shape)}:{t._data.dtype}" for n, t in named_tensors)
    mine = np.array([len(named_tensors), zlib.crc32(text.encode())], dtype=np.int64)
    every = np.empty((comm.Get_size(), 2), dtype=np.int64)
    comm.Allgather(mine, every)
    differ = [r for r in range(len(every)) if not np.array_equal(every[r], every[0])]
    if differ:
        raise RuntimeError(f"DistributedDataParallel: the model on rank(s) {differ} differs from rank "
                           f"0's in its parameters or buffers (names, shapes or dtypes); every rank "
                           f"must build the same model (this rank has {len(named_tensors)} tensors)")


def _broadcast_coalesced(comm, tensors) -> None:
    """Copy rank 0's ``tensors`` to every rank: one broadcast per dtype of all of them, flattened."""
    if comm.Get_size() == 1:
        return
    MPI = _mpi.load_mpi()
    by_dtype = {}
    for t in tensors:
        by_dtype.setdefault(t._data.dtype, []).append(t)
    for group in by_dtype.values():
        flat = np.concatenate([t._data.reshape(-1) for t in group])
        comm.Bcast([flat, MPI.BYTE] if flat.dtype == np.bool_ else flat, root=0)
        start = 0
        for t in group:
            n = t._data.size
            t._data[...] = flat[start:start + n].reshape(t._data.shape)
            t._bump_version()
            start += n
