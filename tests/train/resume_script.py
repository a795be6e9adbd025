"""Driven by test_resume.py in subprocesses: train a small model for 3 epochs, optionally killing the
process with SIGKILL in the middle of epoch 2, or resuming from the run folder's checkpoint.

usage: python resume_script.py RUN_DIR full|kill|interrupt|resume OUT.npz"""
import os
import signal
import sys

import numpy as np

import graphgrad
from graphgrad import nn, optim
from graphgrad.train import Callback, Trainer
from graphgrad.utils.data import DataLoader, TensorDataset


class KillInEpoch2(Callback):
    """Stop the process mid-epoch 2 with ``signal`` (SIGKILL: no chance to save; SIGINT: Ctrl-C)."""

    def __init__(self, sig):
        self.sig = sig

    def on_batch_end(self, trainer, step, logs):
        if trainer.epoch == 1 and step == 13:  # epoch 2 is under way (epoch counts completed ones)
            os.kill(os.getpid(), self.sig)


def main():
    run_dir, mode, out = sys.argv[1], sys.argv[2], sys.argv[3]
    # A test runner started in the background by a shell without job control hands SIGINT down
    # ignored, and Python then installs no Ctrl-C handler; this script tests Ctrl-C, so restore it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    graphgrad.manual_seed(1)
    rng = np.random.default_rng(0)
    x = graphgrad.tensor(rng.standard_normal((160, 1, 8, 8)).astype(np.float32))
    y = graphgrad.tensor(rng.integers(0, 4, 160))
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Dropout(0.3), nn.Flatten(),
                          nn.Linear(4 * 6 * 6, 4))
    opt = optim.Adam(model.parameters(), lr=1e-2)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    signals = {"kill": signal.SIGKILL, "interrupt": signal.SIGINT}
    callbacks = [KillInEpoch2(signals[mode])] if mode in signals else []
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt, sched, callbacks=callbacks,
                      run_dir=run_dir, progress=False)
    trainer.fit(loader, epochs=3, resume=(mode == "resume"))
    np.savez(out, **{k: v.numpy() for k, v in model.state_dict().items()})


if __name__ == "__main__":
    main()
