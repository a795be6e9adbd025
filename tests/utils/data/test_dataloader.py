"""DataLoader: batch order, drop_last, options, workers, errors and clean shutdown."""
import gc
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import graphgrad
from graphgrad.utils.data import (DataLoader, Dataset, IterableDataset, SequentialSampler,
                                  BatchSampler, TensorDataset, get_worker_info)


class Range(Dataset):
    def __init__(self, n, fail_at=None, delay=0.0):
        self.n, self.fail_at, self.delay = n, fail_at, delay

    def __getitem__(self, i):
        if self.delay:
            time.sleep(self.delay)
        if i == self.fail_at:
            raise ValueError(f"sample {i} is broken")
        return np.array([i], dtype=np.int64), i

    def __len__(self):
        return self.n


class RandomSample(Dataset):
    """Augmentation-like: each sample draws from graphgrad's generator."""

    def __getitem__(self, i):
        return float(graphgrad.rand(1).item())

    def __len__(self):
        return 8


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


def _children():
    """PIDs of this process's children that are alive or zombies (from /proc)."""
    me = str(os.getpid())
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == me:
                out.append(int(pid))
    return out


def _labels(loader):
    return [b[1].tolist() for b in loader]


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("bs", [1, 3, 5])
def test_sequential_batches_match_torch(bs, drop_last):
    ours = [(x.numpy().tolist(), y.tolist()) for x, y in DataLoader(Range(11), bs,
                                                                     drop_last=drop_last)]
    torch = pytest.importorskip("torch")
    ref = [(x.tolist(), y.tolist()) for x, y in torch.utils.data.DataLoader(Range(11), bs,
                                                                             drop_last=drop_last)]
    assert ours == ref
    assert len(DataLoader(Range(11), bs, drop_last=drop_last)) == len(ref)


def test_shuffle_seeded_and_num_workers_independent():
    graphgrad.manual_seed(7)
    a = _labels(DataLoader(Range(10), 4, shuffle=True))
    graphgrad.manual_seed(7)
    b = _labels(DataLoader(Range(10), 4, shuffle=True, num_workers=2))
    assert a == b
    assert sorted(sum(a, [])) == list(range(10))
    g = graphgrad.Generator().manual_seed(1)
    c = _labels(DataLoader(Range(10), 4, shuffle=True, generator=g))
    g.manual_seed(1)
    assert _labels(DataLoader(Range(10), 4, shuffle=True, generator=g)) == c


def test_epochs_differ():
    loader = DataLoader(Range(20), 20, shuffle=True)
    assert _labels(loader) != _labels(loader)


def test_batch_size_none_and_batch_sampler():
    out = list(DataLoader(Range(3), batch_size=None))
    assert isinstance(out[0][0], graphgrad.Tensor) and out[0][1] == 0
    bs = BatchSampler(SequentialSampler(range(5)), 2, False)
    assert _labels(DataLoader(Range(5), batch_sampler=bs)) == [[0, 1], [2, 3], [4]]


@pytest.mark.parametrize("kwargs,match", [
    (dict(sampler=SequentialSampler(range(3)), shuffle=True), "mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive"),
    (dict(batch_size=None, drop_last=True), "disables auto-batching"),
    (dict(num_workers=-1), "non-negative"),
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified"),
    (dict(persistent_workers=True), "needs num_workers > 0"),
])
def test_option_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(Range(3), **kwargs)


def test_iterable_dataset_errors_and_len():
    with pytest.raises(ValueError, match="expected unspecified shuffle"):
        DataLoader(Stream(3), shuffle=True)
    loader = DataLoader(Stream(7), batch_size=3)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]]


def test_iterable_dataset_with_workers():
    loader = DataLoader(Stream(10), batch_size=2, num_workers=2)
    got = sorted(sum((b.tolist() for b in loader), []))
    assert got == list(range(10))
    loader = DataLoader(Stream(10), batch_size=2, num_workers=2, drop_last=True)
    assert all(len(b) == 2 for b in loader)


def test_workers_return_batches_in_order_with_prefetch():
    loader = DataLoader(Range(23), batch_size=2, num_workers=3, prefetch_factor=3)
    assert _labels(loader) == _labels(DataLoader(Range(23), batch_size=2))


