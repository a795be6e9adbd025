"""The training loop on 2 MPI ranks (lm_ranks_script.py): a language model with truncated BPTT
takes the same averaged gradient at every step as one process, up to float rounding, and a run
interrupted on 2 ranks (mid-epoch, hidden state carried) resumes on 1 process, and the other way
round, to the weights of an uninterrupted run."""
import json

import numpy as np
import pytest

from mpi_launch import launch, needs_mpi


def _run(out, mode, *args, n):
    run = launch("lm_ranks_script.py", out, mode, *args, n=n, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    return run


@pytest.fixture(scope="module")
def alone(tmp_path_factory):
    """The uninterrupted run of one process: its folder."""
    out = tmp_path_factory.mktemp("alone")
    _run(out, "full", n=1)
    return out


def _history(out, mode):
    with open(out / f"history-{mode}.json") as f:
        return json.load(f)


def _assert_same_training(got, want, mode_got, mode_want="full"):
    w_got, w_want = (np.load(o / f"weights-{m}.npy") for o, m in ((got, mode_got), (want, mode_want)))
    assert np.max(np.abs(w_got - w_want)) < 1e-5
    h_got, h_want = _history(got, mode_got), _history(want, mode_want)
    assert [r["epoch"] for r in h_got] == [r["epoch"] for r in h_want] == [1, 2]
    for key in ("train_loss", "val_loss", "val_bpc"):
        assert [r[key] for r in h_got] == pytest.approx([r[key] for r in h_want], rel=1e-6), key


@needs_mpi
def test_two_ranks_take_the_gradient_steps_of_one_process(alone, tmp_path):
    _run(tmp_path, "full", n=2)
    got, want = np.load(tmp_path / "grads-full.npy"), np.load(alone / "grads-full.npy")
    assert got.shape == want.shape and len(want) == 2 * 23  # 2 epochs of 23 chunks
    scale = np.abs(want).max(axis=1, keepdims=True)
    assert np.max(np.abs(got - want) / scale) < 1e-5
    _assert_same_training(tmp_path, alone, "full")


@needs_mpi
@pytest.mark.parametrize("before, after, step", [(2, 1, 7), (1, 2, 30)])
def test_interrupted_on_some_ranks_resumes_on_others(alone, tmp_path, before, after, step):
    run = _run(tmp_path, "interrupt", step, n=before)
    stopped = json.loads(run.stdout.split("interrupted at", 1)[1])
    assert stopped == {"epoch": step // 23, "global_step": step, "in_epoch": True, "epochs": 2}
    _run(tmp_path, "resume", n=after)
    _assert_same_training(tmp_path, alone, "resume")
