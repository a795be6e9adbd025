"""The Transformer family against PyTorch: encoder and decoder layers and stacks and the whole
Transformer (outputs, input and parameter gradients; options and masks; float32 and float64),
PyTorch state_dicts loading both ways, initialisation, and a toy copy task that trains."""
import numpy as np
import pytest
from module_parity import compare_module
from parity import check_grads, torch_or_skip

import graphgrad as gg
from graphgrad import nn

torch = torch_or_skip()
tnn = torch.nn
# PyTorch's note that its nested-tensor fast path is off for these options
pytestmark = [pytest.mark.filterwarnings("ignore:enable_nested_tensor is True"),
              pytest.mark.filterwarnings("ignore:Support for mismatched")]


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def pair(name, *args, **kwargs):
    """The graphgrad and the PyTorch module of class ``name``; ``activation`` may be given as a
    name of ``nn.functional`` ('F.gelu') to pass each framework its own function."""
    gk, tk = dict(kwargs), dict(kwargs)
    act = kwargs.get("activation")
    if isinstance(act, str) and act.startswith("F."):
        gk["activation"] = getattr(gg.nn.functional, act[2:])
        tk["activation"] = getattr(torch.nn.functional, act[2:])
    elif act == "module":
        gk["activation"], tk["activation"] = nn.SiLU(), tnn.SiLU()
    return getattr(nn, name)(*args, **gk), getattr(tnn, name)(*args, **tk)


LAYER_OPTIONS = [
    {}, {"norm_first": True}, {"activation": "gelu"}, {"activation": "F.gelu"},
    {"activation": "module"}, {"batch_first": True}, {"bias": False},
    {"norm_first": True, "batch_first": True, "activation": "gelu", "layer_norm_eps": 1e-3},
]
IDS = ["-".join(f"{k}={v}" for k, v in o.items()) or "default" for o in LAYER_OPTIONS]


def seq(n, batch, d, batch_first, seed=0):
    return randn(batch, n, d, seed=seed) if batch_first else randn(n, batch, d, seed=seed)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", LAYER_OPTIONS, ids=IDS)
def test_encoder_layer_matches_torch(options, dtype):
    g, t = pair("TransformerEncoderLayer", 8, 2, 16, dropout=0.0, **options)
    bf = options.get("batch_first", False)
    padding = np.zeros((3, 5), dtype=bool)
    padding[1, 3:] = True
    compare_module(g, t, [seq(5, 3, 8, bf)], dtype=dtype, kwargs={
        "src_mask": tnn.Transformer.generate_square_subsequent_mask(5).numpy().astype(dtype),
        "src_key_padding_mask": padding})


@pytest.mark.parametrize("options", LAYER_OPTIONS, ids=IDS)
def test_decoder_layer_matches_torch(options):
    g, t = pair("TransformerDecoderLayer", 8, 2, 16, dropout=0.0, **options)
    bf = options.get("batch_first", False)
    memory_padding = np.zeros((3, 6), dtype=bool)
    memory_padding[0, 4:] = True
    compare_module(g, t, [seq(5, 3, 8, bf), seq(6, 3, 8, bf, seed=1)], kwargs={
        "tgt_mask": tnn.Transformer.generate_square_subsequent_mask(5).numpy(),
        "memory_key_padding_mask": memory_padding, "tgt_is_causal": True})


def test_unbatched_layers_match_torch():
    g, t = pair("TransformerEncoderLayer", 8, 2, 16, dropout=0.0)
    compare_module(g, t, [randn(5, 8)])
    g, t = pair("TransformerDecoderLayer", 8, 2, 16, dropout=0.0, batch_first=True)
    compare_module(g, t, [randn(5, 8), randn(4, 8, seed=1)])


@pytest.mark.parametrize("norm", [False, True])
@pytest.mark.parametrize("mask", ["none", "causal-float", "causal-bool", "padding"])
def test_encoder_stack_matches_torch(norm, mask):
    g_layer, t_layer = pair("TransformerEncoderLayer", 8, 2, 16, dropout=0.0, batch_first=True)
    g = nn.TransformerEncoder(g_layer, 3, nn.LayerNorm(8) if norm else None,
                              enable_nested_tensor=False)
    t = tnn.TransformerEncoder(t_layer, 3, tnn.LayerNorm(8) if norm else None,
                               enable_nested_tensor=False)
    kw = {}
    causal = tnn.Transformer.generate_square_subsequent_mask(5).numpy()
    if mask == "causal-float":
        kw["mask"] = causal
    elif mask == "causal-bool":
        kw["mask"] = np.isinf(causal)
    elif mask == "padding":
        kw["src_key_padding_mask"] = np.array([[False] * 5, [False] * 3 + [True] * 2])
    compare_module(g, t, [randn(2, 5, 8)], kwargs=kw)


