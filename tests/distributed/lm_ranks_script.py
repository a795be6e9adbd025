"""A character LSTM trained with truncated BPTT on the training loop, alone or as MPI ranks (for
test_ranks_loop.py): ``python lm_ranks_script.py OUT MODE [STEP]``.

MODE ``full`` trains 2 epochs; ``interrupt`` asks rank 0's loop to stop after step STEP (as Ctrl-C
would: the ranks agree, checkpoint the boundary and raise KeyboardInterrupt); ``resume`` continues
the run folder OUT. Rank 0 writes ``grads-MODE.npy`` (the averaged gradient of every step),
``weights-MODE.npy`` and ``history-MODE.json`` into OUT."""
import json
import sys

import numpy as np

import graphgrad as torch
import graphgrad.distributed as dist
from graphgrad import optim
from graphgrad.models.charrnn import CharRNN
from graphgrad.train import Callback, LanguageModelTrainer
from graphgrad.train.checkpoint import progress

out, mode = sys.argv[1], sys.argv[2]
stop_after = int(sys.argv[3]) if len(sys.argv) > 3 else None
dist.init_process_group()  # a world of one under a plain python
rank = dist.get_rank()

text = "the cat sat on the mat. the dog sat on the log. a bird flew over a tree.\n" * 30
chars = sorted(set(text))
ids = np.array([chars.index(c) for c in text], dtype=np.int64)
torch.manual_seed(0)
model = CharRNN(len(chars), 8, 16, 1, "lstm", 0.0)
grads = []


class Record(Callback):
    def on_batch_end(self, trainer, step, logs):
        grads.append(np.concatenate([p.grad.numpy().ravel() for p in model.parameters()]))
        if step == stop_after and rank == 0:
            trainer._interrupt.requested = True  # what the first Ctrl-C (or SIGUSR1) does


optimizer = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
trainer = LanguageModelTrainer(model, optimizer, batch_size=4, seq_len=20, clip_grad_norm=1.0,
                               eval_batch_size=3, progress=False, run_dir=out, callbacks=[Record()],
                               checkpoint_every=float("inf"))
try:
    trainer.fit(ids[:1800], ids[1800:], epochs=2, resume=mode == "resume")
except KeyboardInterrupt:
    if rank == 0:
        print("interrupted at", json.dumps(progress(trainer.run_dir.checkpoint)), flush=True)
if rank == 0:
    np.save(f"{out}/grads-{mode}.npy", np.stack(grads))
    np.save(f"{out}/weights-{mode}.npy",
            np.concatenate([p.detach().numpy().ravel() for p in model.parameters()]))
    with open(f"{out}/history-{mode}.json", "w") as f:
        json.dump(trainer.history, f)
