"""Tensor.register_post_accumulate_grad_hook, as PyTorch's: called once per backward with the leaf,
after every contribution has been summed into .grad."""
import numpy as np
import pytest

import graphgrad as torch

pt = pytest.importorskip("torch")


def _calls(lib, backward_twice=False, inputs=None):
    v = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = lib.tensor([0.5, 0.5, 0.5], requires_grad=True)
    seen = []
    handle = v.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.clone().numpy()))
    loss = (v * 2 + v * w * 3).sum()
    loss.backward(retain_graph=True, inputs=inputs(v, w) if inputs else None)
    if backward_twice:
        loss.backward()
    handle.remove()
    (v * 5).sum().backward()
    return seen


@pytest.mark.parametrize("twice", [False, True])
def test_called_once_per_backward_with_the_accumulated_grad_as_pytorch(twice):
    ours, theirs = _calls(torch, twice), _calls(pt, twice)
    assert len(ours) == len(theirs) == (2 if twice else 1)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b)


def test_not_called_for_a_leaf_left_out_of_backward_inputs_nor_by_autograd_grad():
    assert _calls(torch, inputs=lambda v, w: [w]) == _calls(pt, inputs=lambda v, w: [w]) == []
    v = torch.ones(2, requires_grad=True)
    seen = []
    v.register_post_accumulate_grad_hook(seen.append)
    torch.autograd.grad((v * 2).sum(), v)
    assert seen == []


def test_the_hook_may_update_the_leaf_in_place():
    v = torch.tensor([0.0, 0.0, 0.0], requires_grad=True)
    v.register_post_accumulate_grad_hook(lambda p: p.data.sub_(0.01 * p.grad))
    v.backward(torch.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(v.detach().numpy(), [-0.01, -0.02, -0.03], rtol=1e-6)


def test_only_leaves_that_require_grad_take_the_hook():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        torch.zeros(2).register_post_accumulate_grad_hook(print)
    with pytest.raises(RuntimeError, match="non-leaf"):
        (torch.zeros(2, requires_grad=True) * 2).register_post_accumulate_grad_hook(print)
