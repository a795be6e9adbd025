"""A failing rank ends every rank within a bounded time, with an error that names it: an uncaught
exception, a rank killed by SIGKILL, a non-zero sys.exit, and Ctrl-C on the launcher."""
import os
import signal
import subprocess
import sys
import time

from mpi_launch import SCRIPTS, launch, needs_mpi, rank_env

BOUND = 60  # seconds; each case ends in about 1-3 s here


@needs_mpi
def test_an_exception_on_one_rank_aborts_every_rank_naming_it():
    run = launch("fault_script.py", "raise", timeout=BOUND)
    assert run.returncode != 0
    assert "ValueError: this rank fails on purpose" in run.stderr
    assert "graphgrad.distributed: rank 1 of 2 failed with ValueError" in run.stderr
    assert "should never get here" not in run.stdout


@needs_mpi
def test_a_killed_rank_ends_every_rank_naming_it():
    run = launch("fault_script.py", "kill", timeout=BOUND)
    assert run.returncode != 0
    assert "rank 1" in run.stderr and "signal 9" in run.stderr, run.stderr
    assert "should never get here" not in run.stdout


@needs_mpi
def test_sys_exit_on_one_rank_ends_every_rank_under_the_launcher_runner():
    run = launch("fault_script.py", "exit", timeout=BOUND, runner=("-m", "mpi4py"))
    assert run.returncode == 3, run.stderr
    assert "rank 1" in run.stderr
    assert "should never get here" not in run.stdout


@needs_mpi
def test_ctrl_c_on_the_launcher_stops_every_rank():
    argv = [sys.executable, "-m", "graphgrad.distributed.run", "--nproc-per-node", "2",
            os.path.join(SCRIPTS, "fault_script.py"), "loop"]
    proc = subprocess.Popen(argv, env=rank_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)  # its own group, as a terminal's job
    try:
        started = [proc.stdout.readline() for _ in range(2)]
        assert sorted(s.split()[1] for s in started) == ["0", "1"], started
        interrupted = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends to the foreground job
        proc.wait(timeout=BOUND)
        assert time.monotonic() - interrupted < BOUND
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode != 0
