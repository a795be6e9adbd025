"""Recipes on several ranks: ``graphgrad run RECIPE --nproc N`` and ``mpiexec -n N graphgrad run``.

The launcher (``launch``) checks everything it can before any rank starts (the recipe trains
data-parallel, its settings, the batch size divides among the ranks, mpi4py is installed), then
runs ``mpiexec -n N python -m graphgrad run ...`` and waits. Ctrl-C becomes SIGUSR1 for the ranks
(``mpiexec`` passes it on to all of them; SIGINT would end them at once), so they stop together at
the next batch boundary and rank 0 checkpoints there; a second Ctrl-C ends them at once.

Each rank (``joined``) joins the process group and runs the recipe; the training loop splits the
work (``graphgrad.train.ranks``). Rank 0 makes the run folder and tells the others its path, and
only rank 0 prints and writes: the other ranks' standard output goes nowhere (``quiet_unless_main``)
and the recipes write their results on rank 0 only. A rank that fails ends every rank
(``end_every_rank``): none is left waiting in a collective for a partner that is gone.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

from ..distributed import _mpi, broadcast_from_main, init_process_group, is_initialized
from ..distributed import is_main_process, rank_and_world_size
from ..distributed.run import mpiexec_command
from .registry import RECIPES, UsageError, get

# Seconds a failing rank other than rank 0 waits before it ends every rank: when rank 0 fails
# the same way (a setting, a damaged file), rank 0's one message ends the job in the meantime.
GRACE = 3.0
# Seconds the launcher waits for mpiexec to end the ranks after it was told to stop them at once.
STOP_TIMEOUT = 30.0


def data_parallel_recipes() -> list[str]:
    return sorted(name for name, recipe in RECIPES.items() if recipe.data_parallel)


def check_ranks(recipe_name: str, config: dict, nproc: int) -> None:
    """Raise ``UsageError`` unless recipe ``recipe_name`` with ``config`` can train on ``nproc``
    ranks: it trains data-parallel, and its global batch size divides among the ranks."""
    if nproc == 1:
        return
    if not get(recipe_name).data_parallel:
        raise UsageError(f"--nproc {nproc}: {recipe_name} does not train data-parallel; the recipes "
                         f"that do are {', '.join(data_parallel_recipes())}")
    batch = config.get("batch_size")
    if isinstance(batch, int) and batch % nproc:
        raise UsageError(f"--nproc {nproc}: the global batch size {batch} does not split evenly "
                         f"over {nproc} ranks; choose a multiple of {nproc} (--batch-size)")


def check_launch(recipe_name: str, overrides: dict, resume: str | None, nproc: int) -> None:
    """What ``--nproc`` checks before any rank starts, creating nothing: the run's settings (as
    ``run_recipe`` checks them) and that they can train on ``nproc`` ranks."""
    from .registry import make_config
    from .runs import check_resume, open_run

    if resume:
        check_resume(recipe_name, resume, overrides)
        config = {**open_run(resume, "--resume")[1], **overrides}
        check_ranks(config["recipe"].split("/")[0], config, nproc)
    else:
        check_ranks(recipe_name, make_config(get(recipe_name), overrides), nproc)


# ----------------------------------------------------------------------------- the launcher
def launch(nproc: int, run_args: list[str]) -> int:
    """Run ``graphgrad run *run_args`` as ``nproc`` ranks under ``mpiexec`` and wait for them;
    returns ``mpiexec``'s exit status (130 after Ctrl-C, 128 + n when a rank was killed by
    signal n). Raises ``UsageError`` (one line) when mpi4py or mpiexec is missing."""
    try:
        argv, env = mpiexec_command(nproc, [sys.executable, "-m", "graphgrad", "run", *run_args])
    except RuntimeError as exc:
        raise UsageError(f"--nproc {nproc}: {exc}") from None
    # A session of its own: the terminal's Ctrl-C reaches this process only, which passes it on.
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, start_new_session=True)
    asked = []

    def stop(signum, frame) -> None:
        if signum == signal.SIGINT and not asked:
            print("\ngraphgrad: stopping every rank at the end of the step under way "
                  "(Ctrl-C again stops them at once)", file=sys.stderr, flush=True)
            asked.append(time.monotonic())
            proc.send_signal(signal.SIGUSR1)
        else:
            asked.append(time.monotonic())
            proc.terminate()  # mpiexec ends every rank

    handlers = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        while True:
            try:
                return proc.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                if len(asked) > 1 and time.monotonic() - asked[-1] > STOP_TIMEOUT:
                    proc.kill()
    finally:
        for s, handler in handlers.items():
            signal.signal(s, handler)


# ------------------------------------------------------------------------------ on a rank
def joined(nproc: int | None) -> bool:
    """When this process is one of several ranks that ``mpiexec`` started: join their process group
    (SIGUSR1 then interrupts, as Ctrl-C) and return True. Raises ``UsageError`` when ``nproc`` is
    given and differs from the number of ranks."""
    if not _mpi.under_mpiexec():
        return False
    if not is_initialized():
        init_process_group()
    size = rank_and_world_size()[1]
    if nproc is not None and nproc != size:
        raise UsageError(f"--nproc {nproc}, but mpiexec started {size} ranks; under mpiexec leave "
                         "--nproc out (mpiexec -n sets the number of ranks)")
    if size > 1 and hasattr(signal, "SIGUSR1"):
        signal.signal(signal.SIGUSR1, signal.default_int_handler)
    return size > 1


def on_main(make):
    """``make()`` on rank 0 (a run folder), its result on every rank (small and picklable). A
    ``UsageError`` it raises on rank 0 is raised on every rank."""
    outcome = None
    if is_main_process():
        try:
            outcome = ("ok", make())
        except UsageError as exc:
            outcome = ("error", str(exc))
    kind, value = broadcast_from_main(outcome)
    if kind == "error":
        raise UsageError(value)
    return value


@contextlib.contextmanager
def quiet_unless_main():
    """On ranks other than 0, standard output goes nowhere (errors still reach stderr)."""
    if is_main_process():
        yield
        return
    with open(os.devnull, "w", encoding="utf-8") as devnull, contextlib.redirect_stdout(devnull):
        yield


def end_every_rank(code: int, message: str) -> None:
    """A rank failed: print ``message`` (after ``GRACE`` seconds on ranks other than 0, naming the
    rank) and end every rank with exit status ``code`` (``MPI_Abort``). Does not return."""
    rank, size = rank_and_world_size()
    if rank != 0:
        time.sleep(GRACE)
        message = f"[rank {rank} of {size}] {message}"
    print(message, file=sys.stderr, flush=True)
    sys.stdout.flush()
    _mpi.load_mpi().COMM_WORLD.Abort(code)


__all__ = ["check_launch", "check_ranks", "data_parallel_recipes", "end_every_rank", "joined",
           "launch", "on_main", "quiet_unless_main"]
