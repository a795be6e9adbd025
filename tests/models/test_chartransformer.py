"""CharTransformer: shapes, causality, context carried as the "hidden state", learning with the
language-model trainer (and an exact resume), tied weights, sampling, state_dict round trip."""
import numpy as np
import pytest

import graphgrad as gg
from graphgrad import nn, optim
from graphgrad.models import CharTransformer
from graphgrad.train.language_model import LanguageModelTrainer, evaluate_bpc


def T(a):
    return gg.tensor(np.asarray(a, dtype=np.int64))


def small(vocab=7, **kw):
    gg.manual_seed(0)
    options = dict(d_model=16, nhead=2, num_layers=2, dim_feedforward=32, block_size=12)
    options.update(kw)
    return CharTransformer(vocab, **options)


def test_shapes_hidden_and_causality():
    model = small()
    x = T(np.random.default_rng(0).integers(0, 7, (5, 3)))
    logits, hidden = model(x)
    assert tuple(logits.shape) == (5, 3, 7) and tuple(hidden.shape) == (5, 3)
    # a later token never changes an earlier position's logits
    y = x.numpy().copy()
    y[4] = (y[4] + 1) % 7
    changed, _ = model(T(y))
    np.testing.assert_allclose(changed.detach().numpy()[:4], logits.detach().numpy()[:4],
                               rtol=1e-5, atol=1e-6)
    # the context carried in `hidden` is the same as feeding the whole sequence at once
    more = T(np.random.default_rng(1).integers(0, 7, (4, 3)))
    carried, hidden2 = model(more, hidden)
    whole, _ = model(T(np.concatenate([x.numpy(), more.numpy()])))
    np.testing.assert_allclose(carried.detach().numpy(), whole.detach().numpy()[5:], rtol=1e-5,
                               atol=1e-6)
    assert tuple(hidden2.shape) == (9, 3)
    # the context is cut to block_size - 1 tokens
    _, hidden3 = model(T(np.zeros((8, 3))), hidden2)
    assert tuple(hidden3.shape) == (11, 3)


def test_tied_weights_and_state_dict_round_trip(tmp_path):
    model = small()
    assert model.head.weight is model.token_embedding.weight
    assert len(list(model.parameters())) == len(model.state_dict()) - 1  # head.weight is shared
    untied = small(tie_weights=False)
    assert untied.head.weight is not untied.token_embedding.weight
    gg.save(model.state_dict(), str(tmp_path / "m.npz"))
    other = small()
    nn.init.zeros_(other.token_embedding.weight)
    other.load_state_dict(gg.load(str(tmp_path / "m.npz")))
    x = T(np.arange(6).reshape(3, 2))
    np.testing.assert_array_equal(other(x)[0].detach().numpy(), model(x)[0].detach().numpy())


def test_learns_a_pattern_with_the_trainer_and_resumes_exactly(tmp_path):
    ids = np.tile([0, 1, 2, 3, 2, 1, 4], 120)

    def fit(folder, epochs, resume=False):
        model = small(vocab=5)
        trainer = LanguageModelTrainer(model, optim.Adam(model.parameters(), lr=0.01),
                                       batch_size=4, seq_len=10, run_dir=str(folder),
                                       progress=False)
        trainer.fit(ids, ids[:700], epochs=epochs, resume=resume)
        return model, trainer.history

    model, history = fit(tmp_path / "a", 3)
    assert history[-1]["val_bpc"] < 0.5 < history[0]["train_bpc"]
    assert evaluate_bpc(model, ids[:700], seq_len=10)["bpc"] == pytest.approx(history[-1]["val_bpc"])
    fit(tmp_path / "b", 2)
    resumed, _ = fit(tmp_path / "b", 3, resume=True)
    for (name, a), b in zip(model.state_dict().items(), resumed.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)