def test_worker_exception_has_worker_traceback():
    loader = DataLoader(Range(8, fail_at=5), batch_size=2, num_workers=2)
    with pytest.raises(ValueError) as info:
        list(loader)
    msg = str(info.value)
    assert "in DataLoader worker process" in msg
    assert "sample 5 is broken" in msg and "__getitem__" in msg  # the worker's traceback text


def test_workers_are_gone_when_a_worker_error_reaches_the_caller():
    """No worker outlives the error (none waits for garbage collection), and a retry is clean."""
    before = set(_children())
    loader = DataLoader(Range(64, fail_at=20), batch_size=4, num_workers=3)
    for _ in range(3):  # retries fork new workers while the old iterator may still be referenced
        with pytest.raises(ValueError, match="sample 20 is broken"):
            for _ in loader:
                pass
        assert set(_children()) - before == set()  # joined and reaped, not only told to stop
    script = textwrap.dedent("""
        import gc
        import numpy as np
        from graphgrad.utils.data import DataLoader, Dataset

        class Bad(Dataset):
            def __len__(self):
                return 64
            def __getitem__(self, i):
                if i == 20:
                    raise ValueError("bad sample")
                return np.zeros(2)

        loader = DataLoader(Bad(), batch_size=4, num_workers=3)
        for attempt in range(3):
            try:
                for batch in loader:
                    pass
            except ValueError:
                pass
        gc.collect()
    """)
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(graphgrad.__file__)))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no "can only join a child process" from a leftover finalizer


def test_a_failed_iterator_is_finished():
    it = iter(DataLoader(Range(16, fail_at=2), batch_size=2, num_workers=2))
    assert next(it)[1].tolist() == [0, 1]
    with pytest.raises(ValueError, match="sample 2 is broken"):
        next(it)
    with pytest.raises(StopIteration):
        next(it)


def test_worker_cleanup_does_nothing_outside_the_process_that_started_the_workers():
    from graphgrad.utils.data.dataloader import _stop_workers

    it = iter(DataLoader(Range(50, delay=0.01), 2, num_workers=1))
    next(it)
    _stop_workers(it._workers, it._index_queues, [], os.getpid() + 1)  # as in a forked child
    assert it._workers[0].is_alive()
    it._shutdown_workers()
    assert not it._workers[0].is_alive()


def test_worker_seeds_and_init_fn():
    seen = []

    def init(worker_id):
        info = get_worker_info()
        assert info.id == worker_id and info.num_workers == 2

    graphgrad.manual_seed(0)
    a = [b.tolist() for b in DataLoader(RandomSample(), 2, num_workers=2, worker_init_fn=init)]
    graphgrad.manual_seed(0)
    b = [b.tolist() for b in DataLoader(RandomSample(), 2, num_workers=2, worker_init_fn=init)]
    graphgrad.manual_seed(1)
    c = [b.tolist() for b in DataLoader(RandomSample(), 2, num_workers=2)]
    assert a == b and a != c
    # the two workers draw different streams
    assert a[0] != a[1]
    assert not seen


def test_worker_init_fn_error_reaches_caller():
    def init(worker_id):
        raise RuntimeError("cannot open the data base")

    with pytest.raises(RuntimeError, match="cannot open the data base"):
        list(DataLoader(Range(4), 2, num_workers=1, worker_init_fn=init))


def test_persistent_workers_reused_across_epochs():
    loader = DataLoader(Range(9), 2, num_workers=2, persistent_workers=True)
    first = _labels(loader)
    pids = {w.pid for w in loader._iterator._workers}
    it = iter(loader)
    next(it)  # a partial epoch: leftovers must not leak into the next one
    assert _labels(loader) == first
    assert {w.pid for w in loader._iterator._workers} == pids
    del loader, it
    gc.collect()
    assert not [p for p in _children() if p in pids]


def test_no_zombies_after_loader_dropped_mid_epoch():
    before = set(_children())
    loader = DataLoader(Range(50, delay=0.001), 2, num_workers=2)
    it = iter(loader)
    next(it)
    assert len(set(_children()) - before) >= 2
    del it, loader
    gc.collect()
    assert set(_children()) - before == set()


def test_no_zombies_after_full_epoch_and_worker_death():
    before = set(_children())
    list(DataLoader(Range(6), 2, num_workers=2))
    assert set(_children()) - before == set()
    it = iter(DataLoader(Range(100, delay=0.05), 1, num_workers=1))
    next(it)
    it._workers[0].kill()
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        for _ in it:
            pass
    assert set(_children()) - before == set()


