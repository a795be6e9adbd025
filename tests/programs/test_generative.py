"""Generative programs in the style of pytorch/examples' vae and dcgan, run on graphgrad and
PyTorch from the same initial weights."""
import numpy as np

from harness import assert_close, run_both


def vae(torch, init, data, epochs=3):
    """vae/main.py in miniature: reparameterisation with torch.randn_like, BCE summed plus the KL
    term, Adam, then the test loss with the mean code (eval mode)."""
    nn, F = torch.nn, torch.nn.functional

    class VAE(nn.Module):
        def __init__(self):
            super(VAE, self).__init__()
            self.fc1 = nn.Linear(64, 32)
            self.fc21 = nn.Linear(32, 4)
            self.fc22 = nn.Linear(32, 4)
            self.fc3 = nn.Linear(4, 32)
            self.fc4 = nn.Linear(32, 64)

        def encode(self, x):
            h1 = F.relu(self.fc1(x))
            return self.fc21(h1), self.fc22(h1)

        def reparameterize(self, mu, logvar):
            if not self.training:
                return mu
            std = torch.exp(0.5 * logvar)
            eps = torch.randn_like(std)
            return mu + eps * std

        def decode(self, z):
            return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

        def forward(self, x):
            mu, logvar = self.encode(x.view(-1, 64))
            return self.decode(self.reparameterize(mu, logvar)), mu, logvar

    def loss_function(recon_x, x, mu, logvar):
        BCE = F.binary_cross_entropy(recon_x, x.view(-1, 64), reduction="sum")
        KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return BCE + KLD

    model = VAE()
    init(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    x = torch.from_numpy(data["x"])
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x), batch_size=32)
    train_losses = []
    for epoch in range(epochs):
        model.train()
        train_loss = 0
        for (batch,) in loader:
            optimizer.zero_grad()
            recon, mu, logvar = model(batch)
            loss = loss_function(recon, batch, mu, logvar)
            loss.backward()
            train_loss += loss.item()
            optimizer.step()
        train_losses.append(train_loss / len(loader.dataset))
    model.eval()
    with torch.no_grad():
        recon, mu, logvar = model(x)
        test_loss = loss_function(recon, x, mu, logvar).item() / len(x)
        sample = model.decode(torch.randn(8, 4))
    return {"train_losses": train_losses, "test_loss": test_loss,
            "sample_shape": list(sample.view(8, 1, 8, 8).shape)}


def test_vae():
    rng = np.random.default_rng(0)
    pictures = (rng.random((96, 1, 8, 8)) < rng.random((1, 1, 8, 8))).astype(np.float32)
    ours, theirs = run_both(vae, {"x": pictures})
    assert ours["train_losses"][-1] < ours["train_losses"][0]
    # different random streams give different noise in training: equal within that noise
    assert_close(ours, theirs, rtol=0.05, atol=0.0)


def dcgan(torch, init, data, steps=3):
    """dcgan/main.py in miniature: weights_init by class name, ConvTranspose2d generator,
    BCELoss with torch.full labels and label.fill_, fake.detach(), two Adam optimisers."""
    nn = torch.nn
    nz, ngf, ndf, nc = 8, 8, 8, 1

    def weights_init(m):
        classname = m.__class__.__name__
        if classname.find("Conv") != -1:
            torch.nn.init.normal_(m.weight, 0.0, 0.02)
        elif classname.find("BatchNorm") != -1:
            torch.nn.init.normal_(m.weight, 1.0, 0.02)
            torch.nn.init.zeros_(m.bias)

    class Generator(nn.Module):
        def __init__(self):
            super(Generator, self).__init__()
            self.main = nn.Sequential(
                nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 2),
                nn.ReLU(True),
                nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf),
                nn.ReLU(True),
                nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())

        def forward(self, input):
            return self.main(input)

    class Discriminator(nn.Module):
        def __init__(self):
            super(Discriminator, self).__init__()
            self.main = nn.Sequential(
                nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False), nn.Sigmoid())

        def forward(self, input):
            return self.main(input).view(-1, 1).squeeze(1)

    netG = Generator()
    netG.apply(weights_init)
    init(netG)
    netD = Discriminator()
    netD.apply(weights_init)
    init(netD)
    criterion = nn.BCELoss()
    optimizerD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optimizerG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real_label, fake_label = 1, 0
    record = {"errD": [], "errG": [], "D_x": []}
    for i in range(steps):
        real_cpu = torch.from_numpy(data["real"][i])
        batch_size = real_cpu.size(0)
        netD.zero_grad()
        label = torch.full((batch_size,), real_label, dtype=real_cpu.dtype)
        output = netD(real_cpu)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()
        noise = torch.from_numpy(data["noise"][i])
        fake = netG(noise)
        label.fill_(fake_label)
        output = netD(fake.detach())
        errD_fake = criterion(output, label)
        errD_fake.backward()
        errD = errD_real + errD_fake
        optimizerD.step()
        netG.zero_grad()
        label.fill_(real_label)
        output = netD(fake)
        errG = criterion(output, label)
        errG.backward()
        optimizerG.step()
        record["errD"].append(errD.item())
        record["errG"].append(errG.item())
        record["D_x"].append(D_x)
    print("[%d/%d] Loss_D: %.4f Loss_G: %.4f D(x): %.4f" % (i, steps, errD.item(), errG.item(), D_x))
    return record


def test_dcgan_steps():
    rng = np.random.default_rng(0)
    data = {"real": np.tanh(rng.standard_normal((3, 8, 1, 16, 16))).astype(np.float32),
            "noise": rng.standard_normal((3, 8, 8, 1, 1)).astype(np.float32)}
    ours, theirs = run_both(dcgan, data)
    assert_close(ours, theirs, rtol=1e-3, atol=1e-5)
