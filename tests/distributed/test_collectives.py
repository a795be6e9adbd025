"""Every collective and ReduceOp on 2 MPI ranks (collectives_script.py checks the values), and the
same API in a plain process, a world of 1, without mpiexec."""
import numpy as np
import pytest

import graphgrad as torch
import graphgrad.distributed as dist
from graphgrad.distributed import _mpi
from mpi_launch import launch, needs_mpi


@needs_mpi
def test_every_collective_and_reduce_op_on_2_ranks():
    run = launch("collectives_script.py")
    assert run.returncode == 0, run.stdout + run.stderr
    counts = sorted(line.split(": ")[1] for line in run.stdout.splitlines() if "checks passed" in line)
    assert len(counts) == 2 and counts[0] == counts[1] and int(counts[0].split()[0]) > 150, run.stdout


@pytest.fixture
def world():
    """A process group of this process alone, left as it was found."""
    dist.init_process_group()
    yield
    if dist.is_initialized():
        dist.destroy_process_group()


def test_nothing_works_before_init_and_the_message_says_what_to_call():
    assert not dist.is_initialized()
    for call in (dist.get_rank, dist.get_world_size, dist.barrier,
                 lambda: dist.all_reduce(torch.ones(2))):
        with pytest.raises(ValueError, match="init_process_group"):
            call()


@needs_mpi
def test_a_plain_process_is_a_world_of_one(world):
    assert dist.is_available() and dist.is_initialized()
    assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (0, 1, "mpi")
    assert dist.group.WORLD is not None and dist.rank_and_world_size() == (0, 1)
    t = torch.tensor([1.0, -2.0, 3.0])
    for op in (dist.ReduceOp.SUM, dist.ReduceOp.AVG, dist.ReduceOp.MAX, dist.ReduceOp.MIN,
               dist.ReduceOp.PRODUCT):
        dist.all_reduce(t, op=op, group=dist.group.WORLD)
        np.testing.assert_array_equal(t.numpy(), [1.0, -2.0, 3.0])
    out = [torch.zeros(3)]
    dist.all_gather(out, t)
    dist.broadcast(t, src=0)
    assert dist.all_reduce(t, async_op=True).wait()
    np.testing.assert_array_equal(out[0].numpy(), t.numpy())
    assert dist.mean_over_ranks({"loss": 6.0}, 3) == {"loss": 2.0}
    assert dist.broadcast_from_main("x") == "x" and dist.is_main_process()


@needs_mpi
@pytest.mark.parametrize("kwargs, match", [
    ({"backend": "nccl"}, "backend='mpi'"),
    ({"init_method": "tcp://127.0.0.1:23456"}, "init_method"),
    ({"world_size": 2}, "world_size=2"),
    ({"rank": 1}, "rank=1"),
])
def test_init_process_group_rejects_what_mpi_does_not_do(kwargs, match):
    with pytest.raises(ValueError, match=match):
        dist.init_process_group(**kwargs)
    assert not dist.is_initialized()


@needs_mpi
def test_init_twice_other_groups_and_bad_arguments_raise(world):
    with pytest.raises(ValueError, match="twice"):
        dist.init_process_group()
    with pytest.raises(ValueError, match="only the default process group"):
        dist.all_reduce(torch.ones(2), group="some group")
    with pytest.raises(NotImplementedError, match="only the default process group"):
        dist.new_group([0])
    with pytest.raises(TypeError, match="ReduceOp"):
        dist.all_reduce(torch.ones(2), op="sum")
    with pytest.raises(TypeError, match="bool"):
        dist.all_reduce(torch.ones(2) > 0)
    with pytest.raises(ValueError, match="either src or group_src"):
        dist.broadcast(torch.ones(2))


def test_without_mpi4py_the_error_is_one_line_saying_what_to_install(monkeypatch):
    monkeypatch.setattr(_mpi, "mpi4py_installed", lambda: False)
    monkeypatch.setattr(_mpi, "_MPI", [])
    assert not dist.is_available()
    with pytest.raises(RuntimeError) as info:
        dist.init_process_group()
    message = str(info.value)
    assert "\n" not in message and "pip install" in message and "graphgrad[distributed]" in message
    assert not dist.is_initialized()
