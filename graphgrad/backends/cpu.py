"""``torch.backends.cpu``: what the CPU offers (as NumPy's build reports it)."""


def get_cpu_capability() -> str:
    """The widest SIMD extension NumPy's build dispatches to here ('AVX512', 'AVX2' or 'DEFAULT')."""
    import numpy as np

    features = getattr(np._core._multiarray_umath, "__cpu_features__", {}) if hasattr(
        np, "_core") else {}
    if features.get("AVX512F"):
        return "AVX512"
    if features.get("AVX2"):
        return "AVX2"
    return "DEFAULT"
