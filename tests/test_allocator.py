"""graphgrad.allocator: ``import graphgrad`` keeps freed blocks in the process, so a training step
stops faulting its temporaries' pages in again; GRAPHGRAD_KEEP_FREED_MEMORY=0 opts out. Each case
runs in a fresh interpreter (the setting is process-wide)."""
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc only")

# A convolutional training step (the shapes of dcgan-mnist's middle layers): by default glibc unmaps
# or trims the step's large temporaries when they are freed, so every step faults hundreds of pages in.
PROBE = """
import resource
import graphgrad
from graphgrad import nn
graphgrad.manual_seed(0)
net = nn.Sequential(nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.BatchNorm2d(32), nn.ReLU(),
                    nn.Conv2d(32, 64, 4, 2, 1), nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(64 * 49, 1))
x = graphgrad.randn(32, 64, 7, 7)
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
