"""Sequence models: CharRNN (+ truncated-BPTT trainer, bits per character, exact resume),
SentimentRNN, TextCNN, Seq2Seq (attention, greedy/beam decoding), word2vec, CNNRNN, and a
many-to-many tagging task with the same layers."""
import math

import numpy as np
import pytest

import graphgrad as gg
from graphgrad import nn, optim
from graphgrad.models.charrnn import CharRNN, chrono_init_, pick_token
from graphgrad.models.cnnrnn import CNNRNN
from graphgrad.models.sentiment import SentimentRNN
from graphgrad.models.seq2seq import Seq2Seq, reverse_padded
from graphgrad.models.textcnn import TextCNN
from graphgrad.models.word2vec import CBOW, SkipGram, analogy, nearest_neighbors, unigram_table
from graphgrad.train.language_model import LanguageModelTrainer, evaluate_bpc


def T(a):
    return gg.from_numpy(np.asarray(a))


def train_steps(model, batches, loss_fn, steps, lr=0.02):
    opt = optim.Adam(model.parameters(), lr=lr)
    losses = []
    for i in range(steps):
        x, y = batches(i)
        loss = loss_fn(model, x, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
    return losses


# ------------------------------------------------------------------ CharRNN
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_charrnn_shapes_and_learning(cell):
    gg.manual_seed(0)
    model = CharRNN(5, 8, 16, num_layers=2, cell=cell)
    ids = np.tile(np.arange(5), 40)                    # 0 1 2 3 4 0 1 ...: fully predictable
    x, y = T(ids[:-1].reshape(-1, 1)[:30]), T(ids[1:].reshape(-1, 1)[:30])
    logits, hidden = model(x)
    assert logits.shape == (30, 1, 5)
    state = hidden[0] if cell == "lstm" else hidden
    assert state.shape == (2, 1, 16)
    losses = train_steps(model, lambda i: (x, y),
                         lambda m, a, b: nn.functional.cross_entropy(m(a)[0].reshape(-1, 5),
                                                                     b.reshape(-1)), 40)
    assert losses[-1] < 0.5 * losses[0]


def test_charrnn_sampling():
    gg.manual_seed(0)
    model = CharRNN(6, 4, 8, num_layers=1)
    a = model.sample([1, 2], 20, temperature=1.0, generator=gg.Generator().manual_seed(3))
    b = model.sample([1, 2], 20, temperature=1.0, generator=gg.Generator().manual_seed(3))
    assert a == b and len(a) == 20 and all(0 <= t < 6 for t in a)
    greedy = model.sample([1, 2], 10, temperature=0)
    assert model.sample([1, 2], 10, temperature=1.0, top_k=1) == greedy
    assert model.training
    with pytest.raises(ValueError, match="at least one token"):
        model.sample([], 5)
    with pytest.raises(ValueError, match="top_k"):
        model.sample([1], 5, top_k=0)
    with pytest.raises(ValueError, match=r"\(T, B\)"):
        model(T(np.zeros(3, dtype=np.int64)))


def test_pick_token_top_k_restricts_support():
    rng = np.random.default_rng(0)
    logits = np.array([0.0, 5.0, 4.0, -1.0, 4.5])
    drawn = {pick_token(logits, 2.0, 3, rng) for _ in range(200)}
    assert drawn == {1, 2, 4}


def test_bits_per_character_of_a_uniform_model_is_log2_vocab():
    model = CharRNN(7, 4, 8, num_layers=1)
    nn.init.zeros_(model.head.weight)
    nn.init.zeros_(model.head.bias)
    ids = np.random.default_rng(0).integers(0, 7, 500)
    result = evaluate_bpc(model, ids, batch_size=4, seq_len=10)
    assert result["bpc"] == pytest.approx(math.log2(7), rel=1e-5)
    assert result["loss"] == pytest.approx(math.log(7), rel=1e-5)


def _lm_fit(tmp_path, epochs, resume=False):
    gg.manual_seed(0)
    model = CharRNN(5, 4, 8, num_layers=1, dropout=0.0)
    opt = optim.Adam(model.parameters(), lr=0.01)
    trainer = LanguageModelTrainer(model, opt, batch_size=4, seq_len=7, run_dir=str(tmp_path),
                                   progress=False)
    ids = np.random.default_rng(1).integers(0, 5, 400)
    trainer.fit(ids[:300], ids[300:], epochs=epochs, resume=resume)
    return model, trainer


def test_language_model_trainer_resumes_exactly(tmp_path):
    straight, t1 = _lm_fit(tmp_path / "a", 2)
    _lm_fit(tmp_path / "b", 1)
    resumed, t2 = _lm_fit(tmp_path / "b", 2, resume=True)
    for (name, p), (_, q) in zip(straight.state_dict().items(), resumed.state_dict().items()):
        np.testing.assert_array_equal(p.numpy(), q.numpy(), err_msg=name)
    assert [r["val_bpc"] for r in t1.history] == [r["val_bpc"] for r in t2.history]
    assert (tmp_path / "b" / "metrics.jsonl").read_text().count("\n") == 2


def test_language_model_trainer_learns_and_stops_on_time_limit(tmp_path):
    gg.manual_seed(0)
    model = CharRNN(4, 4, 16, num_layers=1)
    trainer = LanguageModelTrainer(model, optim.Adam(model.parameters(), lr=0.02), batch_size=4,
                                   seq_len=10, progress=False)
    ids = np.tile([0, 1, 2, 3, 2, 1], 200)
    trainer.fit(ids, ids[:200], epochs=3)
    assert trainer.history[-1]["val_bpc"] < 0.5 * trainer.history[0]["train_bpc"]
    timed = LanguageModelTrainer(CharRNN(4, 4, 8, 1), None, batch_size=4, seq_len=10,
                                 progress=False, time_limit=1e-9)
    timed.optimizer = optim.SGD(timed.model.parameters(), lr=0.1)
    timed.fit(ids, None, epochs=5)
    assert len(timed.history) == 1 and timed.history[0]["partial"] and timed.global_step == 1


def test_chrono_init_sets_gate_biases():
    lstm = nn.LSTM(3, 6)
    chrono_init_(lstm, 50, generator=gg.Generator().manual_seed(0))
    b = lstm.bias_ih_l0.detach().numpy()
    forget = b[6:12]
    assert np.all(forget >= 0) and np.all(forget <= math.log(49) + 1e-6)
    np.testing.assert_allclose(b[:6], -forget)
    assert not b[12:].any() and not lstm.bias_hh_l0.detach().numpy().any()


# ------------------------------------------------------------------ sentiment
def _padded_batch(rng, vocab=20, lengths=(5, 2, 4)):
    seqs = [rng.integers(2, vocab, n) for n in lengths]
    out = np.zeros((len(seqs), max(lengths)), dtype=np.int64)
    for i, s in enumerate(seqs):
        out[i, :len(s)] = s
    return seqs, out, np.asarray(lengths)


@pytest.mark.parametrize("cell,bidirectional", [("lstm", True), ("gru", True), ("lstm", False)])
def test_sentiment_rnn_packing_ignores_padding(cell, bidirectional):
    gg.manual_seed(0)
    model = SentimentRNN(20, 6, 5, cell=cell, bidirectional=bidirectional, dropout=0.0).eval()
    seqs, padded, lengths = _padded_batch(np.random.default_rng(0))
    batched = model((T(padded), T(lengths))).detach().numpy()
    assert batched.shape == (3, 2)
    for i, s in enumerate(seqs):
        alone = model(T(s[None])).detach().numpy()
        np.testing.assert_allclose(batched[i], alone[0], rtol=1e-5, atol=1e-6)


def test_sentiment_rnn_pretrained_embeddings():
    vectors = np.random.default_rng(0).standard_normal((20, 4)).astype(np.float32)
    frozen = SentimentRNN(20, embeddings=vectors, freeze_embeddings=True)
    np.testing.assert_array_equal(frozen.embedding.weight.detach().numpy(), vectors)
    assert not frozen.embedding.weight.requires_grad and frozen.rnn.input_size == 4
    tuned = SentimentRNN(20, embeddings=vectors)
    assert tuned.embedding.weight.requires_grad
    with pytest.raises(ValueError, match="20 rows but the vocabulary has 30"):
        SentimentRNN(30, embeddings=vectors)


def test_sentiment_rnn_learns_a_keyword_task():
    gg.manual_seed(0)
    rng = np.random.default_rng(0)
    model = SentimentRNN(12, 8, 8, dropout=0.0)

    def batch(_):
        x = rng.integers(3, 12, (32, 6))
        y = rng.integers(0, 2, 32)
        x[np.arange(32), rng.integers(0, 6, 32)] = np.where(y == 1, 1, 2)   # the cue word
        return (T(x), T(np.full(32, 6))), T(y)

    losses = train_steps(model, batch, lambda m, x, y: nn.functional.cross_entropy(m(x), y), 60,
                         lr=0.03)
    assert np.mean(losses[-5:]) < 0.3


# ------------------------------------------------------------------ text CNN
def test_textcnn_shapes_short_sentences_and_multichannel():
    gg.manual_seed(0)
    model = TextCNN(30, 8, widths=(3, 4, 5), num_filters=6).eval()
    assert model(T(np.ones((4, 9), dtype=np.int64))).shape == (4, 2)
    assert model(T(np.ones((2, 2), dtype=np.int64))).shape == (2, 2)        # padded to width 5
    assert model((T(np.ones((2, 7), dtype=np.int64)), T([7, 3]))).shape == (2, 2)
    vectors = gg.randn(30, 5)
    multi = TextCNN(30, widths=(2,), num_filters=3, embeddings=vectors, multichannel=True)
    assert multi.embedding.weight.requires_grad and not multi.static.weight.requires_grad
    assert multi(T(np.ones((2, 4), dtype=np.int64))).shape == (2, 2)
    with pytest.raises(ValueError, match="multichannel needs pre-trained"):
        TextCNN(30, multichannel=True)


def test_textcnn_learns_a_bigram_task():
    gg.manual_seed(0)
    rng = np.random.default_rng(1)
    model = TextCNN(10, 8, widths=(2, 3), num_filters=8, dropout=0.0)

    def batch(_):
        x = rng.integers(4, 10, (32, 8))
        y = rng.integers(0, 2, 32)
        pos = rng.integers(0, 7, 32)
        x[np.arange(32), pos] = np.where(y == 1, 1, 2)
        x[np.arange(32), pos + 1] = 3
        return T(x), T(y)

    losses = train_steps(model, batch, lambda m, x, y: nn.functional.cross_entropy(m(x), y), 50)
    assert np.mean(losses[-5:]) < 0.3


# ------------------------------------------------------------------ seq2seq
def test_reverse_padded():
    tokens = np.array([[5, 6, 7, 0], [8, 9, 0, 0]])
    np.testing.assert_array_equal(reverse_padded(tokens, [3, 2]), [[7, 6, 5, 0], [9, 8, 0, 0]])


def _copy_batch(rng, n=16, vocab=8):
    """Copy task: target = source; ids 4.. are symbols (0 pad, 2 bos, 3 eos)."""
    lengths = rng.integers(2, 6, n)
    src = np.zeros((n, 5), dtype=np.int64)
    tgt = np.zeros((n, 7), dtype=np.int64)
    for i, k in enumerate(lengths):
        s = rng.integers(4, vocab, k)
        src[i, :k] = s
        tgt[i, 0], tgt[i, 1:k + 1], tgt[i, k + 1] = 2, s, 3
    return src, lengths, tgt


@pytest.mark.parametrize("attention", [None, "luong", "bahdanau"])
def test_seq2seq_shapes_masking_and_decoding(attention):
    gg.manual_seed(0)
    model = Seq2Seq(8, 8, 6, 10, attention=attention, reverse_input=True).eval()
    src, lengths, tgt = _copy_batch(np.random.default_rng(0), n=4)
    logits = model(T(src), T(lengths), T(tgt[:, :-1]))
    assert logits.shape == (4, 6, 8)
    if attention:
        w = model.last_attention
        np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-5)
        pad = np.arange(5)[None, :] >= lengths[:, None]
        assert np.all(w[np.broadcast_to(pad[:, None, :], w.shape)] < 1e-6)
    # step-by-step decoding with teacher forcing 0 < r < 1 runs through the same path
    assert model(T(src), T(lengths), T(tgt[:, :-1]), teacher_forcing=0.5).shape == (4, 6, 8)
    greedy = model.greedy_decode(src, lengths, max_len=6)
    assert model.beam_search(src, lengths, beam_size=1, max_len=6) == greedy
    assert len(model.beam_search(src, lengths, beam_size=3, max_len=6)) == 4
    with pytest.raises(ValueError, match="beam_size"):
        model.beam_search(src, lengths, beam_size=0)
    with pytest.raises(ValueError, match="attention must be"):
        Seq2Seq(8, 8, attention="dot")


