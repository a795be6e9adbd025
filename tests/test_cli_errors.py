"""What a user meets when something is wrong, tried the way a person does it: the ``graphgrad``
command in a subprocess. A problem the user can fix is one line on stderr starting
``graphgrad: error:``, exit status 2, no traceback, and nothing created or altered; a bug in
graphgrad keeps its traceback (exit 1)."""
import json
import os
import shutil
import struct
import subprocess
import sys
import zlib

import pytest

import graphgrad

EXE = shutil.which("graphgrad")
TINY = ["--epochs", "1", "--set", 'model_args={"channels": [4, 8], "hidden": 16}', "--quiet"]
ROOT = os.path.dirname(os.path.dirname(graphgrad.__file__))


def graphgrad_cmd(*args, timeout=600):
    cmd = [EXE] if EXE else [sys.executable, "-m", "graphgrad"]
    return subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True,
                          timeout=timeout)


def one_line_error(result, *fragments):
    """Assert ``result`` is a user error: exit 2, one line, no traceback; returns the line."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(lines) == 1 and lines[0].startswith("graphgrad: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def snapshot(folder):
    """Every file under ``folder`` with its bytes: to show that a command altered nothing."""
    out = {}
    for here, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(here, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, folder)] = f.read()
    return out


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One finished tiny mnist-cnn run (about 3 s), copied by the tests that damage it."""
    out = tmp_path_factory.mktemp("runs")
    result = graphgrad_cmd("run", "mnist-cnn", *TINY, "--out", out)
    assert result.returncode == 0, result.stderr
    (run,) = out.iterdir()
    return run