def test_sampling_is_seeded_and_uses_top_k():
    model = small()
    a = model.sample([1, 2], 30, temperature=1.0, generator=gg.Generator().manual_seed(3))
    b = model.sample([1, 2], 30, temperature=1.0, generator=gg.Generator().manual_seed(3))
    assert a == b and len(a) == 30 and all(0 <= t < 7 for t in a)  # longer than block_size
    greedy = model.sample([1], 5, temperature=0)
    assert greedy == model.sample([1], 5, temperature=0)
    with pytest.raises(ValueError, match="top_k must be >= 1"):
        model.sample([1], 3, top_k=0)


def test_input_longer_than_the_block_runs_in_chunks_with_context():
    model = small()
    x = T(np.random.default_rng(0).integers(0, 7, (30, 2)))
    logits, hidden = model(x)
    assert tuple(logits.shape) == (30, 2, 7) and tuple(hidden.shape) == (11, 2)
    first, h = model(x[:6])
    second, _ = model(x[6:12], h)
    np.testing.assert_allclose(logits.detach().numpy()[:12],
                               np.concatenate([first.detach().numpy(), second.detach().numpy()]),
                               rtol=1e-5, atol=1e-6)


def test_activation_choice():
    relu, gelu = small(), small(activation="gelu")
    assert isinstance(gelu.encoder.layers[0].activation, nn.GELU)
    assert gelu.encoder.layers[0].activation.approximate == "tanh"
    x = T(np.arange(8).reshape(4, 2) % 7)
    assert not np.allclose(relu(x)[0].detach().numpy(), gelu(x)[0].detach().numpy())
    with pytest.raises(ValueError, match="activation must be 'relu' or 'gelu'"):
        small(activation="tanh")


def test_errors():
    model = small()
    with pytest.raises(ValueError, match=r"expected token ids of shape \(T, B\)"):
        model(T(np.zeros(4)))


def test_trains_step_for_step_like_the_same_network_in_pytorch():
    """The same network built from PyTorch's layers, the same weights, batches, Adam and clipping:
    the losses agree step by step (context carried between batches included)."""
    torch = pytest.importorskip("torch")
    vocab, block = 9, 16
    g = small(vocab=vocab, block_size=block)

    class Reference(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.token_embedding = torch.nn.Embedding(vocab, 16)
            self.position_embedding = torch.nn.Embedding(block, 16)
            layer = torch.nn.TransformerEncoderLayer(16, 2, 32, 0.0, norm_first=True)
            self.encoder = torch.nn.TransformerEncoder(layer, 2, norm=torch.nn.LayerNorm(16),
                                                       enable_nested_tensor=False)
            self.head = torch.nn.Linear(16, vocab, bias=False)
            self.head.weight = self.token_embedding.weight

        def forward(self, x, hidden=None):
            tokens = x if hidden is None else torch.cat([hidden, x])[-block:]
            n = tokens.shape[0]
            h = self.token_embedding(tokens) + self.position_embedding(torch.arange(n))[:, None]
            h = self.encoder(h, mask=torch.nn.Transformer.generate_square_subsequent_mask(n),
                             is_causal=True)
            return self.head(h[n - x.shape[0]:]), tokens[-(block - 1):]

    t = Reference()
    t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in g.state_dict().items()})
    g_opt, t_opt = optim.Adam(g.parameters(), lr=0.01), torch.optim.Adam(t.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    g_hidden = t_hidden = None
    for _ in range(6):
        batch = rng.integers(0, vocab, (11, 3))
        x, y = batch[:-1], batch[1:]
        g_logits, g_hidden = g(T(x), g_hidden)
        g_loss = nn.functional.cross_entropy(g_logits.reshape(-1, vocab), T(y.reshape(-1)))
        g_opt.zero_grad()
        g_loss.backward()
        nn.utils.clip_grad_norm_(g.parameters(), 1.0)
        g_opt.step()
        t_logits, t_hidden = t(torch.tensor(x), t_hidden)
        t_loss = torch.nn.functional.cross_entropy(t_logits.reshape(-1, vocab),
                                                   torch.tensor(y.reshape(-1)))
        t_opt.zero_grad()
        t_loss.backward()
        torch.nn.utils.clip_grad_norm_(t.parameters(), 1.0)
        t_opt.step()
        assert g_loss.item() == pytest.approx(t_loss.item(), rel=1e-4)
