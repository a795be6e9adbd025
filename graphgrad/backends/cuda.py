"""``torch.backends.cuda``: not built into graphgrad; the TF32 switches exist as settable flags."""


class _MatmulFlags:
    """``torch.backends.cuda.matmul``: ``allow_tf32`` and friends, recorded only."""

    allow_tf32 = False
    allow_fp16_reduced_precision_reduction = True
    allow_bf16_reduced_precision_reduction = True


matmul = _MatmulFlags()


def is_built() -> bool:
    return False
