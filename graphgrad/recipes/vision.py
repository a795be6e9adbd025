"""The image-classification recipes of the lectures, on MNIST, Fashion-MNIST and CIFAR-10."""
from __future__ import annotations

from .. import manual_seed
from .classification import train_classifier
from .registry import RecipeError, register
from .vision_data import load_vision_data
from .zoo import build_model, classifier_args

# Settings every classification recipe has; each recipe overrides some.
BASE = {
    "dataset": "mnist", "data": None, "model": "simple_cnn", "model_args": {},
    "epochs": 10, "batch_size": 64, "lr": 0.05, "optimizer": "sgd", "momentum": 0.9,
    "nesterov": True, "weight_decay": 5e-4, "scheduler": "onecycle", "augment": False, "erasing": 0.0,
    "mixup": 0.0, "cutmix": 0.0, "label_smoothing": 0.0, "clip_grad_norm": None,
    "early_stopping": None, "val_fraction": 0.1, "pad_to": None, "seed": 0,
}


def _classification(name: str, description: str, config: dict) -> None:
    """Register an image-classification recipe: ``run_classification``, data-parallel on ranks."""
    register(name, description, config, data_parallel=True)(run_classification)


def _with(**changes) -> dict:
    config = dict(BASE)
    config.update(changes)
    return config


def run_classification(config: dict, run_dir, resume: bool = False, progress: bool = True) -> dict:
    data = load_vision_data(config)
    manual_seed(config["seed"])  # the initial weights are part of the run's configuration
    model = build_model(config["model"], **classifier_args(config["model"], data.input_size,
                                                           len(data.classes),
                                                           config.get("model_args")))
    mixup = None
    if config.get("mixup") or config.get("cutmix"):
        from ..vision.transforms import CutMix, MixUp

        if config.get("mixup") and config.get("cutmix"):
            raise RecipeError("choose mixup or cutmix, not both")
        mixup = (MixUp(config["mixup"], num_classes=len(data.classes)) if config.get("mixup")
                 else CutMix(config["cutmix"], num_classes=len(data.classes)))
    return train_classifier(config, run_dir, model, data, mixup=mixup, resume=resume,
                            progress=progress)


_classification("mnist-logreg", "multinomial logistic regression on MNIST (embedded sample by "
                "default)", _with(model="logreg", epochs=15, lr=0.1, momentum=0.0, nesterov=False,
                                  weight_decay=0.0, scheduler="cosine"))

_classification("mnist-mlp", "MLP 784-512-256-10 with ReLU and dropout on MNIST",
                _with(model="mlp", model_args={"hidden_sizes": [512, 256], "dropout": 0.2},
                      epochs=12, lr=0.05))

_classification("mnist-cnn", "the lectures' CNN (conv-relu-pool x2, fc) on MNIST: the main job",
                _with(model="simple_cnn", epochs=15, lr=0.05, augment=True))

_classification("mnist-lenet", "LeNet-5 (LeCun 1998) on MNIST",
                _with(model="lenet5", epochs=12, lr=0.05))

_classification("mnist-augment", "the CNN with augmentation (affine, erasing) and mixup on MNIST",
                _with(model="simple_cnn", epochs=15, lr=0.05, augment=True, erasing=0.25,
                      mixup=0.2))

_classification("fashion-mnist-cnn", "the CNN on Fashion-MNIST (--data, or Debian's "
                "dataset-fashion-mnist)", _with(dataset="fashion-mnist", model="simple_cnn",
                                                epochs=10, lr=0.05, model_args={"dropout": 0.3}))

_classification("cifar10-resnet20", "ResNet-20 (He et al. 2015) on CIFAR-10; needs --data",
                _with(dataset="cifar10", model="resnet20", epochs=30, batch_size=128, lr=0.1,
                      weight_decay=1e-4, augment=True, val_fraction=0.1))
