"""The playground's network, loss, optimizer and training epoch, all graphgrad.

These functions are the steps of the program that "show code" prints
(``codegen.py``): a test runs that program and checks it reaches the page's loss."""
from __future__ import annotations

import graphgrad as torch
import graphgrad.nn as nn
from graphgrad.utils.data import DataLoader, TensorDataset

# Each input feature as a graphgrad expression of the columns x1, x2 (N, 1), and the same
# expression as the program text shows it; tests/playground checks that the two agree.
FEATURE_FUNCTIONS = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: torch.sin(x1),
    "sin(x2)": lambda x1, x2: torch.sin(x2),
}
FEATURE_CODE = {"x1": "x1", "x2": "x2", "x1^2": "x1 * x1", "x2^2": "x2 * x2", "x1*x2": "x1 * x2",
                "sin(x1)": "torch.sin(x1)", "sin(x2)": "torch.sin(x2)"}
ACTIVATION_MODULES = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "linear": nn.Identity}

def features(points, names):
    """The chosen input features of ``points`` (N, 2): a tensor (N, len(names))."""
    points = torch.as_tensor(points)
    x1, x2 = points[:, 0:1], points[:, 1:2]
    return torch.cat([FEATURE_FUNCTIONS[n](x1, x2) for n in names], dim=1)


def build_model(num_inputs: int, hidden: list, activation: str, seed: int) -> nn.Sequential:
    """Linear layers of ``hidden`` widths, each followed by ``activation``, then a Linear to one
    output (a logit for classification, the value for regression). Initialised from ``seed``."""
    torch.manual_seed(seed)  # nn.Linear draws from graphgrad's global generator
    layers, width = [], num_inputs
    for neurons in hidden:
        layers += [nn.Linear(width, neurons), ACTIVATION_MODULES[activation]()]
        width = neurons
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)


def targets(labels, problem: str):
    """Labels (N,) as the loss wants them, (N, 1): 0/1 for classification (labels are +-1)."""
    labels = torch.as_tensor(labels).reshape(-1, 1)
    return (labels > 0).float() if problem == "classification" else labels


def loss_function(problem: str) -> nn.Module:
    """Binary cross-entropy on the logit for classification, mean squared error for regression."""
    return nn.BCEWithLogitsLoss() if problem == "classification" else nn.MSELoss()


def weights_and_biases(model: nn.Module):
    """Two lists of parameters: the Linear layers' weights, and their biases. Regularisation
    applies to the weights only, as in the TensorFlow playground."""
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
    return weights, biases


def make_optimizer(model: nn.Module, settings: dict) -> torch.optim.SGD:
    """Plain SGD; L2 regularisation is the weights' ``weight_decay``."""
    weights, biases = weights_and_biases(model)
    return torch.optim.SGD([{"params": weights, "weight_decay": 0.0}, {"params": biases}],
                           lr=settings["learning_rate"])


def set_hyperparameters(optimizer: torch.optim.SGD, settings: dict) -> None:
    """Apply the learning rate and L2 rate to a running optimizer (they may change mid-training)."""
    for group in optimizer.param_groups:
        group["lr"] = settings["learning_rate"]
    l2 = settings["regularization"] == "l2"
    optimizer.param_groups[0]["weight_decay"] = settings["regularization_rate"] if l2 else 0.0


def make_loader(inputs, labels, batch_size: int, seed: int) -> DataLoader:
    """Shuffled mini-batches of the training data, in an order fixed by ``seed``."""
    return DataLoader(TensorDataset(inputs, labels), batch_size=batch_size, shuffle=True,
                      generator=torch.Generator().manual_seed(seed))


def train_epoch(model, loader, loss_fn, optimizer, l1_rate: float = 0.0) -> None:
    """One pass over the loader: a step of SGD per mini-batch; an L1 penalty on the weights when
    ``l1_rate`` > 0 (L2 is the optimizer's weight decay)."""
    weights, _ = weights_and_biases(model)
    model.train()
    for x, y in loader:
        loss = loss_fn(model(x), y)
        if l1_rate > 0:
            loss = loss + l1_rate * sum(w.abs().sum() for w in weights)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def evaluate(model, loss_fn, inputs, labels) -> float:
    """The data loss (no penalty) of ``model`` on all of ``inputs``."""
    model.eval()
    with torch.no_grad():
        return loss_fn(model(inputs), labels).item()
