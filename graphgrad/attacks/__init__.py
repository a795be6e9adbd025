"""Adversarial examples: FGSM and L-inf PGD (targeted and untargeted) against any model that maps
inputs to class scores, accuracy under attack, and adversarial training as a batch transform."""
from .evaluate import AdversarialBatch, robust_accuracy
from .fgsm import fgsm
from .pgd import pgd

__all__ = ["AdversarialBatch", "fgsm", "pgd", "robust_accuracy"]
