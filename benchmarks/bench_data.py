"""Data pipeline throughput: images/s per transform, the MNIST augmentation batch, the DataLoader.

Per transform: one 28x28 uint8 MNIST digit (from the embedded MNISTSample) through the transform,
repeated. Then a batch of 64 digits through RandomRotation + RandomAffine + ToTensor +
RandomErasing, timed against one graphgrad training step of compare.py's CNN workload (batch 64)
measured in the same run: the augmentation should take well under the step. Last, a full epoch
of the 4,000 training digits through a DataLoader with that augmentation, with 0 and 2 workers.
Run:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_data.py
"""
from __future__ import annotations

import argparse
import time


import graphgrad
from graphgrad.utils.data import DataLoader
from graphgrad.vision import transforms as T
from graphgrad.vision.datasets import MNISTSample
from _common import blas_report, throughput
from workloads import cnn_train

PER_IMAGE = {
    "ToTensor": T.ToTensor(),
    "Normalize (after ToTensor)": T.Compose([T.ToTensor(), T.Normalize([0.1307], [0.3081])]),
    "Resize(32) bilinear": T.Resize(32),
    "CenterCrop(24)": T.CenterCrop(24),
    "Pad(2)": T.Pad(2),
    "RandomCrop(28, padding=4)": T.RandomCrop(28, padding=4),
    "RandomHorizontalFlip": T.RandomHorizontalFlip(),
    "RandomRotation(15)": T.RandomRotation(15),
    "RandomRotation(15, bilinear)": T.RandomRotation(15, interpolation="bilinear"),
    "RandomAffine(10, t=.1, s=.9-1.1, sh=5)": T.RandomAffine(10, (0.1, 0.1), (0.9, 1.1), 5),
    "RandomResizedCrop(28)": T.RandomResizedCrop(28),
    "ColorJitter(.4,.4)": T.ColorJitter(0.4, 0.4),
    "GaussianBlur(5)": T.GaussianBlur(5),
    "RandomErasing(p=1) on tensor": T.Compose([T.ToTensor(), T.RandomErasing(p=1.0)]),
}

AUGMENT = T.Compose([T.RandomRotation(15), T.RandomAffine(0, translate=(0.1, 0.1),
                                                          scale=(0.9, 1.1)),
                     T.ToTensor(), T.RandomErasing(p=0.5)])


def cnn_step_seconds() -> float:
    """Seconds for one graphgrad training step of compare.py's CNN workload (batch 64)."""
    work = cnn_train(graphgrad, tiny=False)
    return work.items / throughput(work.step, work.items, warmup=2, repeats=5, min_time=0.3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter timings")
    args = parser.parse_args()
    min_time = 0.1 if args.quick else 0.4
    print(blas_report())
    graphgrad.manual_seed(0)
    t0 = time.perf_counter()
    train = MNISTSample(train=True)
    print(f"MNISTSample(train=True): {len(train)} images loaded in "
          f"{time.perf_counter() - t0:.2f} s (first load in this process)")
    digit = train[0][0]

    print("\nper-image transforms on one 28x28 uint8 digit")
    print(f"{'transform':42s} {'images/s':>12s}")
    for name, t in PER_IMAGE.items():
        rate = throughput(lambda t=t: t(digit), 1, warmup=20, repeats=5, min_time=min_time)
        print(f"{name:42s} {rate:12,.0f}")

    batch = train._images[:64]
    rate = throughput(lambda: [AUGMENT(img) for img in batch], 64, warmup=2, repeats=5,
                      min_time=min_time)
    aug_s = 64 / rate
    print(f"\nbatch of 64: rotation + affine + ToTensor + erasing: {rate:,.0f} images/s, "
          f"{aug_s * 1e3:.1f} ms per batch")
    step_s = cnn_step_seconds()
    print(f"one graphgrad CNN training step (batch 64): {step_s * 1e3:.1f} ms; augmentation "
          f"takes {aug_s / step_s:.2f}x of it")

    ds = MNISTSample(train=True, transform=AUGMENT)
    for workers in (0, 2):
        loader = DataLoader(ds, batch_size=64, shuffle=True, num_workers=workers)
        start = time.perf_counter()
        n = sum(len(b[1]) for b in loader)
        took = time.perf_counter() - start
        print(f"DataLoader epoch, {n} augmented images, num_workers={workers}: "
              f"{n / took:,.0f} images/s ({took:.2f} s, worker start-up included)")


if __name__ == "__main__":
    main()
