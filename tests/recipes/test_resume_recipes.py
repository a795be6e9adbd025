"""Runs that survive: recipes of every family on tiny settings, interrupted by Ctrl-C (a real
SIGINT), by ``kill -9`` at a random moment and by ``kill -9`` in the middle of a checkpoint write,
then resumed with ``graphgrad run --resume``, end with every tensor of every checkpoint equal to
an uninterrupted run's, and leave no temporary file. A changed number of epochs on resume works
(schedules re-planned) or is refused before anything is written; so is --resume of a recipe that
keeps no checkpoints."""
import glob
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

RUN_CLI = os.path.join(os.path.dirname(__file__), os.pardir, "train", "run_cli.py")
ENV = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
           GRAPHGRAD_CHECKPOINT_EVERY="0.3")  # frequent checkpoints: kills land between them

TEXT = "the cat sat on the mat. the dog sat on the log. a bird flew over a tree.\n" * 30
FAMILIES = {
    "mnist-cnn": ["--epochs", "2", "--set", 'model_args={"channels": [4, 8], "hidden": 16}',
                  "--set", "val_fraction=0.8"],  # augmentation on, as by default
    "char-rnn": ["--data", "TEXT", "--epochs", "2", "--batch-size", "4", "--set", "hidden_size=16",
                 "--set", "embedding_dim=8", "--set", "seq_len=20", "--set", "sample_every=0"],
    "dcgan-mnist": ["--epochs", "2", "--set", "limit=96", "--set", "classifier_epochs=1",
                    "--set", "score_samples=20", "--batch-size", "16", "--set", "channels=4",
                    "--set", "fc_hidden=16", "--set", "translate=1"],
    "seq2seq": ["--epochs", "2", "--set", 'variants=["plain", "luong"]', "--set", "train_size=256",
                "--set", "val_size=16", "--set", "test_size=16", "--set", "hidden_size=8",
                "--set", "embedding_dim=4", "--set", "beam_size=2", "--set", "teacher_forcing=0.8",
                "--batch-size", "16"],
    "word2vec": ["--data", "TEXT", "--epochs", "2", "--set", "min_freq=1", "--set",
                 "embedding_dim=8", "--set", "subsample=0", "--set", 'query=["cat"]',
                 "--set", 'analogies=["cat mat dog log"]', "--batch-size", "64"],
}


@pytest.fixture(scope="module")
def text_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("text") / "tiny.txt"
    path.write_text(TEXT, encoding="utf-8")
    return str(path)


def _args(recipe, out, text_file):
    return ["run", recipe, "--out", str(out), "--quiet"] + [
        text_file if a == "TEXT" else a for a in FAMILIES[recipe]]


def _cli(*args, kill_in_write=None):
    extra = ["--kill-in-write", str(kill_in_write)] if kill_in_write else []
    return subprocess.run([sys.executable, RUN_CLI, *extra, *args], capture_output=True,
                          text=True, env=ENV, timeout=600)


def _folder(out):
    (folder,) = glob.glob(os.path.join(str(out), "*-*"))
    return folder


def _tensors(folder) -> dict:
    """Every array of every checkpoint under ``folder`` (the JSON metadata with its timings
    aside), by file and entry."""
    out = {}
    for path in sorted(glob.glob(os.path.join(folder, "**", "checkpoint.npz"), recursive=True)):
        with np.load(path) as archive:
            for key in archive.files:
                if key != "__graphgrad__":
                    out[f"{os.path.relpath(path, folder)}:{key}"] = archive[key]
    return out


def _assert_same_run(full, resumed):
    a, b = _tensors(full), _tensors(resumed)
    assert a and sorted(a) == sorted(b)
    different = [k for k in a if not np.array_equal(a[k], b[k])]
    assert not different, different
    leftovers = [p for p in glob.glob(os.path.join(resumed, "**", ".*"), recursive=True)]
    assert not leftovers, leftovers


