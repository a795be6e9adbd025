"""Run the ``graphgrad`` command in this process, for the resume tests (tests/train/
test_recipe_resume.py), with two test-only switches:

- Ctrl-C works: a test runner started in the background hands SIGINT down ignored, and Python then
  installs no handler; the tests send real SIGINTs, so the default handler is restored;
- ``--kill-in-write N``: the process kills itself with SIGKILL in the middle of its N-th checkpoint
  write, after the temporary file is complete and before it replaces the checkpoint.

usage: python run_cli.py [--kill-in-write N] graphgrad-arguments..."""
import os
import signal
import sys


def _kill_in_write(n: int) -> None:
    from graphgrad import serialization

    real, calls = serialization.atomic_write, [0]

    def atomic_write(path, write):
        if str(path).endswith("checkpoint.npz"):
            calls[0] += 1
            if calls[0] == n:
                def write_then_die(f):
                    write(f)
                    f.flush()
                    os.kill(os.getpid(), signal.SIGKILL)
                return real(path, write_then_die)
        return real(path, write)

    serialization.atomic_write = atomic_write  # what serialization.save calls


def main() -> int:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    args = sys.argv[1:]
    if args[:1] == ["--kill-in-write"]:
        _kill_in_write(int(args[1]))
        args = args[2:]
    from graphgrad.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
