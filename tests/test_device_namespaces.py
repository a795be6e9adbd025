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


@pytest.mark.parametrize("make", [
    lambda: torch.zeros(2, device="cuda"), lambda: torch.randn(2, 3, device="cuda:0"),
    lambda: torch.arange(4, device="cuda"), lambda: torch.tensor([1.0], device="cuda"),
    lambda: torch.ones(2).new_zeros(3, device="cuda"), lambda: torch.zeros(2).to("cuda"),
    lambda: torch.nn.Linear(2, 3, device="cuda"), lambda: torch.nn.LSTM(2, 3, device="cuda"),
    lambda: torch.nn.Linear(2, 3).to("cuda"), lambda: torch.nn.LazyBatchNorm1d(device="cuda"),
], ids=["zeros", "randn", "arange", "tensor", "new_zeros", "Tensor.to", "Linear", "LSTM",
        "Module.to", "LazyBatchNorm1d"])
def test_asking_for_a_gpu_is_an_error_not_a_cpu_tensor(make):
    """PyTorch's CPU build refuses device='cuda'; a tensor quietly made on the CPU instead would
    hide the mistake (and a port would run on the wrong device without a word)."""
    with pytest.raises(RuntimeError, match="graphgrad runs on the CPU; device 'cuda(:0)?' is not available"):
        make()


def test_the_cpu_passes_in_every_spelling():
    for device in (None, "cpu", "cpu:0", torch.device("cpu")):
        assert torch.zeros(2, device=device).device == "cpu"
        torch.nn.Linear(2, 2, device=device)


@pytest.mark.parametrize("make, name", [
    (lambda: torch.nn.Conv2d(1, 2, 3, device="cuda"), "Conv2d"),
    (lambda: torch.nn.LazyConv2d(2, 3, device="cuda"), "LazyConv2d"),
    (lambda: torch.nn.LazyConvTranspose2d(2, 3, device="cuda"), "LazyConvTranspose2d"),
    (lambda: torch.nn.LazyLinear(3, device="cuda"), "LazyLinear"),
    (lambda: torch.nn.LSTMCell(2, 3, device="cuda"), "LSTMCell"),
    (lambda: torch.nn.InstanceNorm2d(3, device="cuda"), "InstanceNorm2d"),
    (lambda: torch.nn.TransformerEncoderLayer(8, 2, device="cuda"), "TransformerEncoderLayer"),
])
def test_a_layer_refuses_a_gpu_under_its_own_name(make, name):
    """Checked once, in the base class every such layer shares, and named after the class the
    user wrote (not a private base such as _ConvNd); lazy layers pass ``device`` on to it."""
    with pytest.raises(RuntimeError, match=f"^{name}: graphgrad runs on the CPU"):
        make()
