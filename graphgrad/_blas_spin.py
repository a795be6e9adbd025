"""Shorten how long OpenBLAS's idle threads spin before they sleep: set before NumPy loads OpenBLAS.

After each matrix product OpenBLAS keeps its worker threads busy-waiting for the next one, for
2^28 cycles by default (about 0.1 s here). graphgrad runs NumPy copies, im2col/col2im and
elementwise work between products, and the spinning threads take the cores that work needs: a
ResNet-20 step on 2 threads took 878 ms of CPU time in 440 ms, and 610 ms in 385 ms when the
threads slept as soon as they could.

``OPENBLAS_THREAD_TIMEOUT=18`` (2^18 cycles, about 0.1 ms) keeps the threads awake across the
short gaps of a recurrent network's time steps and lets them sleep through the long ones of a
convolution layer. Measured with benchmarks/run_workload.py, 3 alternated runs each, 2 threads
(docs/performance.md): CNN training 1.14x and DCGAN 1.12x the images/s of the default, char-LSTM,
GRU and ResNet-20 unchanged (within 2%). The smallest value, 4, sped ResNet-20 up too but cost the
char-LSTM a fifth of its speed: its threads then fall asleep between every two time steps.

OpenBLAS reads the variable once, when it loads, so this takes effect only when graphgrad is
imported before NumPy (``import graphgrad`` first, as the command line and the recipes do);
``applied`` says whether it did. A value already in the environment is left alone, so
``OPENBLAS_THREAD_TIMEOUT=28`` restores OpenBLAS's default. The variable stays set in
``os.environ``, so child processes (DataLoader workers, MPI ranks) start with the same setting.
Other BLAS libraries ignore it.
This module imports nothing heavy: it runs before NumPy does."""
import os
import sys

VARIABLE, VALUE = "OPENBLAS_THREAD_TIMEOUT", "18"

applied = False
if "numpy" not in sys.modules and VARIABLE not in os.environ:
    os.environ[VARIABLE] = VALUE
    applied = True
