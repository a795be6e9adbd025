"""Sequence programs in the style of pytorch/examples' word_language_model (RNN and Transformer)
and time_sequence_prediction (L-BFGS), run on graphgrad and PyTorch from the same weights."""
import math

import numpy as np
import pytest

from harness import assert_close, run_both


def _corpus(n=400, vocab=12, seed=0):
    """A token stream with structure to learn: mostly counting up modulo ``vocab``."""
    rng = np.random.default_rng(seed)
    steps = np.where(rng.random(n) < 0.8, 1, rng.integers(0, vocab, n))
    return {"ids": (np.cumsum(steps) % vocab).astype(np.int64), "vocab": vocab}


def word_lm(torch, init, data, rnn_type="LSTM", tied=True, epochs=2):
    """word_language_model's RNNModel and training loop: weight.new_zeros hidden state,
    repackage_hidden, batchify with narrow/view/t().contiguous(), manual SGD through p.data.add_,
    clip_grad_norm_, lr annealing, evaluation in perplexity."""
    nn, F = torch.nn, torch.nn.functional
    ntokens, bptt, bsz = data["vocab"], 8, 4

    class RNNModel(nn.Module):
        def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.0, tie_weights=False):
            super(RNNModel, self).__init__()
            self.ntoken = ntoken
            self.drop = nn.Dropout(dropout)
            self.encoder = nn.Embedding(ntoken, ninp)
            self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
            self.decoder = nn.Linear(nhid, ntoken)
            if tie_weights:
                self.decoder.weight = self.encoder.weight
            initrange = 0.1
            nn.init.uniform_(self.encoder.weight, -initrange, initrange)
            nn.init.zeros_(self.decoder.bias)
            nn.init.uniform_(self.decoder.weight, -initrange, initrange)
            self.rnn_type, self.nhid, self.nlayers = rnn_type, nhid, nlayers

        def forward(self, input, hidden):
            emb = self.drop(self.encoder(input))
            output, hidden = self.rnn(emb, hidden)
            decoded = self.decoder(self.drop(output)).view(-1, self.ntoken)
            return F.log_softmax(decoded, dim=1), hidden

        def init_hidden(self, bsz):
            weight = next(self.parameters())
            if self.rnn_type == "LSTM":
                return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                        weight.new_zeros(self.nlayers, bsz, self.nhid))
            return weight.new_zeros(self.nlayers, bsz, self.nhid)

    def batchify(data, bsz):
        nbatch = data.size(0) // bsz
        data = data.narrow(0, 0, nbatch * bsz)
        return data.view(bsz, -1).t().contiguous()

    def repackage_hidden(h):
        if isinstance(h, torch.Tensor):
            return h.detach()
        return tuple(repackage_hidden(v) for v in h)

    def get_batch(source, i):
        seq_len = min(bptt, len(source) - 1 - i)
        return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].view(-1)

    ids = torch.tensor(data["ids"].tolist()).type(torch.int64)
    train_data = batchify(ids[:320], bsz)
    val_data = batchify(ids[320:], bsz)
    model = RNNModel(rnn_type, ntokens, 16, 16, 2, tie_weights=tied)
    init(model)
    criterion = nn.NLLLoss()

    def evaluate(source):
        model.eval()
        total_loss, hidden = 0.0, model.init_hidden(bsz)
        with torch.no_grad():
            for i in range(0, source.size(0) - 1, bptt):
                inputs, targets = get_batch(source, i)
                output, hidden = model(inputs, hidden)
                hidden = repackage_hidden(hidden)
                total_loss += len(inputs) * criterion(output, targets).item()
        return total_loss / (len(source) - 1)

    lr, losses, best_val_loss, val_losses = 20.0, [], None, []
    for epoch in range(epochs):
        model.train()
        hidden = model.init_hidden(bsz)
        for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
            inputs, targets = get_batch(train_data, i)
            model.zero_grad()
            hidden = repackage_hidden(hidden)
            output, hidden = model(inputs, hidden)
            loss = criterion(output, targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
            losses.append(loss.item())
        val_loss = evaluate(val_data)
        val_losses.append(val_loss)
        if not best_val_loss or val_loss < best_val_loss:
            best_val_loss = val_loss
        else:
            lr /= 4.0
    return {"losses": losses, "val_losses": val_losses, "ppl": math.exp(val_losses[-1])}


@pytest.mark.parametrize("rnn_type,tied", [("LSTM", True), ("GRU", False)])
def test_word_language_model(rnn_type, tied):
    ours, theirs = run_both(word_lm, _corpus(), rnn_type=rnn_type, tied=tied)
    assert np.isfinite(ours["losses"]).all()  # lr 20 as in the example: chaotic, yet alike
    assert_close(ours, theirs, rtol=1e-3, atol=1e-4)


def transformer_lm(torch, init, data, steps=12, norm_first=False):
    """A small causal Transformer language model as people write one: a PositionalEncoding with a
    registered buffer filled by slice assignment, nn.TransformerEncoder with
    nn.Transformer.generate_square_subsequent_mask, AdamW with a warm-up LambdaLR, greedy decoding
    with topk."""
    nn, F = torch.nn, torch.nn.functional
    ntokens, d_model, seq = data["vocab"], 16, 10

    class PositionalEncoding(nn.Module):
        def __init__(self, d_model, dropout=0.0, max_len=64):
            super(PositionalEncoding, self).__init__()
            self.dropout = nn.Dropout(p=dropout)
            pe = torch.zeros(max_len, d_model)
            position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
            div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
            pe[:, 0::2] = torch.sin(position * div_term)
            pe[:, 1::2] = torch.cos(position * div_term)
            self.register_buffer("pe", pe.unsqueeze(0))

        def forward(self, x):
            return self.dropout(x + self.pe[:, :x.size(1)])

    class TransformerLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(ntokens, d_model)
            self.pos = PositionalEncoding(d_model)
            layer = nn.TransformerEncoderLayer(d_model, nhead=2, dim_feedforward=32, dropout=0.0,
                                               batch_first=True, norm_first=norm_first,
                                               activation="gelu")
            self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
            self.head = nn.Linear(d_model, ntokens)

        def forward(self, src):
            mask = nn.Transformer.generate_square_subsequent_mask(src.size(1))
            h = self.encoder(self.pos(self.embed(src) * math.sqrt(d_model)), mask=mask,
                             is_causal=True)
            return self.head(h)

    model = TransformerLM()
    init(model)
    ids = torch.from_numpy(data["ids"])
    windows = torch.stack([ids[i:i + seq + 1] for i in range(0, 320, 20)])
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / 4))
    losses, lrs = [], []
    for step in range(steps):
        x, y = windows[:, :-1], windows[:, 1:]
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, ntokens), y.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        lrs.append(scheduler.get_last_lr()[0])
    model.eval()
    with torch.no_grad():
        context = windows[:1, :4]
        for _ in range(6):
            top = model(context)[:, -1, :].topk(1, dim=-1).indices
            context = torch.cat([context, top], dim=1)
    return {"losses": losses, "lrs": lrs, "generated": context[0].tolist()}


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_language_model(norm_first):
    ours, theirs = run_both(transformer_lm, _corpus(), norm_first=norm_first)
    assert ours["losses"][-1] < ours["losses"][0]
    assert_close(ours, theirs, rtol=2e-3, atol=2e-4)


