"""Smaller programs built from everyday PyTorch idioms (regression/main.py, the forward-forward
example, super_resolution, data splits and schedulers, checkpoints, freezing and hooks), run on
graphgrad and PyTorch and compared."""
import copy
import math

import numpy as np

from harness import assert_close, run_both


def regression(torch, init, data, batches=60):
    """regression/main.py: polynomial features with torch.cat, x.mm(W), smooth_l1_loss, manual
    updates through param.data.add_, '{:+.2f}'.format on 0-d tensors."""
    F = torch.nn.functional
    W_target = torch.from_numpy(data["W"])
    b_target = torch.from_numpy(data["b"])

    def make_features(x):
        x = x.unsqueeze(1)
        return torch.cat([x ** i for i in range(1, 5)], 1)

    def poly_desc(W, b):
        result = "y = "
        for i, w in enumerate(W):
            result += "{:+.2f} x^{} ".format(w, i + 1)
        return result + "{:+.2f}".format(b[0])

    fc = torch.nn.Linear(W_target.size(0), 1)
    init(fc)
    losses = []
    for batch_idx in range(batches):
        batch_x = make_features(torch.from_numpy(data["x"][batch_idx]))
        batch_y = batch_x.mm(W_target) + b_target.item()
        fc.zero_grad()
        output = F.smooth_l1_loss(fc(batch_x), batch_y)
        losses.append(output.item())
        output.backward()
        for param in fc.parameters():
            param.data.add_(-0.1 * param.grad)
    return {"losses": losses, "desc": poly_desc(fc.weight.view(-1), fc.bias)}


def test_regression():
    rng = np.random.default_rng(0)
    data = {"W": (rng.standard_normal((4, 1)) * 0.5).astype(np.float32),
            "b": rng.standard_normal(1).astype(np.float32),
            "x": (rng.standard_normal((60, 32)) * 0.7).astype(np.float32)}
    ours, theirs = run_both(regression, data)
    assert ours["losses"][-1] < ours["losses"][0] and ours["desc"].startswith("y = ")
    assert_close(ours, theirs, rtol=1e-4, atol=1e-6, keys=["losses"])


def forward_forward(torch, init, data, epochs=20):
    """mnist_forward_forward/main.py: a Linear subclass that overrides train(), overlay with
    x_[:, :10] *= 0.0 and x_[range(n), y] = x.max(), x.norm(2, 1, keepdim=True), self.weight.T,
    log1p(exp(...)), sum() of a list of tensors."""
    nn = torch.nn

    def overlay_y_on_x(x, y, classes=10):
        x_ = x.clone()
        x_[:, :classes] *= 0.0
        x_[range(x.shape[0]), y] = x.max()
        return x_

    class Layer(nn.Linear):
        def __init__(self, in_features, out_features):
            super().__init__(in_features, out_features)
            self.relu = torch.nn.ReLU()
            self.opt = torch.optim.Adam(self.parameters(), lr=0.03)
            self.losses = []

        def forward(self, x):
            x_direction = x / (x.norm(2, 1, keepdim=True) + 1e-4)
            return self.relu(torch.mm(x_direction, self.weight.T) + self.bias.unsqueeze(0))

        def train(self, x_pos, x_neg):
            for i in range(epochs):
                g_pos = self.forward(x_pos).pow(2).mean(1)
                g_neg = self.forward(x_neg).pow(2).mean(1)
                loss = torch.log1p(torch.exp(torch.cat([-g_pos + 2.0, g_neg - 2.0]))).mean()
                self.opt.zero_grad()
                loss.backward()
                self.opt.step()
                self.losses.append(loss.item())
            return self.forward(x_pos).detach(), self.forward(x_neg).detach()

    layers = [Layer(32, 24), Layer(24, 24)]
    for layer in layers:
        init(layer)
    x, y = torch.from_numpy(data["x"]), torch.from_numpy(data["y"])
    h_pos, h_neg = overlay_y_on_x(x, y), overlay_y_on_x(x, (y + 1) % 10)
    for layer in layers:
        h_pos, h_neg = layer.train(h_pos, h_neg)
    goodness_per_label = []
    for label in range(10):
        h, goodness = overlay_y_on_x(x, label), []
        for layer in layers:
            h = layer(h)
            goodness = goodness + [h.pow(2).mean(1)]
        goodness_per_label += [sum(goodness).unsqueeze(1)]
    error = 1.0 - torch.cat(goodness_per_label, 1).argmax(1).eq(y).float().mean().item()
    return {"losses": layers[0].losses + layers[1].losses, "error": error}