def test_inference_equals_torch_fast_path():
    """In evaluation without grad PyTorch runs its fused inference kernels: same numbers."""
    g_layer, t_layer = pair("TransformerEncoderLayer", 8, 2, 16, batch_first=True)
    g, t = nn.TransformerEncoder(g_layer, 2).eval(), tnn.TransformerEncoder(t_layer, 2).eval()
    g.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    x = randn(3, 5, 8)
    with torch.no_grad(), gg.no_grad():
        want = t(torch.tensor(x)).numpy()
        got = g(gg.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_layers_are_independent_copies():
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    enc = nn.TransformerEncoder(layer, 2)
    assert enc.layers[0].linear1.weight is not enc.layers[1].linear1.weight
    np.testing.assert_array_equal(enc.layers[0].linear1.weight.detach().numpy(),
                                  enc.layers[1].linear1.weight.detach().numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", [{}, {"batch_first": True, "norm_first": True},
                                     {"activation": "gelu", "bias": False}], ids=str)
def test_transformer_matches_torch(options, dtype):
    g, t = pair("Transformer", 8, 2, 2, 2, 16, dropout=0.0, **options)
    bf = options.get("batch_first", False)
    src_padding = np.zeros((3, 6), dtype=bool)
    src_padding[2, 5:] = True
    compare_module(g, t, [seq(6, 3, 8, bf), seq(5, 3, 8, bf, seed=1)], dtype=dtype, kwargs={
        "tgt_mask": tnn.Transformer.generate_square_subsequent_mask(5).numpy().astype(dtype),
        "src_key_padding_mask": src_padding, "memory_key_padding_mask": src_padding})


def test_transformer_state_dict_round_trip_with_pytorch():
    g = nn.Transformer(16, 4, 1, 2, 32, dropout=0.0)
    t = tnn.Transformer(16, 4, 1, 2, 32, dropout=0.0)
    assert list(g.state_dict()) == list(t.state_dict())
    t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in g.state_dict().items()})
    g2 = nn.Transformer(16, 4, 1, 2, 32, dropout=0.0)
    g2.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    src, tgt = randn(7, 2, 16), randn(5, 2, 16, seed=1)
    want = t(torch.tensor(src), torch.tensor(tgt)).detach().numpy()
    for model in (g, g2):
        np.testing.assert_allclose(model(gg.tensor(src), gg.tensor(tgt)).detach().numpy(), want,
                                   rtol=1e-5, atol=1e-5)


def test_transformer_initialisation_and_attributes():
    model = nn.Transformer(32, 4, 2, 2, 64)
    assert (model.d_model, model.nhead, model.batch_first) == (32, 4, False)
    assert model.encoder.num_layers == 2 and model.decoder.num_layers == 2
    w = model.encoder.layers[0].linear1.weight.detach().numpy()
    bound = np.sqrt(6 / (32 + 64))  # every matrix is xavier_uniform_
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.all(model.decoder.norm.weight.detach().numpy() == 1)
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    np.testing.assert_array_equal(mask.numpy(),
                                  tnn.Transformer.generate_square_subsequent_mask(3).numpy())
    assert repr(nn.TransformerEncoderLayer(8, 2, 16)) == repr(tnn.TransformerEncoderLayer(8, 2, 16))
    assert repr(nn.TransformerDecoderLayer(8, 2, 16)) == repr(tnn.TransformerDecoderLayer(8, 2, 16))


def test_errors():
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    model = nn.Transformer(8, 2, 1, 1, 16)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(gg.randn(4, 2, 8), gg.randn(3, 3, 8))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal"):
        model(gg.randn(4, 2, 8), gg.randn(3, 2, 6))


def test_encoder_layer_gradcheck():
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, norm_first=True).double()
    mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=gg.float64)
    check_grads(lambda x: layer(x, src_mask=mask), [randn(3, 2, 4).astype(np.float64)],
                second_order=False)


