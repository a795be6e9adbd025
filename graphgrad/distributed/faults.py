"""When one rank fails, every rank ends: no rank is left waiting in a collective for a partner that
will never come.

- An uncaught exception (Ctrl-C's ``KeyboardInterrupt`` included) on any rank prints its traceback
  as usual, then one line naming the rank, then calls ``MPI_Abort``, which makes ``mpiexec`` end every
  rank of the job within a second or so.
- A rank killed by a signal, or one that exits with a non-zero status, is noticed by ``mpiexec``
  itself, which ends the others and names the rank that died.
"""
from __future__ import annotations

import sys

_installed = []


def install_abort_on_error(comm) -> None:
    """Make an uncaught exception on this rank abort every rank of ``comm`` (once per process)."""
    if _installed:
        return
    previous = sys.excepthook

    def abort_all_ranks(exc_type, exc, tb):
        try:
            previous(exc_type, exc, tb)
        finally:
            rank, size = comm.Get_rank(), comm.Get_size()
            if issubclass(exc_type, KeyboardInterrupt):
                what = "was interrupted (KeyboardInterrupt)"
            else:
                what = f"failed with {exc_type.__name__}: {exc}"
            sys.stderr.write(f"graphgrad.distributed: rank {rank} of {size} {what}; "
                             f"aborting all {size} ranks\n")
            sys.stderr.flush()
            comm.Abort(1)

    sys.excepthook = abort_all_ranks
    _installed.append(abort_all_ranks)
