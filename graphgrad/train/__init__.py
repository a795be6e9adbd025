"""Layer 9: the training loop (one loop, a step per model family), metrics, callbacks,
checkpoints, model selection and gradient diagnostics."""
from .callbacks import Callback, EarlyStopping
from .checkpoint import CheckpointWriteError
from .diagnostics import GradientDiagnostics, GradientWarning, read_diagnostics
from .drawn import DrawnBatches
from .loop import Loop
from .metrics import confusion_matrix, per_class_scores, topk_correct
from .run_dir import RunDir, atomic_write_text
from .search import cross_validate, fit_classifier, grid_search, random_search
from .step import LossStep, Step
from .trainer import SupervisedStep, Trainer, evaluate

__all__ = ["Callback", "CheckpointWriteError", "DrawnBatches", "EarlyStopping", "GradientDiagnostics",
           "GradientWarning", "Loop", "LossStep", "RunDir", "Step", "SupervisedStep", "Trainer",
           "atomic_write_text", "confusion_matrix", "evaluate", "per_class_scores",
           "read_diagnostics", "topk_correct"]
__all__ += ["cross_validate", "fit_classifier", "grid_search", "random_search"]
from .autoencoder import AutoencoderStep, AutoencoderTrainer  # noqa: E402
from .gan import (DiffAugment, GANStep, GANTrainer, RandomCutout,  # noqa: E402
                  RandomTranslate, gradient_penalty, standing_batch_norm_stats)
from .language_model import LanguageModelStep, LanguageModelTrainer  # noqa: E402
from .sample_quality import sample_quality, train_digit_classifier  # noqa: E402

__all__ += ["AutoencoderStep", "AutoencoderTrainer", "DiffAugment", "GANStep", "GANTrainer",
            "LanguageModelStep", "LanguageModelTrainer", "RandomCutout", "RandomTranslate",
            "gradient_penalty", "standing_batch_norm_stats", "sample_quality",
            "train_digit_classifier"]
