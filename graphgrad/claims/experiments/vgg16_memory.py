"""Claim 10: VGG-16 has 138M parameters and keeps ~24M activations x 4 bytes ~ 96 MB per image in a
forward pass — computed from graphgrad's VGG-16 and measured.

Computed: the parameters of ``graphgrad.vision.models.vgg16()`` counted; the activation values
counted by forward hooks on every leaf module during one 224x224 forward, two ways: as the lectures'
table counts them (the input image and the output of every convolution, pooling and fully connected
layer; VGG's ReLUs work in place) and as every layer's output (ReLU and dropout outputs too).

Measured: VGG-16 is built once; each (batch, with/without grad) forward then runs in a forked copy
of that process, which first empties graphgrad's convolution workspace (up to 256 MiB of scratch
arrays kept between calls, filled by whatever ran before in the process, e.g. other claims) so that
no cache blurs it. The copy measures with ``tracemalloc`` (NumPy reports its
array allocations to it) the peak of traced memory during the forward above what was traced just
before it (the weights and the input are not counted; the weights are 4 bytes x parameters).
The per-image memory of a forward is the slope between batch 1 and batch 8,
``(peak_8 - peak_1) / 7``: what does not depend on the batch (scratch space) cancels."""
from __future__ import annotations

import time

from ...viz._figure import pyplot, save_figure
from ..base import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, verdict

LECTURE_PARAMS, LECTURE_ACTIVATIONS, LECTURE_MB = 138e6, 24e6, 96.0
PARAM_TOL, ACTIVATION_TOL, BRACKET_TOL = 0.01, 0.20, 0.10
BATCHES = (1, 8)
MB = 1e6
TABLE_LAYERS = ("Conv2d", "MaxPool2d", "Linear")  # the layers the lectures' table lists


def build_vgg16(small: bool):
    """graphgrad's VGG-16 (``vgg16()``), or for the tests' tiny size its convolutional part with a
    64-wide classifier (building the full one's 124M classifier weights takes seconds)."""
    from ... import nn
    from ...vision.models import vgg16
    from ...vision.models.vgg import cfgs, make_layers

    if not small:
        return vgg16(init_weights=False)  # the initial values change no count and no size
    return nn.Sequential(make_layers(cfgs["D"]), nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
                         nn.Linear(512, 64), nn.ReLU(True), nn.Linear(64, 10))


def count_activations(model, size: int) -> dict:
    """Parameters and activation values per image of ``model`` on one ``size`` x ``size`` input,
    counted by forward hooks on every leaf module."""
    from ... import no_grad, randn

    per_type: dict = {}

    def hook(module, inputs, output):
        name = type(module).__name__
        per_type[name] = per_type.get(name, 0) + int(output.numel())

    handles = [m.register_forward_hook(hook) for m in model.modules() if not list(m.children())]
    with no_grad():
        model(randn(1, 3, size, size))
    for h in handles:
        h.remove()
    image = 3 * size * size
    return {"parameters": int(sum(p.numel() for p in model.parameters())),
            "per_layer_type": per_type, "input_values": image,
            "activations_table": image + sum(per_type.get(t, 0) for t in TABLE_LAYERS),
            "activations_every_layer": image + sum(per_type.values())}


def _trace_forward(model, batch: int, grad: bool, size: int) -> dict:
    """The traced memory of one forward of ``model`` (see the module doc)."""
    import tracemalloc

    from ... import no_grad, randn

    x = randn(batch, 3, size, size)
    tracemalloc.start()  # traces allocations from here on: the weights and input are not counted
    before = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    if grad:
        out = model(x)
    else:
        with no_grad():
            out = model(x)
    seconds = time.perf_counter() - start
    after, peak = tracemalloc.get_traced_memory()
    del out
    tracemalloc.stop()
    return {"batch": batch, "grad": grad, "peak_mb": (peak - before) / MB,
            "held_after_mb": (after - before) / MB, "seconds": seconds}


