"""The training and inference steps that ``compare.py`` times, written once as PyTorch user code.

Each workload is a function ``build(torch, tiny) -> Workload``: ``torch`` is the library the user
imported (``import torch`` or ``import graphgrad as torch``), so one text serves both contenders and
uses nothing but the public PyTorch API. ``tiny`` shrinks every size for the test suite.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass
class Workload:
    step: Callable  # one training (or inference) step; returns the loss, or the output
    items: int  # items per step (images, characters, ops)
    unit: str  # what items are, for the table: "images/s", "chars/s", ...
    about: str  # one line for the table's notes


def _classifier_step(F, model, opt, x, y):
    """One step of a classifier: cross-entropy, backward, optimizer; returns the loss."""
    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def mlp(torch, tiny):
    """Flatten-Linear(784,512)-ReLU-Linear(512,10), cross-entropy, SGD, batch 64."""
    nn, F = torch.nn, torch.nn.functional
    batch = 8 if tiny else 64
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.rand(batch, 1, 28, 28), torch.randint(0, 10, (batch,))
    return Workload(_classifier_step(F, model, opt, x, y), batch, "images/s",
                    f"MLP 784-512-10, SGD, batch {batch}")


def mnist_cnn(nn):
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))


CNN = "Conv(1,32,3)-Pool-Conv(32,64,3)-Pool-FC128-FC10"


def cnn_train(torch, tiny):
    """PERF.md's CNN, cross-entropy, SGD, batch 64."""
    batch = 8 if tiny else 64
    model = mnist_cnn(torch.nn)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.rand(batch, 1, 28, 28), torch.randint(0, 10, (batch,))
    return Workload(_classifier_step(torch.nn.functional, model, opt, x, y), batch, "images/s",
                    f"{CNN} training, SGD, batch {batch}")


def cnn_infer(torch, tiny):
    """The same CNN, forward only under no_grad, batch 256."""
    batch = 8 if tiny else 256
    model = mnist_cnn(torch.nn).eval()
    x = torch.rand(batch, 1, 28, 28)

    def step():
        with torch.no_grad():
            return model(x)
    return Workload(step, batch, "images/s", f"the same CNN, inference, batch {batch}")


def _char_rnn(torch, tiny, cell):
    nn = torch.nn
    vocab, embed, hidden = 65, 64, (16 if tiny else 256)
    batch, seq = (4, 8) if tiny else (32, 64)

    class CharRNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(vocab, embed)
            self.rnn = getattr(nn, cell)(embed, hidden)
            self.out = nn.Linear(hidden, vocab)

        def forward(self, x):
            h, _ = self.rnn(self.emb(x))
            return self.out(h)

    model = CharRNN()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    x, y = torch.randint(0, vocab, (seq, batch)), torch.randint(0, vocab, (seq * batch,))

    def step():
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x).reshape(-1, vocab), y)
        loss.backward()
        opt.step()
        return loss
    about = f"Embedding({vocab},{embed})-{cell}({embed},{hidden})-Linear, batch {batch} x seq {seq}, Adam"
    return Workload(step, batch * seq, "chars/s", about)


def char_lstm(torch, tiny):
    return _char_rnn(torch, tiny, "LSTM")


def char_gru(torch, tiny):
    return _char_rnn(torch, tiny, "GRU")


def dcgan_nets(nn, nz=32, ngf=64, ndf=64):
    """pytorch/examples' DCGAN laid out for 28x28 images: a 7x7 kernel from the 1x1 latent, two 4x4
    stride-2 transposed convolutions; the discriminator mirrors it and ends in a 7x7 convolution."""
    g = nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 2, 7, 1, 0, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
        nn.ConvTranspose2d(ngf, 1, 4, 2, 1, bias=False), nn.Tanh())
    d = nn.Sequential(
        nn.Conv2d(1, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 2, 1, 7, 1, 0, bias=False), nn.Sigmoid())
    return g, d


def dcgan(torch, tiny):
    """One DCGAN step as pytorch/examples writes it: D on a real and a fake batch, then G; Adam."""
    nn = torch.nn
    batch, nz = (4, 8) if tiny else (64, 32)
    g, d = dcgan_nets(nn, nz, *((8, 8) if tiny else (64, 64)))
    criterion = nn.BCELoss()
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = torch.rand(batch, 1, 28, 28) * 2 - 1
    noise = torch.randn(batch, nz, 1, 1)
    label = torch.full((batch,), 1.0)

    def step():
        d.zero_grad()
        label.fill_(1.0)
        err_real = criterion(d(real).view(-1), label)
        err_real.backward()
        fake = g(noise)
        label.fill_(0.0)
        err_fake = criterion(d(fake.detach()).view(-1), label)
        err_fake.backward()
        opt_d.step()
        g.zero_grad()
        label.fill_(1.0)
        err_g = criterion(d(fake).view(-1), label)
        err_g.backward()
        opt_g.step()
        return err_g
    return Workload(step, batch, "images/s", f"DCGAN 28x28 (nz {nz}), D and G step, Adam, batch {batch}")


def resnet20(torch, tiny):
    """ResNet-20 for 32x32 images (3 stages of 3 basic blocks, 16/32/64 channels), SGD with momentum
    and weight decay, batch 128."""
    nn, F = torch.nn, torch.nn.functional
    batch, width = (4, 4) if tiny else (128, 16)

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.shortcut = nn.Sequential()
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                              nn.BatchNorm2d(cout))

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return F.relu(out + self.shortcut(x))

    class ResNet20(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, width, 3, 1, 1, bias=False)
            self.bn = nn.BatchNorm2d(width)
            layers, cin = [], width
            for i, cout in enumerate((width, 2 * width, 4 * width)):
                for j in range(3):
                    layers.append(Block(cin, cout, 2 if (i > 0 and j == 0) else 1))
                    cin = cout
            self.layers = nn.Sequential(*layers)
            self.fc = nn.Linear(cin, 10)

        def forward(self, x):
            out = self.layers(F.relu(self.bn(self.conv(x))))
            out = F.adaptive_avg_pool2d(out, 1).flatten(1)
            return self.fc(out)

    model = ResNet20()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    x, y = torch.randn(batch, 3, 32, 32), torch.randint(0, 10, (batch,))
    return Workload(_classifier_step(F, model, opt, x, y), batch, "images/s",
                    f"ResNet-20 (CIFAR, 32x32), SGD momentum, batch {batch}")


def op_overhead(torch, tiny):
    """A chain of 100 small elementwise ops on 16 values, forward and backward: the per-op cost."""
    x = torch.randn(16, requires_grad=True)
    w = torch.randn(16)

    def step():
        y = x
        for _ in range(25):  # 4 ops each: mul, add, tanh, mul by a tensor
            y = (y * 0.9 + 0.1).tanh() * w
        y.sum().backward()
        x.grad = None
        return y
    return Workload(step, 100, "ops/s", "100 elementwise ops on 16 values, forward + backward")


WORKLOADS = {
    "mlp": mlp, "cnn-train": cnn_train, "cnn-infer": cnn_infer, "char-lstm": char_lstm,
    "gru": char_gru, "dcgan": dcgan, "resnet20": resnet20, "op-overhead": op_overhead,
}
