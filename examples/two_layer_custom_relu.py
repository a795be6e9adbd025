"""A two-layer network with a custom ReLU ``autograd.Function``, trained by plain gradient descent.

This is PyTorch's tutorial example ("defining new autograd functions"), written as ordinary
PyTorch code: the only graphgrad-specific line is ``import graphgrad as torch``. Replace it with
``import torch`` and the same file runs on PyTorch (``tests/test_examples.py`` does exactly that
and compares the two loss curves).

Run it: ``python examples/two_layer_custom_relu.py``.
"""
import numpy as np

import graphgrad as torch


class MyReLU(torch.autograd.Function):
    """ReLU with a hand-written backward: the gradient passes where the input is non-negative."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


N, D_in, H, D_out = 64, 1000, 100, 10  # batch size, input, hidden and output dimensions


def initial_arrays(seed=0):
    """Random float32 data and weights, drawn with NumPy so that either framework can start
    from them."""
    rng = np.random.default_rng(seed)
    return {
        "x": rng.standard_normal((N, D_in)).astype(np.float32),
        "y": rng.standard_normal((N, D_out)).astype(np.float32),
        "w1": rng.standard_normal((D_in, H)).astype(np.float32),
        "w2": rng.standard_normal((H, D_out)).astype(np.float32),
    }


def main(arrays=None, seed=0, steps=500, learning_rate=1e-6, dtype="float", verbose=False):
    """Train from ``arrays`` (or ``initial_arrays(seed)``) in ``dtype`` ('float' as in the
    tutorial, or 'double'); return the loss after every step."""
    if arrays is None:
        arrays = initial_arrays(seed)
    dtype = getattr(torch, dtype)
    x = torch.tensor(arrays["x"], dtype=dtype)
    y = torch.tensor(arrays["y"], dtype=dtype)
    w1 = torch.tensor(arrays["w1"], dtype=dtype, requires_grad=True)
    w2 = torch.tensor(arrays["w2"], dtype=dtype, requires_grad=True)

    losses = []
    for t in range(steps):
        relu = MyReLU.apply
        y_pred = relu(x.mm(w1)).mm(w2)

        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        if verbose and t % 100 == 99:
            print(t, loss.item())

        loss.backward()

        with torch.no_grad():
            w1 -= learning_rate * w1.grad
            w2 -= learning_rate * w2.grad
            w1.grad.zero_()
            w2.grad.zero_()
    return losses


if __name__ == "__main__":
    curve = main(verbose=True)
    print(f"loss: {curve[0]:.1f} -> {curve[-1]:.4f} after {len(curve)} steps")
