"""Collectives on small Python objects (a run folder's name, a list of metric names), as PyTorch's
``broadcast_object_list`` and ``all_gather_object``. Like PyTorch's, they pickle the objects: they
are for the trusted ranks of one job, never for data read from a file, and not for arrays (use the
tensor collectives, which move raw buffers)."""
from __future__ import annotations

from .collectives import _root
from .process_group import world


def broadcast_object_list(object_list: list, src: int | None = None, group=None, device=None,
                          group_src: int | None = None) -> None:
    """Replace the entries of ``object_list`` on every rank by those of rank ``src`` (default 0);
    every rank passes a list of the same length."""
    pg = world(group, "broadcast_object_list")
    root = _root(src, group_src, pg.size(), "broadcast_object_list", "src", default=0)
    if not isinstance(object_list, list):
        raise TypeError(f"broadcast_object_list: object_list must be a list, got "
                        f"{type(object_list).__name__}")
    received = pg.comm.bcast(object_list if pg.rank() == root else None, root=root)
    if len(received) != len(object_list):
        raise ValueError(f"broadcast_object_list: rank {root} sent {len(received)} objects but this "
                         f"rank's list has {len(object_list)} entries")
    object_list[:] = received


def all_gather_object(object_list: list, obj, group=None) -> None:
    """Fill ``object_list`` (one entry per rank) with every rank's ``obj``, in rank order."""
    pg = world(group, "all_gather_object")
    if not isinstance(object_list, list) or len(object_list) != pg.size():
        raise ValueError(f"all_gather_object: object_list must be a list of {pg.size()} entries "
                         f"(one per rank)")
    object_list[:] = pg.comm.allgather(obj)
