"""ops._parallel: large array loops split over threads give exactly the serial results (every op that
uses it, forced to split with tiny thresholds), and the helper itself covers its range once,
propagates errors and runs nested calls serially."""
import threading

import numpy as np
import pytest

import graphgrad
import graphgrad.nn.functional as F
from graphgrad import backend
from graphgrad.autograd import grad
from graphgrad.ops import _parallel


@pytest.fixture
def threads(monkeypatch):
    """Set the intra-op thread count; every piece of work is large enough to split."""
    monkeypatch.setattr(_parallel, "MIN_BYTES", 1)

    def use(n):
        monkeypatch.setattr(backend, "_intra_op_threads", [n])
    return use


def test_parallel_for_covers_the_range_once_on_several_threads(threads):
    threads(3)
    seen, names = [], set()

    def part(lo, hi):
        seen.extend(range(lo, hi))
        names.add(threading.current_thread().name)
    _parallel.parallel_for(part, 10, 10 ** 9)
    assert sorted(seen) == list(range(10)) and len(names) >= 2  # the main thread and the pool


def test_parallel_for_propagates_errors_and_runs_nested_calls_serially(threads):
    threads(2)

    def fail(lo, hi):
        if lo:
            raise ValueError("part failed")
    with pytest.raises(ValueError, match="part failed"):
        _parallel.parallel_for(fail, 4, 10 ** 9)
    inner = []

    def outer(lo, hi):
        _parallel.parallel_for(lambda a, b: inner.append(threading.current_thread().name), 4, 10 ** 9)
    _parallel.parallel_for(outer, 2, 10 ** 9)
    assert len(inner) == 2  # one serial call inside each of the two parts


def test_callers_on_two_threads_each_get_their_whole_range(threads):
    """While one caller's parts are on the workers, another thread's call runs serially."""
    threads(2)
    results, errors = {}, []
    started = threading.Barrier(2)

    def caller(key):
        try:
            started.wait()
            for _ in range(200):
                seen = []
                _parallel.parallel_for(lambda lo, hi: seen.extend(range(lo, hi)), 50, 10 ** 9)
                assert sorted(seen) == list(range(50))
            results[key] = True
        except BaseException as e:  # reported below, not lost in the thread
            errors.append(e)
    users = [threading.Thread(target=caller, args=(k,)) for k in range(2)]
    for t in users:
        t.start()
    for t in users:
        t.join(timeout=60)
    assert not errors and results == {0: True, 1: True}


def test_a_worker_error_leaves_the_workers_usable(threads):
    threads(3)

    def fail_last(lo, hi):
        if hi == 9:
            raise KeyError("last part")
    with pytest.raises(KeyError, match="last part"):
        _parallel.parallel_for(fail_last, 9, 10 ** 9)
    seen = []
    _parallel.parallel_for(lambda lo, hi: seen.extend(range(lo, hi)), 9, 10 ** 9)
    assert sorted(seen) == list(range(9))


INTERRUPTED_WAIT = """
import os, signal, threading, time
from graphgrad import backend
from graphgrad.ops import _parallel
backend._intra_op_threads[0] = 2
_parallel.MIN_BYTES = 1

def slow_second_half(lo, hi):
    if lo:
        time.sleep(0.5)  # the worker's part; the caller waits for it in join

threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
try:
    _parallel.parallel_for(slow_second_half, 2, 10 ** 9)
except KeyboardInterrupt:
    print("interrupted")
for _ in range(3):
    seen = []
    _parallel.parallel_for(lambda lo, hi: seen.extend(range(lo, hi)), 6, 10 ** 9)
    print(sorted(seen) == list(range(6)))
"""


def test_a_ctrl_c_while_waiting_for_a_worker_leaves_the_workers_usable():
    """Ctrl-C (a notebook's interrupt) while the caller waits for a worker: it still waits for the
    part to end, so the next call neither hangs nor finds a stale 'done'."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", INTERRUPTED_WAIT], capture_output=True, text=True,
                         timeout=30)  # a worker that died over a stale "done" makes a call hang
    assert out.stdout.split() == ["interrupted", "True", "True", "True"], out.stderr
    assert "Traceback" not in out.stderr, out.stderr


def test_a_forked_child_starts_its_own_workers(threads):
    import multiprocessing

    threads(2)
    _parallel.parallel_for(lambda lo, hi: None, 4, 10 ** 9)  # the parent's worker exists
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        assert pool.apply_async(_split_in_child).get(timeout=60) == list(range(8))


def _split_in_child():
    from graphgrad import backend as child_backend

    child_backend._intra_op_threads[0] = 2
    _parallel.MIN_BYTES = 1
    seen = []
    _parallel.parallel_for(lambda lo, hi: seen.extend(range(lo, hi)), 8, 10 ** 9)
    return sorted(seen)


def test_one_thread_or_small_work_stays_on_the_calling_thread(threads):
    threads(1)
    names = []
    _parallel.parallel_for(lambda lo, hi: names.append(threading.current_thread().name), 8, 10 ** 9)
    assert names == [threading.current_thread().name]


def _results(fn, arrays):
    ts = [graphgrad.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    g = graphgrad.tensor(np.random.default_rng(5).standard_normal(tuple(out.shape)).astype(arrays[0].dtype))
    return [out.detach().numpy().copy()] + [a.numpy().copy() for a in grad(out, ts, g)]


CASES = {
    "conv2d": (lambda x, w: F.conv2d(x, w, stride=(1, 2), padding=1), [(5, 3, 9, 8), (4, 3, 3, 3)]),
    "conv_transpose2d": (lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1),
                         [(5, 3, 6, 5), (3, 2, 4, 4)]),
    "max_pool2d": (lambda x: F.max_pool2d(x, 3, 2, padding=1), [(5, 3, 9, 8)]),
    "max_pool2d_disjoint": (lambda x: F.max_pool2d(x, 2), [(5, 3, 8, 8)]),
    "relu": (F.relu, [(5, 3, 7)]),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), [(5, 3, 7)]),
    "batch_norm": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                   [(6, 3, 4, 5), (3,), (3,)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_ops_give_the_serial_results_when_split(threads, name):
    fn, shapes = CASES[name]
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    threads(1)
    serial = _results(fn, arrays)
    threads(3)
    split = _results(fn, arrays)
    for a, b in zip(serial, split):
        np.testing.assert_array_equal(a, b)
