"""``torch.multiprocessing``: Python's ``multiprocessing``, under PyTorch's name, for programs
that train one model from several processes (Hogwild: pytorch/examples' mnist_hogwild).

Call ``model.share_memory()`` first: its parameters then live in shared memory, and the processes
they are passed to (as ``Process`` arguments, pickled) update them in place. A tensor that is not
in shared memory is copied into the new process, as with any pickled value. graphgrad adds no
start method of its own: ``spawn``, ``fork`` and ``forkserver`` are the standard library's."""
from multiprocessing import *  # noqa: F401,F403
from multiprocessing import (Barrier, Event, Lock, Manager, Pool, Process, Queue,  # noqa: F401
                             SimpleQueue, cpu_count, current_process, get_all_start_methods,
                             get_context, get_start_method, set_start_method)
