"""Layer 10: pictures of what happened (PNG files via matplotlib's headless backend)."""
from .confusion import plot_confusion_matrix
from .curves import plot_curves, plot_loss_and_accuracy, read_history
from .images import image_grid, plot_filters, plot_misclassified
from .embedding import extract_features, plot_embedding, project_2d
from .feature_maps import feature_maps, plot_feature_maps
from .filters import plot_layer_filters, plot_top_patches, top_activating_patches
from .gradients import plot_gradient_profiles, plot_gradients
from .graph import GraphDrawing, draw_graph
from .receptive_field import ReceptiveField, receptive_field, receptive_fields
from .saliency import input_gradient, plot_saliency, saliency_map

__all__ = ["image_grid", "plot_confusion_matrix", "plot_curves", "plot_filters",
           "plot_loss_and_accuracy", "plot_misclassified", "read_history"]
__all__ += ["GraphDrawing", "ReceptiveField", "draw_graph", "extract_features", "feature_maps",
            "input_gradient", "plot_embedding", "plot_feature_maps", "plot_gradient_profiles",
            "plot_gradients", "plot_layer_filters", "plot_saliency", "plot_top_patches",
            "project_2d", "receptive_field", "receptive_fields", "saliency_map",
            "top_activating_patches"]
from .generative import (plot_elbo, plot_gan_losses, plot_interpolations,  # noqa: E402
                         plot_latent_scatter, plot_reconstructions, plot_sample_grid,
                         save_image_grid, tile_images, write_gif)

__all__ = list(globals().get("__all__", [])) + [
    "plot_elbo", "plot_gan_losses", "plot_interpolations", "plot_latent_scatter",
    "plot_reconstructions", "plot_sample_grid", "save_image_grid", "tile_images", "write_gif"]
