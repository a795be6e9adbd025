"""Run as 2 MPI ranks by test_faults.py: rank 1 fails in the way argv[1] names while rank 0 waits in
an all_reduce for it ("raise", "kill", "exit"), or both ranks loop until interrupted ("loop")."""
import os
import signal
import sys
import time

import graphgrad as torch
import graphgrad.distributed as dist

dist.init_process_group()
mode = sys.argv[1]
t = torch.ones(1000)
print(f"rank {dist.get_rank()} started", flush=True)
if mode == "loop":
    while True:
        dist.all_reduce(t)
        time.sleep(0.01)
if dist.get_rank() == 1:
    time.sleep(0.5)
    if mode == "raise":
        raise ValueError("this rank fails on purpose")
    if mode == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "exit":
        sys.exit(3)
dist.all_reduce(t)
print(f"rank {dist.get_rank()} should never get here", flush=True)
