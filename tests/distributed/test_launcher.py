"""The mpiexec command that graphgrad.distributed.run (and the command line) builds."""
import os

import pytest

from graphgrad.distributed import _mpi, run
from mpi_launch import needs_mpi


@needs_mpi
def test_the_root_flag_is_added_only_for_root(monkeypatch):
    for uid, expected in ((0, True), (1000, False)):
        monkeypatch.setattr(os, "geteuid", lambda uid=uid: uid)
        argv, _ = run.mpiexec_command(2, ["python", "train.py"])
        assert ("--allow-run-as-root" in argv) is expected
        assert argv[1:3] == ["-n", "2"] and argv[-2:] == ["python", "train.py"]
        assert os.path.basename(argv[0]) == "mpiexec"


@needs_mpi
def test_threads_are_shared_among_the_ranks_unless_the_user_set_them(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    argv, env = run.mpiexec_command(4, ["x.py"], environ={})
    assert env["OMP_NUM_THREADS"] == "2" and argv[argv.index("-x") + 1] == "OMP_NUM_THREADS"
    assert env["OMPI_MCA_btl"] == "^ofi"
    argv, env = run.mpiexec_command(16, ["x.py"], environ={"OPENBLAS_NUM_THREADS": "3"})
    assert "OMP_NUM_THREADS" not in env and "OPENBLAS_NUM_THREADS" in argv
    _, env = run.mpiexec_command(16, ["x.py"], environ={"OMPI_MCA_btl": "self,tcp"})
    assert env["OMP_NUM_THREADS"] == "1" and env["OMPI_MCA_btl"] == "self,tcp"


@needs_mpi
def test_a_hostfile_is_passed_on_and_bad_counts_are_refused():
    argv, _ = run.mpiexec_command(4, ["x.py"], hostfile="hosts.txt")
    assert argv[argv.index("--hostfile") + 1] == "hosts.txt"
    assert "--bind-to" in argv and argv[argv.index("--bind-to") + 1] == "none"
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="positive integer"):
            run.mpiexec_command(bad, ["x.py"])


@needs_mpi
def test_the_launcher_runs_each_rank_under_mpi4pys_runner(monkeypatch):
    started = {}
    monkeypatch.setattr(os, "execve", lambda path, argv, env: started.update(argv=argv, env=env))
    run.main(["--nproc-per-node", "3", "-m", "mypackage.train", "--epochs", "2"])
    argv = started["argv"]
    assert argv[argv.index("-n") + 1] == "3"
    assert argv[argv.index("mpi4py") - 1:] == ["-m", "mpi4py", "-m", "mypackage.train", "--epochs", "2"]


def test_without_mpi4py_the_launcher_says_what_to_install(monkeypatch):
    monkeypatch.setattr(_mpi, "mpi4py_installed", lambda: False)
    with pytest.raises(RuntimeError, match="pip install"):
        run.mpiexec_command(2, ["x.py"])
    with pytest.raises(SystemExit) as info:
        run.main(["-n", "2", "train.py"])
    assert "pip install" in str(info.value.code) and "\n" not in str(info.value.code)
