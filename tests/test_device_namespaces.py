"""torch.accelerator / torch.cuda / torch.backends answer as PyTorch on a CPU-only machine, so the
device-selection idioms of today's examples run unchanged."""
import pytest

import graphgrad as torch
from parity import torch_or_skip


def test_the_example_idioms_pick_the_cpu():
    use_accel = torch.accelerator.is_available()
    device = torch.accelerator.current_accelerator() if use_accel else torch.device("cpu")
    assert device == "cpu"
    assert (torch.device("cuda") if torch.cuda.is_available() else "cpu") == "cpu"
    torch.cuda.manual_seed(1)  # a no-op, as on PyTorch's CPU build
    torch.cuda.manual_seed_all(1)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    assert torch.backends.cudnn.deterministic is True
    torch.backends.cudnn.deterministic = False
    assert not torch.backends.mps.is_available() and not torch.backends.mps.is_built()


def test_same_answers_as_pytorch_cpu_build():
    real = torch_or_skip()
    assert torch.accelerator.is_available() == real.accelerator.is_available()
    assert torch.accelerator.current_accelerator() == real.accelerator.current_accelerator()
    assert torch.accelerator.device_count() == real.accelerator.device_count() == 0
    assert torch.cuda.is_available() == real.cuda.is_available()
    assert torch.cuda.device_count() == real.cuda.device_count()
    assert torch.backends.cudnn.is_available() == real.backends.cudnn.is_available()
    for flag in ("enabled", "benchmark", "deterministic"):
        assert getattr(torch.backends.cudnn, flag) == getattr(real.backends.cudnn, flag)
    with pytest.raises(RuntimeError, match="Cannot access accelerator device"):
        torch.accelerator.current_device_index()
    with pytest.raises(AssertionError, match="CPU"):
        torch.cuda.current_device()
    with torch.backends.cudnn.flags(enabled=False, deterministic=True):
        assert not torch.backends.cudnn.enabled and torch.backends.cudnn.deterministic
    assert torch.backends.cudnn.enabled and not torch.backends.cudnn.deterministic
    with torch.accelerator.device_index(None):
        pass
