"""Layer 10: pictures of what happened (PNG files via matplotlib's headless backend)."""
from .confusion import plot_confusion_matrix
from .curves import plot_curves, plot_loss_and_accuracy, read_history
from .images import image_grid, plot_filters, plot_misclassified
from .gradients import plot_gradient_profiles, plot_gradients

__all__ = ["image_grid", "plot_confusion_matrix", "plot_curves", "plot_filters",
           "plot_loss_and_accuracy", "plot_misclassified", "read_history"]
__all__ += ["plot_gradient_profiles", "plot_gradients"]
