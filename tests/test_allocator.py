"""graphgrad.allocator.keep_freed_memory: freed blocks stay in the process, so a training step stops
faulting its temporaries' pages in again. Each case runs in a fresh interpreter (the setting is
process-wide)."""
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc only")

# A convolutional training step (the shapes of dcgan-mnist's middle layers): by default glibc unmaps
# or trims the step's large temporaries when they are freed, so every step faults ~1,300 pages in.
PROBE = """
import resource, sys
if sys.argv[1] == "keep":
    from graphgrad.allocator import keep_freed_memory
    assert keep_freed_memory() is True
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
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) // 5)
"""


def faults_per_step(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True,
                         check=True, env={k: v for k, v in os.environ.items()
                                          if not k.startswith("MALLOC_")})
    return int(out.stdout.split()[-1])


def test_a_training_step_stops_faulting_pages_in():
    assert faults_per_step("default") > 500
    assert faults_per_step("keep") < 50


def test_the_command_line_turns_it_on_unless_told_not_to(monkeypatch):
    from graphgrad import allocator, cli

    calls = []
    monkeypatch.setattr(allocator, "keep_freed_memory", lambda: calls.append(1) or True)
    monkeypatch.setenv("GRAPHGRAD_KEEP_FREED_MEMORY", "0")
    assert cli.main(["list"]) == 0
    assert calls == []
    monkeypatch.delenv("GRAPHGRAD_KEEP_FREED_MEMORY")
    assert cli.main(["list"]) == 0
    assert calls == [1]