def test_forward_forward():
    rng = np.random.default_rng(0)
    data = {"x": rng.standard_normal((40, 32)).astype(np.float32),
            "y": rng.integers(0, 10, 40).astype(np.int64)}
    ours, theirs = run_both(forward_forward, data)
    assert ours["losses"][19] < ours["losses"][0]
    assert_close(ours, theirs, rtol=1e-3, atol=1e-5)




def super_resolution(torch, init, data, steps=4):
    """super_resolution's Net: orthogonal_ initialisation with calculate_gain, PixelShuffle, MSE
    and PSNR with math.log10."""
    nn, init_ = torch.nn, torch.nn.init

    class Net(nn.Module):
        def __init__(self, upscale_factor):
            super(Net, self).__init__()
            self.relu = nn.ReLU()
            self.conv1 = nn.Conv2d(1, 8, (5, 5), (1, 1), (2, 2))
            self.conv2 = nn.Conv2d(8, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
            self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
            init_.orthogonal_(self.conv1.weight, init_.calculate_gain("relu"))
            init_.orthogonal_(self.conv2.weight)

        def forward(self, x):
            return self.pixel_shuffle(self.conv2(self.relu(self.conv1(x))))

    model = Net(upscale_factor=2)
    init(model)
    criterion = nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    small, big = torch.from_numpy(data["small"]), torch.from_numpy(data["big"])
    psnr = []
    for step in range(steps):
        optimizer.zero_grad()
        loss = criterion(model(small), big)
        loss.backward()
        optimizer.step()
        psnr.append(10 * math.log10(1 / loss.item()))
    return {"psnr": psnr, "shape": list(model(small).shape)}


def test_super_resolution():
    rng = np.random.default_rng(0)
    big = rng.random((2, 1, 12, 12)).astype(np.float32)
    small = big.reshape(2, 1, 6, 2, 6, 2).mean(axis=(3, 5))
    ours, theirs = run_both(super_resolution, {"small": small, "big": big})
    assert ours["shape"] == [2, 1, 12, 12] and ours["psnr"][-1] > ours["psnr"][0]
    assert_close(ours, theirs, rtol=1e-4, atol=1e-5)


def data_and_schedules(torch, init, data):
    """random_split with a seeded Generator, Subset, a DataLoader with drop_last and a collate_fn,
    and the learning-rate schedules people chain (MultiStepLR, CosineAnnealingLR, OneCycleLR,
    ExponentialLR, ReduceLROnPlateau)."""
    utils = torch.utils.data
    dataset = utils.TensorDataset(torch.arange(20).float(), torch.arange(20) % 3)
    train_set, val_set = utils.random_split(dataset, [0.75, 0.25],
                                            generator=torch.Generator().manual_seed(42))
    seen = sorted([int(train_set[i][0]) for i in range(len(train_set))]
                  + [int(val_set[i][0]) for i in range(len(val_set))])

    def collate(batch):
        xs, ys = zip(*batch)
        return torch.stack(xs), torch.tensor([int(v) for v in ys])

    loader = utils.DataLoader(utils.Subset(dataset, list(range(10))), batch_size=4,
                              drop_last=True, collate_fn=collate)
    batches = [xb.tolist() for xb, _ in loader]
    param = torch.nn.Parameter(torch.zeros(2))
    schedules = {}
    for name, make in [
            ("multistep", lambda o: torch.optim.lr_scheduler.MultiStepLR(o, [3, 6], gamma=0.1)),
            ("cosine", lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=8)),
            ("onecycle", lambda o: torch.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=10)),
            ("exponential", lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.9))]:
        optimizer = torch.optim.SGD([param], lr=0.5, momentum=0.9)
        scheduler = make(optimizer)
        lrs = []
        for epoch in range(8):
            optimizer.step()
            scheduler.step()
            lrs.append(optimizer.param_groups[0]["lr"])
        schedules[name] = lrs
    optimizer = torch.optim.Adam([param], lr=0.1)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", patience=1)
    for val_loss in [1.0, 0.9, 0.95, 0.97, 0.99, 0.5]:
        plateau.step(val_loss)
    schedules["plateau"] = [optimizer.param_groups[0]["lr"]]
    return {"sizes": [len(train_set), len(val_set)], "seen": seen, "batches": batches,
            **schedules}


def test_data_and_schedules():
    ours, theirs = run_both(data_and_schedules)
    assert ours["seen"] == list(range(20))  # a partition, whatever the random order
    assert ours["sizes"] == [15, 5] and len(ours["batches"]) == 2
    assert_close(ours, theirs, rtol=1e-6, atol=1e-9,
                 keys=["sizes", "batches", "multistep", "cosine", "onecycle", "exponential",
                       "plateau"])