def test_seq2seq_padding_does_not_change_a_sequence():
    gg.manual_seed(0)
    model = Seq2Seq(8, 8, 6, 10, attention="luong").eval()
    src, lengths, tgt = _copy_batch(np.random.default_rng(2), n=3)
    full = model(T(src), T(lengths), T(tgt[:, :-1])).detach().numpy()
    k = int(lengths[0])
    alone = model(T(src[:1, :k]), T(lengths[:1]), T(tgt[:1, :-1])).detach().numpy()
    np.testing.assert_allclose(full[0], alone[0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("attention", [None, "luong"])
def test_seq2seq_learns_to_copy(attention):
    gg.manual_seed(0)
    rng = np.random.default_rng(0)
    model = Seq2Seq(8, 8, 8, 24, attention=attention)

    def loss_fn(m, x, tgt):
        logits = m(T(x[0]), T(x[1]), T(tgt[:, :-1]))
        return nn.functional.cross_entropy(logits.reshape(-1, 8), T(tgt[:, 1:].reshape(-1)),
                                           ignore_index=0)

    def batch(_):
        src, lengths, tgt = _copy_batch(rng, n=32)
        return (src, lengths), tgt

    losses = train_steps(model, batch, loss_fn, 120, lr=0.02)
    assert np.mean(losses[-5:]) < 0.35 * np.mean(losses[:5])


# ------------------------------------------------------------------ word2vec
def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_skipgram_loss_matches_the_formula():
    gg.manual_seed(0)
    model = SkipGram(10, 4)
    nn.init.normal_(model.out_embed.weight)
    c, o, neg = np.array([1, 2]), np.array([3, 4]), np.array([[5, 6], [7, 8]])
    got = model(T(c), T(o), T(neg)).detach().numpy()
    v, u = model.in_embed.weight.detach().numpy(), model.out_embed.weight.detach().numpy()
    want = [-np.log(_sigmoid(u[o[i]] @ v[c[i]])) - np.log(_sigmoid(-(u[neg[i]] @ v[c[i]]))).sum()
            for i in range(2)]
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_cbow_ignores_padding_and_learns():
    gg.manual_seed(0)
    model = CBOW(10, 4)
    nn.init.normal_(model.out_embed.weight)
    neg = T([[5, 6]])
    a = model(T([[3, 4, 0, 0]]), T([2]), neg).detach().numpy()
    b = model(T([[3, 4]]), T([2]), neg).detach().numpy()
    np.testing.assert_allclose(a, b, rtol=1e-6)
    rng = np.random.default_rng(0)

    def batch(_):     # centre word w always has context words w + 1 and w - 1 (mod 9) + 1
        w = rng.integers(1, 10, 64)
        ctx = np.stack([(w % 9) + 1, ((w - 2) % 9) + 1], 1)
        return (T(ctx), T(w), T(rng.integers(1, 10, (64, 3)))), None

    losses = train_steps(model, batch, lambda m, x, _: m(*x).mean(), 80, lr=0.05)
    assert losses[-1] < 0.7 * losses[0]


def test_neighbors_analogy_and_unigram_table():
    vectors = np.array([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]], float)
    assert [i for i, _ in nearest_neighbors(vectors, 0, k=2)] == [1, 4]
    assert nearest_neighbors(vectors, np.array([0, 0, 2.0]), k=1)[0][0] == 3
    # man : king :: woman : queen with 2-d toys
    words = np.array([[1, 0], [1, 1], [-1, 0], [-1, 1], [0, -1]], float)
    assert analogy(words, 0, 1, 2)[0][0] == 3
    p = unigram_table([1, 16, 0, 81])
    np.testing.assert_allclose(p, np.array([1, 8, 0, 27]) / 36)
    with pytest.raises(ValueError, match="every count is zero"):
        unigram_table([0, 0])


# ------------------------------------------------------------------ CNN + RNN over frames
def test_cnnrnn_shapes_errors_and_learning():
    gg.manual_seed(0)
    model = CNNRNN(2, frame_size=8, channels=(4,), feature_dim=8, hidden_size=8)
    rng = np.random.default_rng(0)

    def batch(_):    # class = whether a bright dot moves right (1) or left (0)
        y = rng.integers(0, 2, 16)
        clips = np.zeros((16, 4, 1, 8, 8), dtype=np.float32)
        for i in range(16):
            for t in range(4):
                clips[i, t, 0, 3, 2 + t if y[i] else 5 - t] = 1.0
        return T(clips), T(y)

    assert model(batch(0)[0]).shape == (16, 2)
    losses = train_steps(model, batch, lambda m, x, y: nn.functional.cross_entropy(m(x), y), 40)
    assert np.mean(losses[-5:]) < 0.3
    with pytest.raises(ValueError, match=r"expected clips \(B, T, 1, 8, 8\)"):
        model(gg.zeros(2, 4, 8, 8))


# ------------------------------------------------------------------ many-to-many tagging
def test_many_to_many_tagging_with_a_bidirectional_gru():
    """Tag every token with whether it repeats the token before it (needs the left context) or
    the one after it (the right context): a per-step classifier on a bidirectional GRU."""
    gg.manual_seed(0)
    rng = np.random.default_rng(0)

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(5, 8)
            self.rnn = nn.GRU(8, 16, bidirectional=True, batch_first=True)
            self.out = nn.Linear(32, 3)

        def forward(self, x):
            return self.out(self.rnn(self.emb(x))[0])          # (B, T, 3)

    def batch(_):
        x = rng.integers(0, 5, (32, 10))
        same_prev = np.zeros_like(x, dtype=bool)
        same_prev[:, 1:] = x[:, 1:] == x[:, :-1]
        same_next = np.zeros_like(x, dtype=bool)
        same_next[:, :-1] = x[:, :-1] == x[:, 1:]
        return T(x), T(np.where(same_prev, 1, np.where(same_next, 2, 0)))

    model = Tagger()
    loss = lambda m, x, y: nn.functional.cross_entropy(m(x).reshape(-1, 3), y.reshape(-1))  # noqa
    train_steps(model, batch, loss, 150, lr=0.02)
    x, y = batch(0)
    with gg.no_grad():
        accuracy = (model(x).numpy().argmax(-1) == y.numpy()).mean()
    assert accuracy > 0.95
