"""DistributedDataParallel, SyncBatchNorm and DataParallel in a plain process (a world of 1): the
wrapper's contract (state_dict keys, .module, no_sync, unused parameters, buckets, bad arguments)
and the single-rank equivalences."""
import gc

import numpy as np
import pytest

import graphgrad as torch
import graphgrad.distributed as dist
import graphgrad.nn as nn
import graphgrad.nn.functional as F
from graphgrad.nn.parallel import DataParallel, DistributedDataParallel, data_parallel
from mpi_launch import needs_mpi

pytestmark = needs_mpi


@pytest.fixture(autouse=True)
def world():
    dist.init_process_group()
    yield
    if dist.is_initialized():
        dist.destroy_process_group()


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 2)
        self.b = nn.Linear(3, 2)

    def forward(self, x, use_b=False):
        return self.b(x) if use_b else self.a(x)


def test_state_dict_keys_carry_the_module_prefix_as_pytorch():
    torch_ = pytest.importorskip("torch")
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    ddp = DistributedDataParallel(model)
    reference = torch_.nn.DataParallel(torch_.nn.Sequential(torch_.nn.Conv2d(1, 2, 3),
                                                            torch_.nn.BatchNorm2d(2)))
    assert list(ddp.state_dict()) == list(reference.state_dict())  # the same "module." keys
    assert ddp.module is model
    ddp.load_state_dict(ddp.state_dict())
    with pytest.raises(RuntimeError):
        ddp.load_state_dict(model.state_dict())  # keys without the prefix do not load strictly


def test_training_through_ddp_in_a_world_of_one_is_plain_training():
    def run(wrap):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
        net = DistributedDataParallel(model, bucket_cap_mb=0.0001) if wrap else model
        opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        rng = np.random.default_rng(0)
        for _ in range(5):
            x, y = torch.tensor(rng.standard_normal((6, 5)).astype(np.float32)), torch.tensor([0, 1, 2] * 2)
            opt.zero_grad()
            F.cross_entropy(net(x), y).backward()
            opt.step()
        return [p.detach().numpy() for p in model.parameters()]

    for a, b in zip(run(True), run(False)):
        np.testing.assert_array_equal(a, b)


def test_buckets_are_filled_in_reverse_order_and_closed_at_their_cap():
    model = nn.Sequential(nn.Linear(100, 100), nn.Linear(100, 10), nn.Linear(10, 10))
    small = DistributedDataParallel(model, bucket_cap_mb=30_000 / 2**20)  # 30 kB
    names = {id(p): n for n, p in model.named_parameters()}
    buckets = [[names[id(p)] for p in b.params] for b in small.reducer.buckets]
    # reversed: 2.bias 2.weight 1.bias 1.weight (4 kB so far) 0.bias 0.weight (40 kB: closes)
    assert buckets == [["2.bias", "2.weight", "1.bias", "1.weight", "0.bias", "0.weight"]]
    tiny = DistributedDataParallel(model, bucket_cap_mb=1000 / 2**20)  # 1 kB: 1.weight closes one
    assert [len(b.params) for b in tiny.reducer.buckets] == [4, 2]
    default = DistributedDataParallel(model)
    assert len(default.reducer.buckets) == 1 and default.bucket_bytes_cap == 25 * 2**20
    mixed = DistributedDataParallel(nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2).double()))
    assert sorted(str(b.buffer.dtype) for b in mixed.reducer.buckets) == ["float32", "float64"]


def test_no_sync_accumulates_and_the_next_backward_reduces():
    ddp = DistributedDataParallel(nn.Linear(3, 1))
    x = torch.randn(4, 3)
    with ddp.no_sync():
        ddp(x).sum().backward()
        assert not ddp.require_forward_param_sync and not ddp.reducer.armed
    once = ddp.module.weight.grad.numpy().copy()
    ddp(x).sum().backward()
    np.testing.assert_allclose(ddp.module.weight.grad.numpy(), 2 * once, rtol=1e-6)
    assert not ddp.reducer.armed  # the reduction finished inside backward