def checkpoint_resume(torch, init, data, path=None):
    """torch.save({'model': ..., 'optimizer': ...}) mid-training, a fresh model and optimizer
    loading both state dicts, and training on: the same as training straight through."""
    nn, F = torch.nn, torch.nn.functional

    def make():
        model = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 2))
        return model, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)

    def steps(model, optimizer, n):
        out = []
        for _ in range(n):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            out.append(loss.item())
        return out

    x, y = torch.from_numpy(data["x"]), torch.from_numpy(data["y"])
    model, optimizer = make()
    init(model)
    initial = copy.deepcopy(model.state_dict())
    straight = steps(model, optimizer, 6)
    model, optimizer = make()
    model.load_state_dict(initial)
    first = steps(model, optimizer, 3)
    file = f"{path}/{torch.__name__}-checkpoint.pt"
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3}, file)
    checkpoint = torch.load(file)
    model, optimizer = make()
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    resumed = first + steps(model, optimizer, 3)
    return {"straight": straight, "resumed": resumed, "epoch": checkpoint["epoch"]}


def test_checkpoint_resume(tmp_path):
    rng = np.random.default_rng(0)
    data = {"x": rng.standard_normal((16, 6)).astype(np.float32),
            "y": rng.integers(0, 2, 16).astype(np.int64)}
    ours, theirs = run_both(checkpoint_resume, data, path=tmp_path)
    np.testing.assert_allclose(ours["resumed"], ours["straight"], rtol=1e-6)
    assert_close(ours, theirs, rtol=1e-4, atol=1e-6)


def whole_model_save(torch, init, data, path=None):
    """torch.save(model) and torch.load under torch.serialization.safe_globals, the classes named
    by their nn.modules paths as pytorch/examples' word_language_model names them."""
    nn = torch.nn
    model = nn.Sequential(nn.Linear(8, 8), nn.ReLU(),
                          nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0))
    init(model)
    model.eval()
    file = f"{path}/{torch.__name__}-whole.pt"
    torch.save(model, file)
    refused = False
    try:
        torch.load(file)
    except Exception:
        refused = True
    allowed = [nn.modules.container.Sequential, nn.modules.linear.Linear,
               nn.modules.activation.ReLU, nn.modules.activation.MultiheadAttention,
               nn.modules.linear.NonDynamicallyQuantizableLinear,
               nn.modules.normalization.LayerNorm, nn.modules.dropout.Dropout,
               nn.modules.transformer.TransformerEncoderLayer, torch.nn.functional.relu]
    with torch.serialization.safe_globals(allowed):
        again = torch.load(file)
    x = torch.from_numpy(data["x"])
    with torch.no_grad():
        return {"refused": refused, "same": (again(x) - model(x)).abs().max().item(),
                "out": again(x).sum().item()}


def test_whole_model_save(tmp_path):
    data = {"x": np.random.default_rng(0).standard_normal((3, 2, 8)).astype(np.float32)}
    ours, theirs = run_both(whole_model_save, data, path=tmp_path)
    assert ours["refused"] and ours["same"] == 0.0
    assert_close(ours, theirs, rtol=1e-4, atol=1e-5)


def freeze_and_hooks(torch, init, data):
    """Fine-tuning idioms: requires_grad_(False) on a backbone, an optimizer over
    filter(lambda p: p.requires_grad, ...), a forward hook collecting activations, counting
    trainable parameters, parameters_to_vector."""
    nn, F = torch.nn, torch.nn.functional
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
    init(model)
    model[0].requires_grad_(False)
    activations = []
    handle = model[1].register_forward_hook(lambda m, i, o: activations.append(o.detach().sum()))
    optimizer = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.5)
    x, y = torch.from_numpy(data["x"]), torch.from_numpy(data["y"])
    before = model[0].weight.clone()
    for _ in range(3):
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    handle.remove()
    model(x)
    return {"trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
            "frozen_moved": (model[0].weight - before).abs().sum().item(),
            "hooked": [a.item() for a in activations],
            "vector": torch.nn.utils.parameters_to_vector(model.parameters()).sum().item(),
            "names": [n for n, p in model.named_parameters() if not p.requires_grad]}


def test_freeze_and_hooks():
    rng = np.random.default_rng(0)
    data = {"x": rng.standard_normal((16, 6)).astype(np.float32),
            "y": rng.integers(0, 3, 16).astype(np.int64)}
    ours, theirs = run_both(freeze_and_hooks, data)
    assert ours["trainable"] == 27 and ours["frozen_moved"] == 0.0 and len(ours["hooked"]) == 3
    assert ours["names"] == ["0.weight", "0.bias"]
    assert_close(ours, theirs, rtol=1e-4, atol=1e-5, keys=["trainable", "hooked", "vector"])
