"""The launcher: start N ranks of a script through ``mpiexec``, as ``torchrun`` does for PyTorch.

    python -m graphgrad.distributed.run --nproc-per-node 2 train.py --epochs 3
    python -m graphgrad.distributed.run --nproc-per-node 4 --hostfile hosts -m mypackage.train

It runs ``mpiexec -n N [--allow-run-as-root] [--hostfile F] --bind-to none -x OMP_NUM_THREADS
python -m mpi4py train.py ...`` in its own place (exec), so Ctrl-C and the exit status are
``mpiexec``'s.
``mpiexec_command`` builds the same command for other launchers (the ``graphgrad`` command line).
"""
from __future__ import annotations

import argparse
import os
import sys

from . import _mpi


_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def mpiexec_command(nproc: int, command: list[str], hostfile: str | None = None,
                    environ=None) -> tuple[list[str], dict]:
    """The argv and the environment that start ``command`` (a program and its arguments) as
    ``nproc`` ranks: ``subprocess.run(argv, env=env)``.

    - ``--allow-run-as-root`` is added only when this process is root (Open MPI refuses root
      without it).
    - ``--bind-to none``: Open MPI would otherwise pin each of two ranks to one core, which starves
      a rank that runs several BLAS threads.
    - Unless ``environ`` (default ``os.environ``) sets a thread count, ``OMP_NUM_THREADS`` = this
      machine's cores divided among the ranks (at least 1), so that N ranks do not each start a
      BLAS thread per core; the thread variables are exported to every host (``-x``).
    - Open MPI's slow-starting libfabric transport is left out (see ``_mpi.load_mpi``).

    Raises ``RuntimeError`` with the one line to install when mpi4py or ``mpiexec`` is missing."""
    if not isinstance(nproc, int) or isinstance(nproc, bool) or nproc < 1:
        raise ValueError(f"mpiexec_command: nproc must be a positive integer, got {nproc!r}")
    if not _mpi.mpi4py_installed():
        raise RuntimeError(_mpi.INSTALL_HINT)
    env = dict(os.environ if environ is None else environ)
    if not any(v in env for v in _THREAD_VARIABLES):
        env["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // nproc))
    env.setdefault("OMPI_MCA_btl", "^ofi")
    argv = [_mpi.find_mpiexec(), "-n", str(nproc)]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-run-as-root")
    if hostfile is not None:
        argv += ["--hostfile", str(hostfile)]
    argv += ["--bind-to", "none"]
    for name in _THREAD_VARIABLES:
        if name in env:
            argv += ["-x", name]
    return argv + [str(c) for c in command], env


def _parse(argv):
    parser = argparse.ArgumentParser(
        prog="python -m graphgrad.distributed.run",
        description="Start a training script as several MPI ranks (graphgrad.distributed).")
    parser.add_argument("--nproc-per-node", "--nproc_per_node", "-n", dest="nproc", type=int,
                        default=1, help="number of ranks to start (default 1)")
    parser.add_argument("--hostfile", default=None,
                        help="Open MPI hostfile: one line per machine, e.g. 'node1 slots=2'")
    parser.add_argument("-m", "--module", action="store_true",
                        help="run the script argument as a module (python -m)")
    parser.add_argument("script", help="the Python script (or module, with -m) to run")
    parser.add_argument("script_args", nargs=argparse.REMAINDER, help="its arguments")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = _parse(sys.argv[1:] if argv is None else argv)
    # Each rank runs under mpi4py's runner, which turns a non-zero sys.exit() on one rank into an
    # abort of all of them (Python's excepthook never sees SystemExit).
    program = ([sys.executable, "-m", "mpi4py"] + (["-m"] if args.module else []) + [args.script]
               + args.script_args)
    try:
        command, env = mpiexec_command(args.nproc, program, args.hostfile)
    except (RuntimeError, ValueError) as e:
        sys.exit(f"graphgrad.distributed.run: {e}")
    os.execve(command[0], command, env)


if __name__ == "__main__":
    main()
