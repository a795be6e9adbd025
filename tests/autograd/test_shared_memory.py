"""share_memory_ / Module.share_memory and graphgrad.multiprocessing: tensors sent to another
process map the same numbers, so in-place updates there are seen here (Hogwild training)."""
import pickle

import numpy as np

import graphgrad as torch
import graphgrad.multiprocessing as mp


def test_pickled_shared_tensor_maps_the_same_block():
    t = torch.arange(6.0).reshape(2, 3)
    assert not t.is_shared()
    assert t.share_memory_() is t and t.is_shared()
    again = pickle.loads(pickle.dumps(t))
    again.add_(1.0)  # what an optimiser step in another process does
    np.testing.assert_array_equal(t.numpy(), np.arange(6.0).reshape(2, 3) + 1)
    assert again.is_shared() and again.dtype == torch.float32


def test_unshared_tensors_and_parameters_are_copied():
    t = torch.ones(3, requires_grad=True)
    copy = pickle.loads(pickle.dumps(t))
    copy.data.add_(1.0)
    assert t.sum().item() == 3.0 and copy.requires_grad
    p = torch.nn.Parameter(torch.zeros(2)).share_memory_()
    q = pickle.loads(pickle.dumps(p))
    q.data.fill_(5.0)
    assert type(q) is torch.nn.Parameter and p.tolist() == [5.0, 5.0]


def _train_in_child(model, rank):
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    loss = model(torch.ones(1, 2)).sum()
    loss.backward()
    opt.step()


def test_processes_train_the_shared_model():
    model = torch.nn.Linear(2, 1)
    torch.nn.init.zeros_(model.weight)
    torch.nn.init.zeros_(model.bias)
    model.share_memory()
    assert all(p.is_shared() for p in model.parameters())
    context = mp.get_context("spawn")
    processes = [context.Process(target=_train_in_child, args=(model, r)) for r in range(2)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(60)
    assert [p.exitcode for p in processes] == [0, 0]
    # each child took one step of -0.5 on every weight and the bias: both steps land here
    np.testing.assert_allclose(model.weight.detach().numpy(), [[-1.0, -1.0]])
    np.testing.assert_allclose(model.bias.detach().numpy(), [-1.0])
