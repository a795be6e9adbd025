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
