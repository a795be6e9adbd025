"""``DataParallel`` and ``data_parallel``: PyTorch's single-process, several-GPU parallelism, as
PyTorch programs reference it. graphgrad runs one device per process, so both run the module on
that device (what PyTorch does when it finds at most one GPU); asking for several devices raises
and points at ``DistributedDataParallel``, graphgrad's way to use several processes."""
from __future__ import annotations

from ..modules.module import Module


def _check_devices(device_ids, op: str) -> None:
    if device_ids is not None and len(list(device_ids)) > 1:
        raise ValueError(f"{op}: graphgrad runs one device per process, got device_ids="
                         f"{list(device_ids)}; to train on several processes use "
                         f"nn.parallel.DistributedDataParallel under mpiexec")


class DataParallel(Module):
    """Run ``module`` on this process's device; ``.module`` is the wrapped model and ``state_dict()``
    keys carry the ``module.`` prefix, as PyTorch's."""

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        _check_devices(device_ids, "DataParallel")
        self.module = module
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def data_parallel(module: Module, inputs, device_ids=None, output_device=None, dim: int = 0,
                  module_kwargs=None):
    """``module(*inputs, **module_kwargs)`` on this process's device (``inputs``: a tensor or a
    tuple of arguments)."""
    _check_devices(device_ids, "data_parallel")
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    return module(*inputs, **(module_kwargs or {}))