def _child(model, batch, grad, size, count, conn) -> None:
    from ...ops._im2col import clear_workspace

    try:
        clear_workspace()  # the parent's earlier convolutions (other claims) left temporaries there
        result = _trace_forward(model, batch, grad, size)
        if count:
            result["counted"] = count_activations(model, size)
        conn.send(("ok", result))
    except BaseException as exc:  # the parent raises it with the child's message
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _in_fresh_process(model, batch, grad, size, count) -> dict:
    """Run ``_trace_forward`` in a forked copy of this process: it starts with the model built
    and nothing else (no forward has run in the parent), and what it allocates dies with it."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(model, batch, grad, size, count, send))
    child.start()
    send.close()
    status, result = receive.recv() if receive.poll(600) else ("error", "no answer in 600 s")
    child.join(60)
    if status != "ok":
        raise RuntimeError(f"vgg16-memory: tracing the forward at batch {batch} (grad={grad}) "
                           f"failed: {result}")
    return result


def run(settings) -> dict:
    from ... import manual_seed

    size = settings.pick(tiny=32, quick=224, full=224)
    small = settings.size == "tiny"
    manual_seed(0)
    model = build_vgg16(small).eval()
    weights_mb = sum(p.numel() * p.element_size() for p in model.parameters()) / MB
    forwards = [_in_fresh_process(model, b, grad, size, count=not grad and b == BATCHES[0])
                for grad in (False, True) for b in BATCHES]
    counted = next(f.pop("counted") for f in forwards if "counted" in f)
    for f in forwards:
        f["weights_mb"] = weights_mb
    name = ("VGG-16's convolutional part with a 512-64-10 classifier (tests' size)" if small
            else "graphgrad.vision.models.vgg16() (torchvision's configuration D)")
    return {"model": name, "image_size": size, "batches": list(BATCHES), **counted,
            "forwards": forwards,
            "method": "tracemalloc in a fresh forked process per forward (the model built once, "
                      "before any forward): peak traced memory during the forward above that "
                      "traced just before it (weights and input excluded)",
            "lecture": {"parameters": LECTURE_PARAMS, "activations": LECTURE_ACTIVATIONS,
                        "mb_per_image": LECTURE_MB},
            "tolerances": {"parameters": PARAM_TOL, "activations": ACTIVATION_TOL,
                           "bracket": BRACKET_TOL}}


def _forward(metrics, batch, grad) -> dict:
    for f in metrics["forwards"]:
        if f["batch"] == batch and f["grad"] == grad:
            return f
    raise KeyError(f"vgg16-memory: no forward measured at batch {batch}, grad={grad}")


def per_image_mb(metrics, grad: bool) -> float:
    """The measured memory of a forward per image: the slope of the peak between the batches."""
    (b1, b8) = metrics["batches"]
    return (_forward(metrics, b8, grad)["peak_mb"] - _forward(metrics, b1, grad)["peak_mb"]) / (b8 - b1)


def judge(metrics: dict):
    tol = metrics["tolerances"]
    params, table, every = (metrics["parameters"], metrics["activations_table"],
                            metrics["activations_every_layer"])
    slope, slope_nograd = per_image_mb(metrics, True), per_image_mb(metrics, False)
    low, high = 4 * table / MB * (1 - tol["bracket"]), 4 * every / MB * (1 + tol["bracket"])
    b8 = _forward(metrics, metrics["batches"][1], True)
    params_ok = abs(params - LECTURE_PARAMS) <= tol["parameters"] * LECTURE_PARAMS
    acts_ok = abs(table - LECTURE_ACTIVATIONS) <= tol["activations"] * LECTURE_ACTIVATIONS
    measured_ok = low <= slope <= high
    measured = (f"{params / 1e6:.2f}M parameters ({4 * params / MB:.0f} MB); activations per "
                f"{metrics['image_size']}x{metrics['image_size']} image: {table / 1e6:.2f}M as the "
                f"lectures' table counts them ({4 * table / MB:.0f} MB), {every / 1e6:.2f}M counting "
                f"every layer's output ({4 * every / MB:.0f} MB); measured per image (slope of the "
                f"forward's peak, batch 1 to 8): {slope:.0f} MB with grad, {slope_nograd:.0f} MB "
                f"without; batch-8 forward with grad peaks at {b8['peak_mb']:.0f} MB above the "
                f"{b8['weights_mb']:.0f} MB of weights")
    checks = [(params_ok, f"parameters within {100 * tol['parameters']:g}% of 138M"),
              (acts_ok, f"activation count within {100 * tol['activations']:g}% of 24M"),
              (measured_ok, f"measured per-image memory within [{low:.0f}, {high:.0f}] MB (the "
                            "computed table-to-every-layer bracket)")]
    failed = [text for ok, text in checks if not ok]
    if not failed:
        return verdict(HOLDS, measured, "all three: " + "; ".join(t for _, t in checks)
                       + ". Without grad nothing is kept for backward, so memory per image is only "
                       "the transient of the largest layers", robust=True)
    why = "failed: " + "; ".join(failed) + "."
    if not acts_ok:
        why += (f" The lectures' per-layer table itself sums to about {table / 1e6:.1f}M values "
                f"(~{4 * table / MB:.0f} MB), not 24M; counted as every layer's separate output it is "
                f"{every / 1e6:.1f}M.")
    if params_ok and measured_ok:
        why += " The parameter count and the measured memory per image are as computed."
    return verdict(DOES_NOT_HOLD if (not params_ok or not acts_ok) else INCONCLUSIVE, measured, why)


def plot(metrics: dict, path: str) -> None:
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    names = ["lectures\n(24M)", "table's\nlayers", "every\nlayer", "measured\nwith grad",
             "measured\nno grad"]
    values = [LECTURE_MB, 4 * metrics["activations_table"] / MB,
              4 * metrics["activations_every_layer"] / MB, per_image_mb(metrics, True),
              per_image_mb(metrics, False)]
    ax1.bar(names, values, color=["grey", "tab:blue", "tab:blue", "tab:red", "tab:orange"])
    for i, v in enumerate(values):
        ax1.text(i, v, f"{v:.0f}", ha="center", va="bottom")
    ax1.set(ylabel="MB per image", title=f"VGG-16 activations per {metrics['image_size']}px image "
            f"({metrics['parameters'] / 1e6:.1f}M parameters)")
    for grad, colour, label in ((True, "tab:red", "with grad"), (False, "tab:orange", "no grad")):
        fs = sorted((f for f in metrics["forwards"] if f["grad"] == grad), key=lambda f: f["batch"])
        ax2.plot([f["batch"] for f in fs], [f["weights_mb"] + f["peak_mb"] for f in fs],
                 marker="o", color=colour, label=f"weights + forward peak, {label}")
    weights = metrics["forwards"][0]["weights_mb"]
    ax2.axhline(weights, color="grey", linestyle=":", label=f"weights ({weights:.0f} MB)")
    ax2.set(xlabel="batch size", ylabel="traced memory (MB)", title="Measured peak (tracemalloc)")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)


CLAIM = Claim(
    number=10, name="vgg16-memory",
    statement="VGG-16 has 138M parameters and its forward pass holds ~24M activations x 4 bytes ~ "
              "96 MB per 224x224 image",
    source="lectures on CNN architectures (VGGNet memory and parameter table; Simonyan & Zisserman 2015)",
    rule=f"holds when (1) graphgrad's vgg16() has 138M parameters within {100 * PARAM_TOL:g}%, (2) the "
         "activation values per 224x224 image counted as the lectures' table does (input, every conv, "
         f"pool and FC output) are 24M within {100 * ACTIVATION_TOL:g}%, and (3) the measured memory "
         "per image of a forward with grad (tracemalloc, slope of the peak between batch 1 and 8) "
         "lies between 4 bytes x the table's count and 4 bytes x every layer's output count "
         f"(+-{100 * BRACKET_TOL:g}%); does not hold when (1) or (2) fails; inconclusive when only (3) does",
    budget={"quick": "~30 s", "full": "~30 s"},
    run=run, judge=judge, plot=plot,
)