@pytest.fixture
def run_copy(trained, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(trained, copy)
    return copy


# ------------------------------------------------------------------ settings, before any folder
@pytest.mark.parametrize("setting,message", [
    ("epochs=-1", "setting epochs must be an integer >= 1, got -1"),
    ("epochs=0", "setting epochs must be an integer >= 1, got 0"),
    ("batch_size=0", "setting batch_size must be an integer >= 1, got 0"),
    ("lr=-0.1", "setting lr must be a number > 0, got -0.1"),
    ("model_args=3", "setting model_args expects a JSON object"),
    ("nosuch=1", "has no setting 'nosuch'"),
    ("=3", "--set expects KEY=VALUE"),
])  # (the rules themselves: tests/recipes/test_settings.py)
def test_a_bad_setting_is_refused_before_a_run_folder_exists(tmp_path, setting, message):
    out = tmp_path / "runs"
    one_line_error(graphgrad_cmd("run", "mnist-cnn", "--set", setting, "--out", out), message)
    assert not out.exists()


def test_a_recipe_checks_its_own_settings_first(tmp_path):
    result = graphgrad_cmd("run", "gan-mnist", "--set", "loss=hinge", "--out", tmp_path / "runs")
    one_line_error(result, "gan-mnist: setting loss must be one of nonsaturating, wgan-gp")
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("settings,message", [
    (["optimizer=rmsprop"], "optimizer must be sgd, adam or adamw"),
    (["mixup=0.2", "cutmix=0.5"], "choose mixup or cutmix, not both"),
])
def test_a_run_that_fails_before_its_first_checkpoint_leaves_no_folder(tmp_path, settings, message):
    """Some settings can only be judged inside the recipe, once its folder exists: then the
    folder goes again, and so do the --out folders made for it."""
    sets = [arg for s in settings for arg in ("--set", s)]
    result = graphgrad_cmd("run", "mnist-cnn", *sets, "--out", tmp_path / "new" / "runs")
    one_line_error(result, message)
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------------ --out
def test_out_naming_a_file(tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine\n")
    one_line_error(graphgrad_cmd("run", "mnist-cnn", *TINY, "--out", a_file),
                   f"--out {a_file} is a file")
    one_line_error(graphgrad_cmd("run", "mnist-cnn", *TINY, "--out", a_file / "runs"),
                   "cannot create a run folder there (Not a directory)")
    assert a_file.read_text() == "mine\n" and os.listdir(tmp_path) == ["notes.txt"]


def _unwritable_folder(tmp_path):
    """A folder this process cannot create anything in (root ignores permissions: then a path
    under /sys or /proc, where no one may make folders)."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    candidates = [folder / "runs", "/sys/graphgrad-test", "/proc/graphgrad-test"]
    for candidate in candidates:
        try:
            os.makedirs(candidate)
        except OSError:
            return candidate
        os.rmdir(candidate)
    pytest.skip("no unwritable folder on this machine")


def test_out_in_a_read_only_place(tmp_path):
    place = _unwritable_folder(tmp_path)
    one_line_error(graphgrad_cmd("run", "mnist-cnn", *TINY, "--out", place),
                   f"--out {place}: cannot create a run folder there")


# ------------------------------------------------------------------ eval, predict and friends
@pytest.mark.parametrize("command", [["eval"], ["predict"], ["generate"], ["sample"],
                                     ["neighbors"], ["run", "mnist-cnn", "--resume"]])
def test_a_missing_run_folder_is_not_created(tmp_path, command):
    missing = tmp_path / "no-such-run"
    extra = {"predict": ["x.png"], "neighbors": ["word"]}.get(command[0], [])
    one_line_error(graphgrad_cmd(*command, missing, *extra), f"{missing}: no such run folder")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("command", ["eval", "generate", "sample"])
def test_a_file_is_not_a_run_folder(trained, command):
    one_line_error(graphgrad_cmd(command, trained / "config.json"), "is a file, not a run folder")


def test_a_folder_without_config_is_not_a_run_folder(tmp_path):
    one_line_error(graphgrad_cmd("eval", tmp_path), "is not a run folder (it has no config.json)")
    assert os.listdir(tmp_path) == []  # in particular no plots/ folder


@pytest.mark.parametrize("content", [b"\xff\xfe{\x00", b"{\"recipe\": ", b"[1, 2]", b"{}"])
def test_a_damaged_config_json(run_copy, content):
    (run_copy / "config.json").write_bytes(content)
    before = snapshot(run_copy)
    for command in (["eval", run_copy], ["run", "mnist-cnn", "--resume", run_copy],
                    ["generate", run_copy]):
        one_line_error(graphgrad_cmd(*command), "config.json is damaged")
    assert snapshot(run_copy) == before


@pytest.mark.parametrize("damage", ["truncated", "random bytes", "empty"])
def test_a_damaged_checkpoint_is_named_and_never_pickle_advice(run_copy, damage):
    checkpoint = run_copy / "checkpoint.npz"
    data = checkpoint.read_bytes()
    checkpoint.write_bytes({"truncated": data[: len(data) // 2],
                            "random bytes": os.urandom(4000) + b"\x80\x04",
                            "empty": b""}[damage])
    for command in ("eval", "predict"):
        extra = [run_copy / "config.json"] if command == "predict" else []
        line = one_line_error(graphgrad_cmd(command, run_copy, *extra),
                              f"{checkpoint}' is damaged")
        assert "pickle" not in line


def test_a_checkpoint_that_does_not_fit_the_config(run_copy):
    config = json.loads((run_copy / "config.json").read_text())
    config["model_args"] = {"channels": [8, 8], "hidden": 16}
    (run_copy / "config.json").write_text(json.dumps(config))
    one_line_error(graphgrad_cmd("eval", run_copy), "checkpoint.npz does not fit the model")


@pytest.mark.parametrize("command,message", [
    (["generate"], "is a run of mnist-cnn"),
    (["sample"], "sample needs a char-rnn run"),
    (["neighbors", "word"], "neighbors needs a word2vec run"),
])
def test_commands_on_the_wrong_kind_of_run(trained, command, message):
    one_line_error(graphgrad_cmd(command[0], trained, *command[1:]), message)


def test_generate_out_naming_a_folder(trained, tmp_path):
    one_line_error(graphgrad_cmd("generate", trained, "--out", tmp_path),
                   f"--out {tmp_path} is a folder; name the PNG file")


@pytest.fixture(scope="module")
def text_runs(tmp_path_factory):
    """A tiny char-rnn run and a tiny word2vec run (a few seconds each)."""
    out = tmp_path_factory.mktemp("text-runs")
    words = "the cat sat on the mat and the dog sat on the log".split()
    text = out / "tiny.txt"
    text.write_text(" ".join(words[i * 7 % len(words)] for i in range(2000)))
    runs = {}
    for recipe, settings in (
            ("char-rnn", ["--batch-size", "4", "--set", "hidden_size=16", "--set",
                          "embedding_dim=8", "--set", "seq_len=20", "--set", "sample_length=10"]),
            ("word2vec", ["--set", "min_freq=1", "--set", "embedding_dim=8", "--set",
                          "subsample=0", "--set", 'query=["cat"]', "--set", "analogies=[]"])):
        folder = out / recipe
        result = graphgrad_cmd("run", recipe, "--data", text, "--epochs", "1", *settings,
                               "--out", folder, "--quiet")
        assert result.returncode == 0, result.stderr
        (runs[recipe],) = folder.iterdir()
    return runs


def test_neighbors_needs_a_positive_k(text_runs):
    one_line_error(graphgrad_cmd("neighbors", text_runs["word2vec"], "cat", "-k", "0"),
                   "-k must be at least 1, got 0")


@pytest.mark.parametrize("recipe,command", [("char-rnn", ["sample", "--prompt", "the"]),
                                            ("word2vec", ["neighbors", "cat"])])
def test_a_damaged_or_missing_vocabulary(text_runs, tmp_path, recipe, command):
    run = tmp_path / "run"
    shutil.copytree(text_runs[recipe], run)
    (run / "vocab.txt").write_bytes(b"\xff\xfe\x00")
    one_line_error(graphgrad_cmd(command[0], run, *command[1:]),
                   f"{run / 'vocab.txt'}: not UTF-8 text (byte 0xff at offset 0)")
    (run / "vocab.txt").unlink()
    one_line_error(graphgrad_cmd(command[0], run, *command[1:]),
                   f"{run / 'vocab.txt'}: No such file or directory")


# ------------------------------------------------------------------ resume
def test_resume_with_another_recipe_name_is_refused(trained):
    before = snapshot(trained)
    for name in ("nosuchrecipe", "mnist-mlp"):
        one_line_error(graphgrad_cmd("run", name, "--resume", trained),
                       f"that folder holds a mnist-cnn run, not {name}",
                       f"graphgrad run mnist-cnn --resume {trained}")
    one_line_error(graphgrad_cmd("run", "mnist-cnn", "--resume", trained, "--epochs", "0"),
                   "setting epochs must be an integer >= 1, got 0")
    assert snapshot(trained) == before


# ------------------------------------------------------------------ predict
def _png_header_only(path, width, height):
    """A PNG that claims width x height pixels: all a decompression bomb needs to be refused
    (Pillow reads the size before any pixel)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
                     + chunk(b"IDAT", zlib.compress(b"\0" * (width + 1))) + chunk(b"IEND", b""))


@pytest.mark.parametrize("side", [20000, 10000])  # Pillow errors above 179 Mpx, warns above 89
def test_predict_refuses_a_decompression_bomb(trained, tmp_path, side):
    bomb = tmp_path / "bomb.png"
    _png_header_only(bomb, side, side)
    one_line_error(graphgrad_cmd("predict", trained, bomb), f"predict: {bomb} is refused",
                   "too many to decode safely")


def test_predict_says_when_it_resizes_an_image(trained, tmp_path):
    import numpy as np
    from PIL import Image

    photo = tmp_path / "photo.png"
    Image.fromarray(np.zeros((40, 56, 3), dtype=np.uint8)).save(photo)
    result = graphgrad_cmd("predict", trained, photo)
    assert result.returncode == 0, result.stderr
    assert f"{photo}: " in result.stdout
    assert "resized from 56x40 to 28x28, converted from RGB to grayscale" in result.stdout


@pytest.mark.parametrize("name,message", [("missing.png", "no such image file"),
                                          ("folder", "is a folder, not an image file"),
                                          ("notes.png", "cannot read")])
def test_predict_on_what_is_not_an_image(trained, tmp_path, name, message):
    (tmp_path / "folder").mkdir()
    (tmp_path / "notes.png").write_text("not a picture")
    one_line_error(graphgrad_cmd("predict", trained, tmp_path / name), message)


# ------------------------------------------------------------------ --data
def test_data_that_is_garbage(tmp_path):
    idx = tmp_path / "idx"
    idx.mkdir()
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        (idx / name).write_bytes(os.urandom(3000))
    one_line_error(graphgrad_cmd("run", "mnist-cnn", *TINY, "--data", idx, "--out", tmp_path / "r"),
                   f"--data {idx}", "wrong magic number")
    one_line_error(graphgrad_cmd("run", "mnist-cnn", *TINY, "--data", tmp_path / "none"),
                   "no such file or folder")
    binary = tmp_path / "sentences.tsv"
    binary.write_bytes(b"sentence\tlabel\n\xff\xfe\x00\x81 good\t1\n")
    one_line_error(graphgrad_cmd("run", "sentiment-cnn", "--data", binary, "--out", tmp_path / "r"),
                   f"--data {binary}: not UTF-8 text")
    assert not (tmp_path / "r").exists()


# ------------------------------------------------------------------ summary
@pytest.mark.parametrize("size,message", [("1,2", "positive C,H,W"), ("0,28,28", "positive C,H,W"),
                                          ("3,32,32", "lenet5 does not take inputs of size 3,32,32"),
                                          ("a,b,c", "expects C,H,W")])
def test_summary_with_an_input_size_the_model_cannot_take(size, message):
    one_line_error(graphgrad_cmd("summary", "lenet5", f"--input-size={size}"), message)


# ------------------------------------------------------------------ library bugs and the machine
BUGGY_RECIPE = """
import errno, sys
from graphgrad.cli import main
from graphgrad.recipes.registry import register

def run(config, run_dir, resume=False, progress=True):
    if config["fail"] == "bug":
        raise ValueError("an internal invariant broke")
    if config["fail"] == "memory":
        raise MemoryError("Unable to allocate 37.3 GiB for an array")
    if config["fail"] == "worded":  # as the training loop's CheckpointWriteError words it
        error = OSError(f"could not write {run_dir.checkpoint}: No space left on device; the "
                        "previous checkpoint is intact")
        error.errno = errno.ENOSPC
        raise error
    raise OSError(errno.ENOSPC, "No space left on device", run_dir.checkpoint)

register("broken", "fails as asked", {"fail": "bug", "epochs": 1})(run)
sys.exit(main(sys.argv[1:]))
"""


def _broken(*args):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-c", BUGGY_RECIPE, *map(str, args)],
                          capture_output=True, text=True, timeout=120, env=env)


def test_a_library_bug_keeps_its_traceback(tmp_path):
    result = _broken("run", "broken", "--out", tmp_path)
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert "ValueError: an internal invariant broke" in result.stderr
    assert os.listdir(tmp_path) == []  # it failed before its first checkpoint


def test_a_full_disk_is_one_line(tmp_path):
    result = _broken("run", "broken", "--set", "fail=disk", "--out", tmp_path)
    one_line_error(result, "checkpoint.npz: No space left on device")
    result = _broken("run", "broken", "--set", "fail=worded", "--out", tmp_path)
    one_line_error(result, "checkpoint.npz: No space left on device; the previous checkpoint is intact")


def test_out_of_memory_is_one_line(tmp_path):
    result = _broken("run", "broken", "--set", "fail=memory", "--out", tmp_path)
    one_line_error(result, "out of memory: Unable to allocate 37.3 GiB")