def test_an_unused_parameter_raises_at_the_next_forward_unless_detection_is_on():
    ddp = DistributedDataParallel(TwoHeads())
    x = torch.randn(4, 3)
    ddp(x).sum().backward()
    with pytest.raises(RuntimeError, match="find_unused_parameters=True.*|b.weight"):
        ddp(x)
    ddp = DistributedDataParallel(TwoHeads(), find_unused_parameters=True)
    for use_b in (False, False, True):
        ddp(x, use_b=use_b).sum().backward()
    assert ddp.module.a.weight.grad is not None and ddp.module.b.weight.grad is not None
    fresh = DistributedDataParallel(TwoHeads(), find_unused_parameters=True)
    fresh(x).sum().backward()
    assert fresh.module.b.weight.grad is None  # used by no rank: left alone, as in PyTorch


def test_a_dropped_wrapper_leaves_no_hook_on_the_parameters():
    model = nn.Linear(3, 2)
    ddp = DistributedDataParallel(model)
    assert len(model.weight._post_acc_hooks) == 1
    del ddp
    gc.collect()
    assert model.weight._post_acc_hooks == [] and model.bias._post_acc_hooks == []
    again = DistributedDataParallel(model)
    again(torch.randn(4, 3)).sum().backward()
    assert not again.reducer.armed


def test_forward_under_no_grad_does_not_arm_the_reducer():
    ddp = DistributedDataParallel(TwoHeads())
    with torch.no_grad():
        ddp(torch.randn(2, 3))
    assert not ddp.reducer.armed and not ddp.require_forward_param_sync


@pytest.mark.parametrize("kwargs", [{"device_ids": [0]}, {"output_device": 0}, {"mixed_precision": 1},
                                    {"process_group": "other"}])
def test_ddp_refuses_what_it_does_not_support(kwargs):
    with pytest.raises(ValueError):
        DistributedDataParallel(nn.Linear(2, 2), **kwargs)


def test_ddp_needs_a_module_with_trainable_parameters():
    with pytest.raises(RuntimeError, match="doesn't have any parameter"):
        DistributedDataParallel(nn.ReLU())
    with pytest.raises(TypeError, match="nn.Module"):
        DistributedDataParallel(lambda x: x)


def test_sync_batch_norm_in_a_world_of_one_is_batch_norm():
    torch.manual_seed(0)
    bn = nn.BatchNorm2d(3)
    sync = nn.SyncBatchNorm(3)
    x = torch.randn(4, 3, 5, 5)
    for _ in range(2):
        np.testing.assert_array_equal(sync(x).detach().numpy(), bn(x).detach().numpy())
    np.testing.assert_array_equal(sync.running_var.numpy(), bn.running_var.numpy())
    assert int(sync.num_batches_tracked.item()) == 2
    with pytest.raises(ValueError, match="at least 2D"):
        sync(torch.randn(3))


def test_convert_sync_batchnorm_replaces_every_batch_norm_and_keeps_its_state():
    torch_ = pytest.importorskip("torch")
    inner = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4, momentum=0.2), nn.ReLU())
    model = nn.Sequential(inner, nn.Flatten(), nn.Linear(4, 4), nn.BatchNorm1d(4, affine=False))
    model.eval()
    weight = inner[1].weight
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert isinstance(converted[0][1], nn.SyncBatchNorm) and isinstance(converted[3], nn.SyncBatchNorm)
    assert converted[0][1].weight is weight and converted[0][1].momentum == 0.2
    assert not converted[0][1].training and converted[3].weight is None
    reference = torch_.nn.SyncBatchNorm.convert_sync_batchnorm(torch_.nn.Sequential(
        torch_.nn.Sequential(torch_.nn.Conv2d(1, 4, 3), torch_.nn.BatchNorm2d(4), torch_.nn.ReLU()),
        torch_.nn.Flatten(), torch_.nn.Linear(4, 4), torch_.nn.BatchNorm1d(4, affine=False)))
    assert list(converted.state_dict()) == list(reference.state_dict())


def test_data_parallel_runs_the_module_on_this_device():
    model = nn.Linear(3, 2)
    x = torch.randn(4, 3)
    dp = DataParallel(model)
    np.testing.assert_array_equal(dp(x).detach().numpy(), model(x).detach().numpy())
    assert list(dp.state_dict()) == ["module.weight", "module.bias"] and dp.module is model
    np.testing.assert_array_equal(data_parallel(model, x, range(1)).detach().numpy(),
                                  model(x).detach().numpy())
    with pytest.raises(ValueError, match="DistributedDataParallel"):
        data_parallel(model, x, range(2))
    with pytest.raises(ValueError, match="one device per process"):
        DataParallel(model, device_ids=[0, 1])
