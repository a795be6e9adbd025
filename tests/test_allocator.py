"""graphgrad.allocator: ``import graphgrad`` keeps freed blocks in the process, so a training step
stops faulting its temporaries' pages in again; GRAPHGRAD_KEEP_FREED_MEMORY=0 opts out. Each case
runs in a fresh interpreter (the setting is process-wide)."""
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc only")

# A convolutional training step whose activations (32, 16, 128, 128) are 32 MiB each: glibc's malloc
# maps blocks above its largest dynamic mmap threshold (32 MiB) afresh and unmaps them when freed, so
# by default every step faults thousands of pages in. (The convolutions' own columns are recycled by
# graphgrad's workspace whatever malloc does; the activations, gradients and batch norm's
# temporaries are not.)
PROBE = """
import resource
import graphgrad
from graphgrad import nn
graphgrad.manual_seed(0)
net = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                    nn.Conv2d(16, 1, 3, stride=4), nn.Flatten(), nn.Linear(32 * 32, 1))
x = graphgrad.randn(32, 3, 128, 128)
def step():
    net.zero_grad()
    net(x).sum().backward()
step()  # the first step faults its pages in either way
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    step()
faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) // 5
print(graphgrad.allocator.keeps_freed_memory(), faults)
"""


def probe(opt_out: str | None):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MALLOC_") and k != "GRAPHGRAD_KEEP_FREED_MEMORY"}
    if opt_out is not None:
        env["GRAPHGRAD_KEEP_FREED_MEMORY"] = opt_out
    # one thread: temporaries made by intra-op worker threads come from other malloc arenas
    env["OMP_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] = "1"
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True,
                         env=env).stdout.split()
    return out[-2] == "True", int(out[-1])


def test_a_plain_import_keeps_freed_memory_so_a_training_step_stops_faulting_pages_in():
    kept, faults = probe(None)
    assert kept and faults < 50


@pytest.mark.parametrize("value", ["0", "false"])
def test_the_environment_variable_opts_out(value):
    kept, faults = probe(value)
    assert not kept and faults > 200