def test_timeout():
    with pytest.raises(RuntimeError, match="timed out after 0.2 seconds"):
        list(DataLoader(Range(4, delay=2.0), 1, num_workers=1, timeout=0.2))


SCRIPT = textwrap.dedent("""
    import os, signal, sys, time
    import numpy as np
    from graphgrad.utils.data import DataLoader, Dataset

    # Ctrl-C is the subject: restore Python's handler even if SIGINT was handed down ignored
    signal.signal(signal.SIGINT, signal.default_int_handler)

    class Slow(Dataset):
        def __getitem__(self, i):
            time.sleep(0.2)
            return np.zeros(2)
        def __len__(self):
            return 1000

    loader = DataLoader(Slow(), batch_size=1, num_workers=2)
    it = iter(loader)
    print(" ".join(str(w.pid) for w in it._workers), flush=True)
    try:
        for batch in it:
            print("batch", flush=True)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(3)
""")


def test_keyboard_interrupt_leaves_no_worker_behind(tmp_path):
    script = tmp_path / "loop.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(graphgrad.__file__)))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                            env=env)
    pids = [int(p) for p in proc.stdout.readline().split()]
    assert len(pids) == 2
    assert proc.stdout.readline().strip() == "batch"
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert "interrupted" in out and proc.returncode == 3
    deadline = time.time() + 10
    while time.time() < deadline and any(os.path.exists(f"/proc/{p}") for p in pids):
        time.sleep(0.05)
    assert not any(os.path.exists(f"/proc/{p}") for p in pids)


def test_tensor_dataset_through_workers_keeps_dtypes():
    ds = TensorDataset(graphgrad.arange(6, dtype=graphgrad.float32).reshape(3, 2),
                       graphgrad.tensor([0, 1, 2]))
    x, y = next(iter(DataLoader(ds, 3, num_workers=1)))
    assert x.dtype == graphgrad.float32 and y.dtype == graphgrad.int64
    assert x.tolist() == [[0, 1], [2, 3], [4, 5]]


class Counted(Dataset):
    """Random augmentation per sample, and a count of the samples made."""

    def __init__(self, n=20):
        self.n, self.made = n, 0

    def __getitem__(self, i):
        self.made += 1
        return np.array([i, graphgrad.rand(1).item()])

    def __len__(self):
        return self.n


@pytest.mark.parametrize("workers", [0, 2])
def test_iter_from_skips_batches_in_the_sampler(workers):
    """``iter_from(k)`` gives batches k, k+1, ... of the epoch ``iter()`` would give (the same
    shuffle; with workers, the same augmentation), and makes no sample of the skipped ones."""
    def epoch(start):
        graphgrad.manual_seed(3)
        data = Counted()
        batches = [b.numpy() for b in DataLoader(data, 3, shuffle=True,
                                                 num_workers=workers).iter_from(start)]
        return batches, data.made

    full, _ = epoch(0)
    part, made = epoch(4)
    assert len(full) == 7 and len(part) == 3
    for a, b in zip(full[4:], part):
        np.testing.assert_array_equal(a[:, 0], b[:, 0])  # the same samples
        if workers:
            np.testing.assert_array_equal(a, b)  # and the same augmentation
    if not workers:
        assert made == 8  # the 6 of batches 4..6 only (and 2 for the last, short batch)
    with pytest.raises(ValueError, match="start must be an int >= 0"):
        DataLoader(Counted(), 3).iter_from(-1)


def test_worker_batches_depend_on_their_index_only():
    from graphgrad.utils.data.dataloader import batch_seed

    graphgrad.manual_seed(0)
    two = [b.numpy() for b in DataLoader(Counted(12), 3, num_workers=2)]
    graphgrad.manual_seed(0)
    three = [b.numpy() for b in DataLoader(Counted(12), 3, num_workers=3)]
    for a, b in zip(two, three):  # another worker makes batch i, with the same draws
        np.testing.assert_array_equal(a, b)
    assert batch_seed(5, 0) != batch_seed(5, 1) != batch_seed(6, 1)
    assert 0 <= batch_seed(2**62, 10**9) < 2**63


def test_persistent_workers_draw_new_augmentation_each_epoch():
    loader = DataLoader(Counted(6), 3, num_workers=2, persistent_workers=True)
    first, second = [b.numpy() for b in loader], [b.numpy() for b in loader]
    assert not np.array_equal(first[0][:, 1], second[0][:, 1])
    loader._iterator._shutdown_workers()