def lbfgs_sine(torch, init, data, steps=2):
    """time_sequence_prediction/train.py: two LSTMCells in float64 unrolled over the sequence with
    split(1, dim=1), an L-BFGS step with a closure, then forecasting under no_grad."""
    nn = torch.nn

    class Sequence(nn.Module):
        def __init__(self):
            super(Sequence, self).__init__()
            self.lstm1 = nn.LSTMCell(1, 12)
            self.lstm2 = nn.LSTMCell(12, 12)
            self.linear = nn.Linear(12, 1)

        def forward(self, input, future=0):
            outputs = []
            h_t = torch.zeros(input.size(0), 12, dtype=torch.double)
            c_t = torch.zeros(input.size(0), 12, dtype=torch.double)
            h_t2 = torch.zeros(input.size(0), 12, dtype=torch.double)
            c_t2 = torch.zeros(input.size(0), 12, dtype=torch.double)
            for input_t in input.split(1, dim=1):
                h_t, c_t = self.lstm1(input_t, (h_t, c_t))
                h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
                output = self.linear(h_t2)
                outputs += [output]
            for i in range(future):
                h_t, c_t = self.lstm1(output, (h_t, c_t))
                h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
                output = self.linear(h_t2)
                outputs += [output]
            return torch.cat(outputs, dim=1)

    wave = data["wave"]
    input, target = torch.from_numpy(wave[2:, :-1]), torch.from_numpy(wave[2:, 1:])
    test_input, test_target = torch.from_numpy(wave[:2, :-1]), torch.from_numpy(wave[:2, 1:])
    seq = Sequence()
    seq.double()
    init(seq)
    criterion = nn.MSELoss()
    optimizer = torch.optim.LBFGS(seq.parameters(), lr=0.8, max_iter=5)
    losses, test_losses = [], []
    for i in range(steps):
        def closure():
            optimizer.zero_grad()
            loss = criterion(seq(input), target)
            losses.append(loss.item())
            loss.backward()
            return loss
        optimizer.step(closure)
        with torch.no_grad():
            future = 10
            pred = seq(test_input, future=future)
            test_losses.append(criterion(pred[:, :-future], test_target).item())
            y = pred.detach().numpy()
    return {"losses": losses, "test_losses": test_losses, "forecast": y[:, -3:].tolist()}


def test_lbfgs_time_sequence():
    rng = np.random.default_rng(2)
    x = np.arange(30) + rng.integers(-40, 40, 6).reshape(6, 1)
    ours, theirs = run_both(lbfgs_sine, {"wave": np.sin(x / 1.0 / 8).astype("float64")})
    assert ours["losses"][-1] < ours["losses"][0]
    assert_close(ours, theirs, rtol=1e-6, atol=1e-9)
