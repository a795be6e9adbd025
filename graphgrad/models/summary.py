"""``summary(model, input_size)``: a table of every layer's output shape, parameters and activation
memory, with totals, like the lectures' VGG-16 table."""
from __future__ import annotations

from dataclasses import dataclass

from .. import nn, no_grad, zeros

# Layers whose output costs no new memory in a forward pass: views, identities, and activations
# computed in place (torchvision's ReLU(inplace=True)), as the lecture's table counts them.
_FREE = (nn.Flatten, nn.Identity, nn.Dropout)


@dataclass
class LayerRow:
    name: str
    kind: str
    output_shape: tuple
    params: int
    activations: int


@dataclass
class Summary:
    rows: list
    input_size: tuple
    total_params: int
    trainable_params: int
    input_activations: int
    total_activations: int
    bytes_per_value: int

    @property
    def forward_megabytes(self) -> float:
        """Memory of one sample's forward activations (input included), in MB (10^6 bytes)."""
        return self.total_activations * self.bytes_per_value / 1e6

    def __str__(self) -> str:
        head = f"{'Layer (type)':<36}{'Output shape':>22}{'Params':>14}{'Activations':>14}"
        lines = [head, "=" * len(head),
                 f"{'input':<36}{str(tuple(self.input_size)):>22}{'':>14}{self.input_activations:>14,}"]
        for r in self.rows:
            label = f"{r.name} ({r.kind})"
            lines.append(f"{label[:35]:<36}{str(r.output_shape):>22}{r.params:>14,}{r.activations:>14,}")
        lines += ["=" * len(head),
                  f"Total params: {self.total_params:,}",
                  f"Trainable params: {self.trainable_params:,}",
                  f"Activations per sample (forward): {self.total_activations:,} values = "
                  f"{self.forward_megabytes:.1f} MB at {self.bytes_per_value} bytes each"]
        return "\n".join(lines)


def summary(model: nn.Module, input_size, dtype=None, print_table: bool = False) -> Summary:
    """Run one sample of shape ``input_size`` (without the batch dimension, e.g. (3, 224, 224))
    through ``model`` and tabulate each leaf layer: output shape (per sample), own parameter count,
    and activations (values in its output; 0 for views, identities, dropout and in-place
    activations). Totals include the input."""
    rows: list[LayerRow] = []
    handles = []

    def hook_for(name):
        def hook(module, inputs, output):
            out = output[0] if isinstance(output, tuple) else output
            shape = tuple(out.shape[1:])
            free = isinstance(module, _FREE) or getattr(module, "inplace", False)
            n = 1
            for s in shape:
                n *= s
            own = sum(p.numel() for p in module.parameters(recurse=False))
            rows.append(LayerRow(name, type(module).__name__, shape, own, 0 if free else n))
        return hook

    for name, module in model.named_modules():
        if name and not list(module.children()):
            handles.append(module.register_forward_hook(hook_for(name)))
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            x = zeros((1,) + tuple(input_size), dtype=dtype)
            model(x)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    params = list(model.parameters())
    n_input = 1
    for s in input_size:
        n_input *= s
    result = Summary(rows, tuple(input_size), sum(p.numel() for p in params),
                     sum(p.numel() for p in params if p.requires_grad), n_input,
                     n_input + sum(r.activations for r in rows), x.element_size())
    if print_table:
        print(result)
    return result
