"""FGSM accuracy curve of a trained ``mnist-cnn`` run, attacked by graphgrad and by PyTorch on the
same weights and the same test images (issue 8's check that the attack, not the model, sets the
curve). Both frameworks compute the input gradient of the cross-entropy, step eps (pixel units)
along its sign and clamp to the valid pixel range; the two accuracy columns should agree to a
few images (a sign can flip where a gradient entry is within rounding of zero). Run:

    python benchmarks/fgsm_vs_torch.py runs/mnist-cnn-YYYYMMDD-HHMMSS [--limit 1000]
"""
from __future__ import annotations

import argparse


from graphgrad.attacks import fgsm
from graphgrad.recipes.adversarial import _predict
from graphgrad.recipes.inspect import dataset_arrays, pixel_bounds
from graphgrad.recipes.runs import _load_trained
from graphgrad.recipes.vision_data import MNIST_STD

EPS = [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3]


def torch_simple_cnn(torch, model):
    """A PyTorch copy of graphgrad's SimpleCNN with the same state_dict keys and weights."""
    tnn = torch.nn
    c1, c2 = model.features[0].out_channels, model.features[3].out_channels
    hidden = model.classifier[1].out_features
    side = int(round((model.classifier[1].in_features / c2) ** 0.5))
    copy = tnn.Module()
    copy.features = tnn.Sequential(
        tnn.Conv2d(model.features[0].in_channels, c1, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(c1, c2, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2))
    copy.classifier = tnn.Sequential(tnn.Flatten(), tnn.Linear(c2 * side * side, hidden), tnn.ReLU(),
                                     tnn.Identity(), tnn.Linear(hidden, model.classifier[4].out_features))
    copy.forward = lambda x: copy.classifier(copy.features(x))
    copy.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in model.state_dict().items()})
    return copy.eval()


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", help="a finished mnist-cnn run folder (SimpleCNN)")
    parser.add_argument("--limit", type=int, default=1000, help="test images (fixed random subset)")
    args = parser.parse_args()
    _, config, model, data = _load_trained(args.run_dir)
    if config.get("model") != "simple_cnn":
        raise SystemExit(f"{args.run_dir}: expected a simple_cnn run, got model {config.get('model')!r}")
    x, y = dataset_arrays(data.test, args.limit)
    lo, hi = pixel_bounds()
    scale = 1.0 / MNIST_STD[0]  # pixel units -> normalised units
    tmodel = torch_simple_cnn(torch, model)
    tx = torch.tensor(x, requires_grad=True)
    torch.nn.functional.cross_entropy(tmodel(tx), torch.tensor(y), reduction="sum").backward()
    print(f"{args.run_dir}: {len(x)} test images; FGSM accuracy by eps (pixel units)")
    print(f"{'eps':>5} {'graphgrad':>10} {'pytorch':>10}")
    for e in EPS:
        ours = fgsm(model, x, y, e * scale, clamp=(lo, hi)).numpy()
        with torch.no_grad():
            theirs = (tx + e * scale * tx.grad.sign()).clamp(lo, hi)
            acc_torch = float((tmodel(theirs).argmax(1).numpy() == y).mean())
        acc_ours = float((_predict(model, ours) == y).mean())
        print(f"{e:>5g} {100 * acc_ours:>9.1f}% {100 * acc_torch:>9.1f}%")


if __name__ == "__main__":
    main()