def test_transformer_learns_to_copy():
    """An encoder-decoder Transformer learns to copy short token sequences (teacher forcing)."""
    gg.manual_seed(0)
    vocab, d, n, batch = 8, 32, 6, 32
    embed = nn.Embedding(vocab + 1, d)  # token `vocab` starts the target
    model = nn.Transformer(d, 4, 2, 2, 64, dropout=0.0, batch_first=True)
    head = nn.Linear(d, vocab)
    params = list(embed.parameters()) + list(model.parameters()) + list(head.parameters())
    opt = gg.optim.Adam(params, lr=3e-3)
    positions = gg.randn(1, n, d) * 0.5  # a fixed position code
    mask = nn.Transformer.generate_square_subsequent_mask(n)
    rng = np.random.default_rng(0)
    losses = []
    for _ in range(60):
        src = rng.integers(0, vocab, size=(batch, n))
        tgt_in = np.concatenate([np.full((batch, 1), vocab), src[:, :-1]], axis=1)
        out = model(embed(gg.tensor(src)) + positions, embed(gg.tensor(tgt_in)) + positions,
                    tgt_mask=mask)
        loss = gg.nn.functional.cross_entropy(head(out).reshape(-1, vocab),
                                              gg.tensor(src.reshape(-1)))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.mean(losses[:5]) > 1.8 and np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])


def _word_language_model(torch_):
    """pytorch/examples word_language_model's TransformerModel, as written there (``torch_`` is
    either framework)."""
    import math

    nn_, F_ = torch_.nn, torch_.nn.functional

    class PositionalEncoding(nn_.Module):
        def __init__(self, d_model, dropout=0.1, max_len=5000):
            super().__init__()
            self.dropout = nn_.Dropout(p=dropout)
            pe = torch_.zeros(max_len, d_model)
            position = torch_.arange(0, max_len, dtype=torch_.float).unsqueeze(1)
            div_term = torch_.exp(torch_.arange(0, d_model, 2).float()
                                  * (-math.log(10000.0) / d_model))
            pe[:, 0::2] = torch_.sin(position * div_term)
            pe[:, 1::2] = torch_.cos(position * div_term)
            pe = pe.unsqueeze(0).transpose(0, 1)
            self.register_buffer("pe", pe)

        def forward(self, x):
            x = x + self.pe[:x.size(0), :]
            return self.dropout(x)

    class TransformerModel(nn_.Transformer):
        def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.5):
            super().__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid,
                             num_encoder_layers=nlayers)
            self.model_type = "Transformer"
            self.src_mask = None
            self.pos_encoder = PositionalEncoding(ninp, dropout)
            self.input_emb = nn_.Embedding(ntoken, ninp)
            self.ninp = ninp
            self.decoder = nn_.Linear(ninp, ntoken)
            self.init_weights()

        def _generate_square_subsequent_mask(self, sz):
            return torch_.log(torch_.tril(torch_.ones(sz, sz)))

        def init_weights(self):
            initrange = 0.1
            nn_.init.uniform_(self.input_emb.weight, -initrange, initrange)
            nn_.init.zeros_(self.decoder.bias)
            nn_.init.uniform_(self.decoder.weight, -initrange, initrange)

        def forward(self, src, has_mask=True):
            if has_mask:
                if self.src_mask is None or self.src_mask.size(0) != len(src):
                    self.src_mask = self._generate_square_subsequent_mask(len(src))
            else:
                self.src_mask = None
            src = self.input_emb(src) * math.sqrt(self.ninp)
            src = self.pos_encoder(src)
            output = self.encoder(src, mask=self.src_mask)
            output = self.decoder(output)
            return F_.log_softmax(output, dim=-1)

    return TransformerModel


@pytest.mark.filterwarnings("ignore:divide by zero")
def test_word_language_model_transformer_trains_like_pytorch():
    """The example's model, unmodified, trained a few SGD steps in both frameworks from the same
    weights: the losses agree (in eval mode: nn.Transformer's own dropout of 0.1 draws different
    masks in the two frameworks)."""
    ntokens, steps = 30, 4
    g = _word_language_model(gg)(ntokens, 16, 2, 32, 2, dropout=0.0)
    t = _word_language_model(torch)(ntokens, 16, 2, 32, 2, dropout=0.0)
    g.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    g.eval(), t.eval()
    data = np.repeat(np.random.default_rng(0).integers(0, ntokens, (1, 11, 4)), steps, axis=0)
    losses = []
    for model, fw in ((g, gg), (t, torch)):
        run = []
        for batch in data:
            x, y = fw.tensor(batch[:-1]), fw.tensor(batch[1:])
            out = model(x)
            loss = fw.nn.functional.nll_loss(out.view(-1, ntokens), y.reshape(-1))
            model.zero_grad()
            loss.backward()
            fw.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            with fw.no_grad():
                for p in model.parameters():
                    p.copy_(p - 1.0 * p.grad)
            run.append(loss.item())
        losses.append(run)
    np.testing.assert_allclose(losses[0], losses[1], rtol=2e-4)
    assert losses[0][-1] < losses[0][0]
