"""The default process group: every rank that ``mpiexec`` started, as ``torch.distributed``'s.

``init_process_group()`` takes the rank and the world size from MPI (``MPI.COMM_WORLD``); under a
plain ``python`` MPI starts a world of one process, so a script written for several ranks also runs
alone. There is one group, the world; the functions take PyTorch's ``group=None`` argument and accept
``group.WORLD`` for it.
"""
from __future__ import annotations

import enum

from . import _mpi
from .faults import install_abort_on_error

_NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                    "init_process_group.")
_BACKENDS = ("mpi", "gloo")


class ReduceOp(enum.Enum):
    """How ``all_reduce``/``reduce`` combine the ranks' values, element by element."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"

    def __repr__(self) -> str:
        return f"ReduceOp.{self.name}"


class ProcessGroup:
    """A set of ranks and the MPI communicator that connects them."""

    def __init__(self, comm):
        self.comm = comm

    def rank(self) -> int:
        return self.comm.Get_rank()

    def size(self) -> int:
        return self.comm.Get_size()

    def __repr__(self) -> str:
        return f"ProcessGroup(backend='mpi', rank={self.rank()}, size={self.size()})"


class group:  # noqa: N801 (PyTorch's name: ``dist.group.WORLD``)
    """``group.WORLD``: the default process group once initialised, else None."""

    WORLD: ProcessGroup | None = None


GroupMember = group
_group = group  # for the functions below, whose ``group`` argument (PyTorch's name) hides the class


def is_available() -> bool:
    """Whether the distributed package can run: mpi4py is installed (it is not imported here)."""
    return _mpi.mpi4py_installed()


def is_mpi_available() -> bool:
    return _mpi.mpi4py_installed()


def is_initialized() -> bool:
    return group.WORLD is not None


def init_process_group(backend: str | None = None, init_method: str | None = None, timeout=None,
                       world_size: int = -1, rank: int = -1, store=None, group_name: str = "",
                       pg_options=None, device_id=None) -> None:
    """Join the default process group of all ranks started by ``mpiexec`` (one rank under a plain
    ``python``).

    ``backend``: ``"mpi"`` (the default). PyTorch's CPU backend name ``"gloo"`` is accepted and runs
    over MPI too, so that a CPU program ports by changing its import; ``"nccl"`` (GPUs) is refused.
    The rank and world size come from MPI: ``rank``/``world_size``, when given, must agree with them,
    and the ``MASTER_ADDR``/``RANK``/``WORLD_SIZE`` variables that PyTorch's ``env://`` reads are not
    consulted. ``timeout`` is accepted but MPI collectives have none: a rank that fails ends every
    rank instead (see ``graphgrad.distributed.faults``). With more than one rank, an uncaught
    exception on any rank aborts all of them with a message naming it.
    """
    if group.WORLD is not None:
        raise ValueError("trying to initialize the default process group twice!")
    name = "mpi" if backend is None else str(backend).lower()
    if name not in _BACKENDS:
        raise ValueError(f"init_process_group: graphgrad runs its ranks over MPI and supports "
                         f"backend='mpi' (or PyTorch's CPU name 'gloo'), got backend={backend!r}")
    if init_method not in (None, "env://"):
        raise ValueError(f"init_process_group: the ranks find each other through mpiexec; "
                         f"init_method={init_method!r} is not supported (leave it None)")
    if store is not None:
        raise ValueError("init_process_group: store= is not supported; mpiexec connects the ranks")
    MPI = _mpi.load_mpi()
    comm = MPI.COMM_WORLD
    for arg, value, actual in (("world_size", world_size, comm.Get_size()),
                               ("rank", rank, comm.Get_rank())):
        if value not in (-1, None) and value != actual:
            raise ValueError(f"init_process_group: {arg}={value} but MPI started this process with "
                             f"{arg} {actual} (mpiexec -n sets the world size)")
    group.WORLD = ProcessGroup(comm)
    if comm.Get_size() > 1:
        install_abort_on_error(comm)


def destroy_process_group(group=None) -> None:
    """Leave the default process group. MPI itself stays initialised until the process exits, so
    ``init_process_group`` may be called again."""
    world(group, "destroy_process_group")
    _group.WORLD = None


def world(group, op: str) -> ProcessGroup:
    """The default group, after checking that ``group`` names it and that it is initialised."""
    if _group.WORLD is None:
        raise ValueError(_NOT_INITIALIZED)
    if group is not None and group is not _group.WORLD:
        raise ValueError(f"{op}: graphgrad supports only the default process group (group=None or "
                         f"group.WORLD), got {group!r}")
    return _group.WORLD


def get_rank(group=None) -> int:
    """This process's rank in ``[0, world size)``."""
    return world(group, "get_rank").rank()


def get_world_size(group=None) -> int:
    """The number of ranks."""
    return world(group, "get_world_size").size()


def get_backend(group=None) -> str:
    world(group, "get_backend")
    return "mpi"


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None, device_id=None):
    """Sub-groups are not supported: raises, saying so."""
    raise NotImplementedError("new_group: graphgrad.distributed has only the default process group "
                              "(every rank); pass group=None to the collectives")
