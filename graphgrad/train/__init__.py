"""Layer 9: the training loop, metrics, callbacks and checkpoints."""
from .callbacks import Callback, EarlyStopping
from .diagnostics import GradientDiagnostics, GradientWarning, read_diagnostics
from .metrics import confusion_matrix, per_class_scores, topk_correct
from .run_dir import RunDir, atomic_write_text
from .search import cross_validate, fit_classifier, grid_search, random_search
from .trainer import Trainer, evaluate

__all__ = ["Callback", "EarlyStopping", "GradientDiagnostics", "GradientWarning",
           "read_diagnostics", "RunDir", "Trainer", "atomic_write_text",
           "confusion_matrix", "evaluate", "per_class_scores", "topk_correct"]
__all__ += ["cross_validate", "fit_classifier", "grid_search", "random_search"]
from .gan import (AutoencoderTrainer, DiffAugment, GANTrainer, RandomCutout,  # noqa: E402
                  RandomTranslate, gradient_penalty, standing_batch_norm_stats)
from .sample_quality import sample_quality, train_digit_classifier  # noqa: E402

__all__ += ["AutoencoderTrainer", "DiffAugment", "GANTrainer", "RandomCutout", "RandomTranslate",
            "gradient_penalty",
            "standing_batch_norm_stats", "sample_quality", "train_digit_classifier"]
