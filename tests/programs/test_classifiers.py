"""Classifier programs in the style of pytorch/examples' mnist, mnist_rnn and siamese_network,
each run on graphgrad and PyTorch from the same initial weights."""
import pytest

from harness import assert_close, images, run_both


def mnist_cnn(torch, init, data, epochs=2):
    """mnist/main.py in miniature: Adadelta, StepLR, model.apply(init_fn), @torch.no_grad()."""
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim

    class Net(nn.Module):
        def __init__(self):
            super(Net, self).__init__()
            self.conv1 = nn.Conv2d(1, 8, 3, 1)
            self.conv2 = nn.Conv2d(8, 16, 3, 1)
            self.dropout1 = nn.Dropout(0.0)
            self.fc1 = nn.Linear(16 * 2 * 2, 32)
            self.fc2 = nn.Linear(32, 3)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            return F.log_softmax(self.fc2(x), dim=1)

    def init_fn(m):
        if isinstance(m, nn.Linear):
            torch.nn.init.xavier_uniform_(m.weight)
            m.bias.data.fill_(0.01)

    @torch.no_grad()
    def test(model, loader):
        model.eval()
        test_loss, correct = 0, 0
        for data, target in loader:
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
        return test_loss / len(loader.dataset), correct

    model = Net()
    model.apply(init_fn)
    init(model)
    x, y = torch.from_numpy(data["x"]), torch.from_numpy(data["y"])
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16)
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    printed, lrs = [], []
    for epoch in range(1, epochs + 1):
        model.train()
        for batch_idx, (inputs, target) in enumerate(loader):
            optimizer.zero_grad()
            loss = F.nll_loss(model(inputs), target)
            loss.backward()
            optimizer.step()
            printed.append(f"{loss.item():.4f}")
        lrs.append(optimizer.param_groups[0]["lr"])
        scheduler.step()
    test_loss, correct = test(model, loader)
    assert torch.is_grad_enabled()  # the decorator restored grad mode
    return {"losses": [float(s) for s in printed], "lrs": lrs, "test_loss": test_loss,
            "correct": correct, "params": sum(p.numel() for p in model.parameters())}


def test_mnist_cnn():
    ours, theirs = run_both(mnist_cnn, images(64, size=8))
    assert ours["losses"][-1] < ours["losses"][0]
    assert ours["lrs"] == [1.0, 0.7]
    assert_close(ours, theirs, rtol=2e-3, atol=2e-4)


def mnist_rnn(torch, init, data, steps=12):
    """mnist_rnn/main.py: an LSTM over image rows (batch_first), BatchNorm1d, Dropout2d on a 2-D
    input, Adam with weight decay and gradient clipping."""
    nn, F = torch.nn, torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(input_size=8, hidden_size=16, batch_first=True)
            self.batchnorm = nn.BatchNorm1d(16)
            self.dropout1 = nn.Dropout2d(0.0)
            self.fc1 = nn.Linear(16, 3)

        def forward(self, input):
            input = input.reshape(-1, 8, 8)
            output, hidden = self.rnn(input)
            output = output[:, -1, :]
            output = self.dropout1(self.batchnorm(output))
            return F.log_softmax(self.fc1(output), dim=1)

    model = Net()
    init(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-4)
    x, y = torch.from_numpy(data["x"]), torch.from_numpy(data["y"])
    losses = []
    for step in range(steps):
        batch = slice((step % 4) * 16, (step % 4) * 16 + 16)
        optimizer.zero_grad()
        loss = F.nll_loss(model(x[batch]), y[batch])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        accuracy = (model(x).argmax(1) == y).float().mean().item()
    return {"losses": losses, "accuracy": accuracy,
            "running_mean": model.batchnorm.running_mean.tolist()}


@pytest.mark.filterwarnings("ignore:dropout2d. Received a 2-D input")  # as the example does
def test_mnist_rnn():
    ours, theirs = run_both(mnist_rnn, images(64, size=8))
    assert ours["losses"][-1] < ours["losses"][0]
    assert_close(ours, theirs, rtol=2e-3, atol=2e-4)


def siamese(torch, init, data, steps=6):
    """siamese_network/main.py: a backbone cut with nn.Sequential(*list(children())[:-1]), two
    branches concatenated, BCELoss on a sigmoid, torch.where predictions."""
    nn = torch.nn

    class Backbone(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 8, kernel_size=3, stride=2, padding=1, bias=False)
            self.bn = nn.BatchNorm2d(8)
            self.relu = nn.ReLU(inplace=True)
            self.pool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(8, 10)

        def forward(self, x):
            return self.fc(torch.flatten(self.pool(self.relu(self.bn(self.conv(x)))), 1))

    class SiameseNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            backbone = Backbone()
            self.fc_in_features = backbone.fc.in_features
            self.resnet = torch.nn.Sequential(*(list(backbone.children())[:-1]))
            self.fc = nn.Sequential(nn.Linear(self.fc_in_features * 2, 16), nn.ReLU(inplace=True),
                                    nn.Linear(16, 1))
            self.sigmoid = nn.Sigmoid()

        def forward_once(self, x):
            output = self.resnet(x)
            return output.view(output.size()[0], -1)

        def forward(self, input1, input2):
            output = torch.cat((self.forward_once(input1), self.forward_once(input2)), 1)
            return self.sigmoid(self.fc(output))

    model = SiameseNetwork()
    init(model)
    x, y = torch.from_numpy(data["x"]), torch.from_numpy(data["y"])
    first, second = x[0::2], x[1::2]
    targets = (y[0::2] == y[1::2]).float()
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
    criterion = nn.BCELoss()
    losses = []
    for step in range(steps):
        optimizer.zero_grad()
        outputs = model(first, second).squeeze()
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        outputs = model(first, second).squeeze()
        pred = torch.where(outputs > 0.5, 1, 0)
        correct = pred.eq(targets.view_as(pred)).sum().item()
    return {"losses": losses, "correct": correct}


def test_siamese():
    ours, theirs = run_both(siamese, images(64, size=8))
    assert_close(ours, theirs, rtol=2e-3, atol=2e-4)
