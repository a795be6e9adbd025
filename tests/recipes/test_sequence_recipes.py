"""The sequence-model recipes from the command line on tiny settings: char-rnn (+ graphgrad sample,
--resume), rnn-vs-lstm-memory, sentiment-lstm / sentiment-cnn (tiny polarity files and a tiny
GloVe-format vectors file), seq2seq, word2vec (+ graphgrad neighbors) and moving-digits."""
import json
import os
import shutil
import subprocess
import sys

import pytest

EXE = shutil.which("graphgrad")


def graphgrad(*args, timeout=600):
    cmd = [EXE] if EXE else [sys.executable, "-m", "graphgrad"]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=timeout,
                          env=env)


def ok(result):
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def run_folder(out, recipe):
    folders = [f for f in os.listdir(out) if f.startswith(recipe + "-")]
    assert len(folders) == 1, folders
    return os.path.join(out, folders[0])


def report(folder):
    with open(os.path.join(folder, "report.md"), encoding="utf-8") as f:
        return f.read()


@pytest.fixture(scope="module")
def text_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("text") / "tiny.txt"
    path.write_text("the cat sat on the mat. the dog sat on the log. a bird flew over a tree.\n"
                    * 30, encoding="utf-8")
    return str(path)


def test_char_rnn_sample_and_resume(tmp_path, text_file):
    out = str(tmp_path)
    args = ["run", "char-rnn", "--data", text_file, "--epochs", "1", "--batch-size", "4",
            "--set", "hidden_size=16", "--set", "embedding_dim=8", "--set", "seq_len=20",
            "--set", "sample_every=5", "--set", "sample_length=30", "--out", out, "--quiet"]
    stdout = ok(graphgrad(*args))
    assert "held-out bits per character" in stdout
    folder = run_folder(out, "char-rnn")
    for name in ("config.json", "metrics.jsonl", "checkpoint.npz", "vocab.txt", "report.md",
                 "plots/bpc.png", "test_metrics.json"):
        assert os.path.exists(os.path.join(folder, name)), name
    text = report(folder)
    assert "held-out bits per character" in text and "Temperature 0.8" in text
    metrics = json.load(open(os.path.join(folder, "test_metrics.json")))
    assert 0 < metrics["val_bpc"] < 8
    sample = ok(graphgrad("sample", folder, "--prompt", "the ", "--length", "40", "--seed", "1"))
    assert sample.startswith("the ") and len(sample.rstrip("\n")) == 44
    assert ok(graphgrad("sample", folder, "--prompt", "the ", "--length", "40", "--seed",
                        "1")) == sample
    greedy = ok(graphgrad("sample", folder, "--prompt", "th", "--length", "10",
                          "--temperature", "0"))
    assert greedy.startswith("th")
    bad = graphgrad("sample", folder, "--prompt", "Zq")
    assert bad.returncode == 2 and "never saw" in bad.stderr
    ok(graphgrad("run", "--resume", folder, "--epochs", "2", "--quiet", "char-rnn"))
    rows = [json.loads(line) for line in open(os.path.join(folder, "metrics.jsonl"))]
    assert [r["epoch"] for r in rows] == [1, 2]


def test_sample_needs_a_char_rnn_run(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"recipe": "mnist-cnn"}))
    result = graphgrad("sample", str(folder))
    assert result.returncode == 2 and "needs a char-rnn run" in result.stderr


def test_rnn_vs_lstm_memory(tmp_path):
    out = str(tmp_path)
    stdout = ok(graphgrad("run", "rnn-vs-lstm-memory", "--set", "delays=[2, 4]", "--set",
                          "steps=5", "--set", "hidden_size=8", "--set", "test_size=50",
                          "--out", out, "--quiet"))
    assert "lstm delay    4" in stdout
    folder = run_folder(out, "rnn-vs-lstm-memory")
    assert os.path.exists(os.path.join(folder, "plots", "accuracy_vs_delay.png"))
    results = json.load(open(os.path.join(folder, "results.json")))
    assert {(r["cell"], r["delay"]) for r in results} == {("rnn", 2), ("lstm", 2), ("rnn", 4),
                                                          ("lstm", 4)}
    assert "| 4 |" in report(folder)


@pytest.fixture(scope="module")
def polarity(tmp_path_factory):
    folder = tmp_path_factory.mktemp("polarity")
    good = ["a good fun film", "great acting and a fine story", "wonderful and moving",
            "good fun", "a fine great film"]
    bad = ["a bad dull film", "awful acting and a boring story", "dull and tedious",
           "bad boring", "an awful bad film"]
    (folder / "tiny.pos").write_text("\n".join(good * 4) + "\n", encoding="latin-1")
    (folder / "tiny.neg").write_text("\n".join(bad * 4) + "\n", encoding="latin-1")
    words = sorted({w for s in good + bad for w in s.split()})
    vectors = tmp_path_factory.mktemp("vectors") / "tiny.glove.txt"
    lines = [w + " " + " ".join(f"{sum(map(ord, w)) * (k + 3) % 7 / 7 - 0.4:.3f}" for k in range(6))
             for w in words]
    vectors.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(folder), str(vectors)