def _resume(folder, recipe, *extra):
    result = _cli("run", "--resume", folder, "--quiet", *extra, recipe)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _interrupt_at_random(args, sig, seconds):
    """Start the command, wait until its run folder exists, then send ``sig`` at a random moment
    within ``seconds`` (the process may have finished by then). Returns (out, exit code, delay)."""
    proc = subprocess.Popen([sys.executable, RUN_CLI, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV)
    out = args[args.index("--out") + 1]
    while not glob.glob(os.path.join(out, "*-*", "config.json")) and proc.poll() is None:
        time.sleep(0.02)
    delay = random.uniform(0.0, seconds)
    time.sleep(delay)
    if proc.poll() is None:
        proc.send_signal(sig)
    proc.communicate(timeout=600)
    return out, proc.returncode, delay


def _full_run(out, recipe, text_file):
    """An uninterrupted run: (its folder, seconds)."""
    start = time.perf_counter()
    result = _cli(*_args(recipe, out, text_file))
    assert result.returncode == 0, result.stdout + result.stderr
    return _folder(out), time.perf_counter() - start


def _interrupt_and_resume(tmp_path, recipe, how, text_file, full, seconds):
    args = _args(recipe, tmp_path / how, text_file)
    if how == "kill-in-write":  # the second checkpoint write dies after its temporary file
        result = _cli(*args, kill_in_write=2)
        assert result.returncode == -signal.SIGKILL, result.stderr
        folder, note = _folder(tmp_path / how), "killed in a write"
        assert glob.glob(os.path.join(folder, ".checkpoint.npz.*.tmp"))
    else:
        sig = signal.SIGINT if how == "ctrl-c" else signal.SIGKILL
        out, code, delay = _interrupt_at_random(args, sig, 0.9 * seconds)
        folder, note = _folder(out), f"{how} {delay:.2f} s in, exit {code}"
        # 0: it had finished; -SIGINT: it came while Python was exiting (the default action then)
        assert code in ((0, 130, -signal.SIGINT) if how == "ctrl-c" else (0, -signal.SIGKILL)), note
    _resume(folder, recipe)
    try:
        _assert_same_run(full, folder)
    except AssertionError as exc:
        raise AssertionError(f"{recipe}, {note}: {exc}") from None


def _refused(folder, recipe, extra, message):
    """--resume with ``extra`` is refused in one line and changes no file of ``folder``."""
    files = sorted(glob.glob(os.path.join(str(folder), "**"), recursive=True))
    before = {p: open(p, "rb").read() for p in files if os.path.isfile(p)}
    result = _cli("run", "--resume", str(folder), "--quiet", *extra, recipe)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert sorted(glob.glob(os.path.join(str(folder), "**"), recursive=True)) == files
    assert {p: open(p, "rb").read() for p in files if os.path.isfile(p)} == before


def test_mnist_cnn_with_augmentation_survives_anything(tmp_path, text_file):
    full, seconds = _full_run(tmp_path / "full", "mnist-cnn", text_file)
    for how in ("ctrl-c", "kill", "kill-in-write"):
        _interrupt_and_resume(tmp_path, "mnist-cnn", how, text_file, full, seconds)
    # a finished 2-epoch run: it cannot end after 1; it can go on to 3 (one-cycle re-planned)
    _refused(full, "mnist-cnn", ["--epochs", "1"],
             "the run has reached epoch 2; it cannot end after 1 epochs")
    _resume(full, "mnist-cnn", "--epochs", "3")
    with open(os.path.join(full, "metrics.jsonl")) as f:
        assert [line[:12] for line in f] == ['{"epoch": 1,', '{"epoch": 2,', '{"epoch": 3,']
    assert '"epochs": 3' in open(os.path.join(full, "config.json")).read()


@pytest.mark.parametrize("recipe,how", [("char-rnn", "kill"), ("dcgan-mnist", "ctrl-c"),
                                        ("seq2seq", "kill"), ("word2vec", "kill")])
def test_every_family_resumes_bit_identical(tmp_path, text_file, recipe, how):
    full, seconds = _full_run(tmp_path / "full", recipe, text_file)
    _interrupt_and_resume(tmp_path, recipe, how, text_file, full, seconds)
    if recipe == "seq2seq":
        _refused(full, recipe, ["--epochs", "3"], "trains several models")


def test_resume_of_a_recipe_without_checkpoints_is_refused(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "config.json").write_text('{"recipe": "search-mlp", "epochs": 4}\n')
    _refused(folder, "search-mlp", [], "search-mlp cannot be resumed")
