"""PyTorch code runs with ``import graphgrad as torch`` as its only change: one script, written
for PyTorch, executed against both libraries from the same initial weights; the losses agree."""
import numpy as np
import pytest

SCRIPT = '''
import LIB as torch
import LIB.nn as nn
import LIB.nn.functional as F
from LIB.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, kernel_size=3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.fc1 = nn.Linear(4 * 4 * 4, 16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn(self.conv(x))), 2)
        x = torch.flatten(x, 1)
        x = F.dropout(F.relu(self.fc1(x)), p=0.0, training=self.training)
        return self.fc2(x)


def train(weights, x, y):
    model = Net()
    model.load_state_dict({k: torch.tensor(v) for k, v in weights.items()})
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=8)
    losses = []
    for epoch in range(4):
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb, label_smoothing=0.1)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            losses.append(loss.item())
        sched.step()
    model.eval()
    with torch.no_grad():
        probs = model(torch.from_numpy(x)).softmax(dim=1)
        acc = (probs.argmax(dim=1) == torch.from_numpy(y)).float().mean().item()
    return losses, acc
'''


def _run(library: str):
    """Execute the script with its imports naming ``library`` (the only change a port makes)."""
    namespace = {}
    exec(SCRIPT.replace("LIB", library), namespace)
    return namespace


def test_same_script_same_losses():
    pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 3, 32).astype(np.int64)
    reference = _run("torch")
    weights = {k: v.detach().numpy().copy() for k, v in reference["Net"]().state_dict().items()}
    torch_losses, torch_acc = reference["train"](weights, x, y)
    gg_losses, gg_acc = _run("graphgrad")["train"](weights, x, y)
    np.testing.assert_allclose(gg_losses, torch_losses, rtol=1e-4, atol=1e-5)
    assert gg_acc == pytest.approx(torch_acc)
    assert gg_losses[-1] < gg_losses[0]


def test_top_level_namespace_holds_no_internal_modules():
    """``graphgrad.<name>`` is a PyTorch-style function or a subpackage, never an ops file
    (``graphgrad.conv``, ``graphgrad.pool`` would shadow nothing in PyTorch but mislead)."""
    import types

    import graphgrad

    leaked = [k for k, v in vars(graphgrad).items()
              if isinstance(v, types.ModuleType) and v.__name__.startswith("graphgrad.ops.")]
    assert not leaked, leaked