@pytest.mark.parametrize("recipe,extra", [
    ("sentiment-lstm", ["--set", "hidden_size=8"]),
    ("sentiment-cnn", ["--set", "num_filters=4", "--set", "widths=[2, 3]"]),
])
def test_sentiment_recipes(tmp_path, polarity, recipe, extra):
    folder_in, vectors = polarity
    out = str(tmp_path)
    stdout = ok(graphgrad("run", recipe, "--data", folder_in, "--epochs", "2", "--batch-size",
                          "8", "--set", f"vectors={vectors}", *extra, "--out", out, "--quiet"))
    assert "random init: test accuracy" in stdout and "tiny.glove.txt" in stdout
    folder = run_folder(out, recipe)
    text = report(folder)
    assert "random init" in text and "tiny.glove.txt (6-d)" in text and "fixed split" in text
    for sub in ("random", "pretrained"):
        metrics = json.load(open(os.path.join(folder, sub, "test_metrics.json")))
        assert 0 <= metrics["test_accuracy"] <= 1 and metrics["best_epoch"] in (1, 2)
    assert os.path.exists(os.path.join(folder, "plots", "val_accuracy.png"))


def test_sentiment_needs_data():
    result = graphgrad("run", "sentiment-lstm", "--quiet")
    assert result.returncode == 2
    assert "needs sentence-polarity data" in result.stderr and ".pos" in result.stderr
    assert "Traceback" not in result.stderr


def test_seq2seq(tmp_path):
    out = str(tmp_path)
    stdout = ok(graphgrad("run", "seq2seq", "--epochs", "1", "--set", "train_size=64",
                          "--set", "val_size=16", "--set", "test_size=16", "--set",
                          "hidden_size=8", "--set", "embedding_dim=4", "--set", "beam_size=2",
                          "--set", "teacher_forcing=0.8", "--out", out, "--quiet"))
    for variant in ("plain", "reversed", "luong", "bahdanau"):
        assert f"{variant}: exact match greedy" in stdout
    folder = run_folder(out, "seq2seq")
    text = report(folder)
    assert "exact match (beam 2)" in text and "| bahdanau |" in text
    assert os.path.exists(os.path.join(folder, "luong", "plots", "attention.png"))
    bad = graphgrad("run", "seq2seq", "--set", "variants=[\"dot\"]", "--out", out)
    assert bad.returncode == 2 and "unknown variants" in bad.stderr


def test_word2vec_and_neighbors(tmp_path, text_file):
    out = str(tmp_path)
    stdout = ok(graphgrad("run", "word2vec", "--data", text_file, "--epochs", "1",
                          "--set", "min_freq=1", "--set", "embedding_dim=8", "--set",
                          "subsample=0", "--set", 'query=["cat", "dog"]', "--set",
                          'analogies=["cat mat dog log", "cat sat zebra on"]', "--out", out,
                          "--quiet"))
    assert "skipgram: analogies" in stdout and "cbow: analogies" in stdout
    folder = run_folder(out, "word2vec")
    text = report(folder)
    assert "| cat |" in text and "cat : mat :: dog : ?" in text and "zebra" in text
    for name in ("plots/words_skipgram.png", "plots/words_cbow.png", "skipgram/vectors.txt",
                 "cbow/checkpoint.npz"):
        assert os.path.exists(os.path.join(folder, name)), name
    header = open(os.path.join(folder, "skipgram", "vectors.txt")).readline().split()
    assert header[1] == "8"
    near = ok(graphgrad("neighbors", folder, "cat", "dog", "-k", "3"))
    lines = near.strip().splitlines()
    assert lines[0].startswith("cat: ") and lines[1].startswith("dog: ")
    assert lines[0].count("(") == 3
    ana = ok(graphgrad("neighbors", folder, "--analogy", "cat", "mat", "dog", "--model", "cbow"))
    assert ana.startswith("cat : mat :: dog : ")
    missing = graphgrad("neighbors", folder, "zebra")
    assert missing.returncode == 2 and "not in the vocabulary" in missing.stderr


def test_moving_digits(tmp_path):
    out = str(tmp_path)
    stdout = ok(graphgrad("run", "moving-digits", "--epochs", "1", "--set", "train_limit=80",
                          "--set", "copies=1", "--set", "feature_dim=8", "--set", "hidden_size=8",
                          "--out", out, "--quiet"))
    assert "test accuracy" in stdout and "direction" in stdout
    folder = run_folder(out, "moving-digits")
    metrics = json.load(open(os.path.join(folder, "test_metrics.json")))
    assert set(metrics) >= {"test_accuracy", "digit_accuracy", "direction_accuracy"}
    assert os.path.exists(os.path.join(folder, "plots", "clips.png"))
    assert "digit alone" in report(folder)


def test_char_transformer_and_sample(tmp_path, text_file):
    out = str(tmp_path)
    stdout = ok(graphgrad("run", "char-transformer", "--data", text_file, "--epochs", "1",
                          "--batch-size", "4", "--set", "d_model=16", "--set", "num_layers=1",
                          "--set", "dim_feedforward=32", "--set", "seq_len=20", "--set",
                          "block_size=32", "--set", "sample_length=30", "--out", out,
                          "--quiet"))
    assert "held-out bits per character" in stdout
    folder = run_folder(out, "char-transformer")
    for name in ("config.json", "metrics.jsonl", "checkpoint.npz", "vocab.txt", "report.md",
                 "plots/bpc.png", "test_metrics.json"):
        assert os.path.exists(os.path.join(folder, name)), name
    assert 0 < json.load(open(os.path.join(folder, "test_metrics.json")))["val_bpc"] < 8
    sample = ok(graphgrad("sample", folder, "--prompt", "the ", "--length", "40", "--seed", "1",
                          "--top-k", "5"))
    assert sample.startswith("the ") and len(sample.rstrip("\n")) == 44
    bad = graphgrad("run", "char-transformer", "--data", text_file, "--set", "seq_len=200",
                    "--out", out)
    assert bad.returncode == 2 and "must be at most block_size" in bad.stderr
