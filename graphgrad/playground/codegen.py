""""Show code": the page's current settings written out as a graphgrad program that runs as is.

The program makes the same data (same seed), the same network (same initial weights), the same loss,
optimizer and batch order as the page, so trained for the page's number of epochs with settings left
unchanged it prints the losses the page shows."""
from __future__ import annotations

from .datasets import NUM_POINTS
from .network import ACTIVATION_MODULES, FEATURE_CODE

DEFAULT_EPOCHS = 200  # when the page has not trained yet


def _model_lines(num_inputs: int, hidden: list, activation: str) -> list:
    act = f"nn.{ACTIVATION_MODULES[activation].__name__}()"
    lines, width = [], num_inputs
    for neurons in hidden:
        lines.append(f"    nn.Linear({width}, {neurons}), {act},")
        width = neurons
    lines.append(f"    nn.Linear({width}, 1),")
    return lines


def _optimizer_lines(settings: dict) -> list:
    lr, rate = settings["learning_rate"], settings["regularization_rate"]
    if settings["regularization"] != "l2":
        return [f"optimizer = torch.optim.SGD(model.parameters(), lr={lr!r})"]
    return ["# L2 regularisation: weight decay on the weights (not the biases), as the playground does",
            'weights = [p for name, p in model.named_parameters() if name.endswith("weight")]',
            'biases = [p for name, p in model.named_parameters() if name.endswith("bias")]',
            f'optimizer = torch.optim.SGD([{{"params": weights, "weight_decay": {rate!r}}}, '
            f'{{"params": biases}}], lr={lr!r})']


def program(settings: dict, init_seed: int, epochs: int = 0) -> str:
    """The Python program for ``settings`` (the page's), initial weights from ``init_seed``, trained
    for ``epochs`` epochs (the page's counter; DEFAULT_EPOCHS when 0)."""
    s = settings
    classify = s["problem"] == "classification"
    epochs = epochs or DEFAULT_EPOCHS
    every = max(1, epochs // 10)
    names = ", ".join(s["features"])
    hidden = ", ".join(map(str, s["hidden"])) or "none"
    reg = "no regularisation" if s["regularization"] == "none" else \
        f"{s['regularization'].upper()} regularisation, rate {s['regularization_rate']!r}"
    target = "(torch.as_tensor(labels).reshape(-1, 1) > 0).float()" if classify else \
        "torch.as_tensor(labels).reshape(-1, 1)"
    l1 = s["regularization"] == "l1"
    lines = [
        f'"""The graphgrad playground as a program: data set {s["dataset"]} ({s["noise"]:g}% noise, '
        f'{s["train_percent"]:g}% for training),',
        f"features {names}; hidden layers: {hidden} ({s['activation']}); SGD, learning rate "
        f"{s['learning_rate']!r}, batch size {s['batch_size']};",
        f"{reg}.",
        'Run it with python: it prints the training and test loss as the page shows them."""',
        "import graphgrad as torch",
        "import graphgrad.nn as nn",
        "from graphgrad.playground import make_dataset",
        "from graphgrad.utils.data import DataLoader, TensorDataset",
        "",
        "# The page's points: the same data set, noise, split and seed.",
        "(points_train, labels_train), (points_test, labels_test) = make_dataset(",
        f'    "{s["dataset"]}", num_points={NUM_POINTS[s["problem"]]}, noise={s["noise"] / 100!r}, '
        f'train_fraction={s["train_percent"] / 100!r}, seed={s["seed"]})',
        "",
        "",
        "def features(points):",
        f'    """The input features of points (N, 2): {names}."""',
        "    points = torch.as_tensor(points)",
        "    x1, x2 = points[:, 0:1], points[:, 1:2]",
        f"    return torch.cat([{', '.join(FEATURE_CODE[n] for n in s['features'])}], dim=1)",
        "",
        "",
        "def targets(labels):",
        '    """Labels (N,) as the loss wants them: (N, 1)' +
        (', 0 or 1 (the data says -1 or +1)."""' if classify else '."""'),
        f"    return {target}",
        "",
        "",
        "x_train, y_train = features(points_train), targets(labels_train)",
        "x_test, y_test = features(points_test), targets(labels_test)",
        "",
        f"torch.manual_seed({init_seed})  # the page's initial weights",
        "model = nn.Sequential(",
        *_model_lines(len(s["features"]), s["hidden"], s["activation"]),
        ")",
        "loss_fn = nn.BCEWithLogitsLoss()  # the output is a logit" if classify else "loss_fn = nn.MSELoss()",
        *_optimizer_lines(s),
        f"loader = DataLoader(TensorDataset(x_train, y_train), batch_size={s['batch_size']}, shuffle=True,",
        f"                    generator=torch.Generator().manual_seed({init_seed}))  # the page's order",
        *(["weights = [p for name, p in model.named_parameters() if name.endswith(\"weight\")]",
           f"l1_rate = {s['regularization_rate']!r}"] if l1 else []),
        "",
        f"for epoch in range(1, {epochs + 1}):",
        "    model.train()",
        "    for x, y in loader:",
        "        loss = loss_fn(model(x), y)",
        *(["        loss = loss + l1_rate * sum(w.abs().sum() for w in weights)  # L1 regularisation"]
          if l1 else []),
        "        optimizer.zero_grad()",
        "        loss.backward()",
        "        optimizer.step()",
        f"    if epoch % {every} == 0 or epoch == {epochs}:",
        "        model.eval()",
        "        with torch.no_grad():",
        "            train_loss = loss_fn(model(x_train), y_train).item()",
        "            test_loss = loss_fn(model(x_test), y_test).item()",
        '        print(f"epoch {epoch}: training loss {train_loss:.3f}, test loss {test_loss:.3f}")',
    ]
    return "\n".join(lines) + "\n"
