"""Run pytorch/examples' programs on PyTorch and on graphgrad, the graphgrad copy changed only in
its import lines, and print a table of their results and times.

    python tools/run_pytorch_examples.py PATH/TO/pytorch-examples --mnist DIR [--only a,b]
        [--torchvision DIR] [--seed-noise] [--work DIR] [--timeout S]

Each program is copied twice into a work folder: as it is (run with ``python``, so with PyTorch)
and with every ``import torch...``/``torchvision...`` line rewritten to graphgrad's
(tools/pytorch_examples/rewrite_imports.py). Inputs the programs would download come from local
files (--mnist: a folder with MNIST's four ``.gz`` IDX files; WikiText-2 and images from the
checkout itself). Each run is its own process; the table shows each framework's result, wall time
and CPU time (its children's), and whether graphgrad's result is within the program's tolerance of
PyTorch's. ``--seed-noise`` runs PyTorch again with another seed, to show how far results move
from seed alone. Not part of the test suite: it needs the checkout and takes minutes.
"""
from __future__ import annotations

import argparse
import glob
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "pytorch_examples"))

import data as example_data  # noqa: E402
from programs import CORPUS, PROGRAMS  # noqa: E402
from rewrite_imports import rewrite_imports  # noqa: E402

# fast_neural_style: the same TransformerNet weights for both frameworks, drawn with NumPy and
# saved as a state_dict by each framework's own torch.save (run in that framework's process)
SAME_WEIGHTS = '''
import os, sys
import numpy as np
import torch
sys.path.insert(0, "neural_style")
from transformer_net import TransformerNet
rng = np.random.default_rng(0)
state = {}
for name, value in TransformerNet().state_dict().items():
    shape = tuple(value.shape)
    if name.endswith("weight") and len(shape) == 4:
        bound = 1.0 / np.sqrt(np.prod(shape[1:]))
        array = rng.uniform(-bound, bound, shape)
    elif name.startswith("in") or ".in" in name:
        array = (1.0 if name.endswith("weight") else 0.0) + 0.1 * rng.standard_normal(shape)
    else:
        array = 0.05 * rng.standard_normal(shape)
    if name.startswith("deconv3"):  # spread the output image over 0..255
        array = 128.0 + 10.0 * array if name.endswith("bias") else 60.0 * array
    state[name] = torch.from_numpy(array.astype(np.float32))
os.makedirs("saved_models", exist_ok=True)
torch.save(state, "saved_models/same-weights.pth")
'''


def copy_example(checkout: str, folder: str, dest: str, framework: str) -> str:
    """Copy one example folder, rewriting the imports of its .py files for graphgrad."""
    target = os.path.join(dest, folder)
    shutil.copytree(os.path.join(checkout, folder), target, dirs_exist_ok=True)
    if framework == "graphgrad":
        for path in glob.glob(os.path.join(target, "**", "*.py"), recursive=True):
            with open(path, encoding="utf8") as f:
                source = f.read()
            with open(path, "w", encoding="utf8") as f:
                f.write(rewrite_imports(source))
    return target


def prepare_inputs(program, checkout: str, root: str, folder: str, args) -> None:
    """Write what the program would download (MNIST subset, corpus, images) into its folders."""
    if program.mnist is not None:
        if not args.mnist:
            raise SystemExit(f"{program.name} needs MNIST: pass --mnist DIR (a folder with "
                             "train-images-idx3-ubyte.gz and the other three files)")
        name = "data-gan" if program.name == "dcgan" else "data"
        data_root = os.path.join(root, f"{name}-{program.name}")
        example_data.write_mnist_subset(args.mnist, data_root, *program.mnist)
        for link in (os.path.join(root, name), os.path.join(folder, "data")):
            if os.path.lexists(link):
                os.remove(link)
            os.symlink(data_root, link)
    if "corpus" in program.needs:
        example_data.write_word_corpus(os.path.join(checkout, "word_language_model", "data",
                                                    "wikitext-2"),
                                       os.path.join(folder, "small-corpus"), *CORPUS)
    if "bsds" in program.needs:
        images = glob.glob(os.path.join(checkout, "fast_neural_style", "images", "*", "*.jpg"))
        example_data.write_image_folder(images, os.path.join(folder, "dataset"), 2, 300)
    if "style" in program.needs:
        example_data.write_small_image(os.path.join(checkout, "fast_neural_style", "images",
                                                    "content-images", "amber.jpg"),
                                       os.path.join(folder, "small-content.png"), 256)


def environment(program, framework: str, args) -> dict:
    env = dict(os.environ)
    paths = [REPO] if framework == "graphgrad" else []
    if framework == "torch" and args.torchvision:
        paths += [args.torchvision, os.path.join(HERE, "pytorch_examples", "torch_site")]
    env["PYTHONPATH"] = os.pathsep.join(paths + [env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["MPLBACKEND"] = "Agg"
    if framework == "torch":
        env.update(dict(program.torch_env))
    return env


def run_step(command: list, cwd: str, env: dict, timeout: float, log) -> tuple:
    """Run one command; return (returncode, stdout+stderr, wall seconds, CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=timeout)
        code, out = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as err:
        parts = [p.decode(errors="replace") if isinstance(p, bytes) else p
                 for p in (err.stdout, err.stderr) if p]
        code, out = f"timeout ({timeout:.0f} s)", "".join(parts)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    log.write(f"$ (cd {cwd} && {' '.join(command)})  # rc={code} wall={wall:.1f}s\n{out}\n")
    return code, out, wall, cpu


def image_stats(path: str) -> dict:
    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(path), dtype=np.float64)
    return {"output mean": pixels.mean(), "output std": pixels.std(), "_pixels": pixels}


def run_program(program, framework: str, args, seed_value=None) -> dict:
    """Copy, prepare and run one program on one framework; return its metrics and times."""
    root = os.path.join(args.work, framework + ("-seed" if seed_value else ""))
    os.makedirs(root, exist_ok=True)
    folder = copy_example(args.checkout, program.folder, root, framework)
    prepare_inputs(program, args.checkout, root, folder, args)
    env = environment(program, framework, args)
    log_path = os.path.join(root, program.name.replace(" ", "_") + ".log")
    result = {"wall": 0.0, "cpu": 0.0, "ok": True, "log": log_path}
    with open(log_path, "w") as log:
        steps = list(program.steps)
        if "style" in program.needs:
            script = SAME_WEIGHTS if framework == "torch" else rewrite_imports(SAME_WEIGHTS)
            with open(os.path.join(folder, "make_same_weights.py"), "w") as f:
                f.write(script)
            steps.insert(0, type(steps[0])("make_same_weights.py", []))
        text = ""
        for step in steps:
            extra = list(step.args)
            if seed_value is not None and step is program.steps[0]:
                extra += [program.seed_flag[0], seed_value]
            code, out, wall, cpu = run_step([sys.executable, step.script] + extra,
                                            os.path.join(folder, step.cwd), env, args.timeout, log)
            text += out
            if step.script != "make_same_weights.py":
                result["wall"] += wall
                result["cpu"] += cpu
            if code != 0:
                result["ok"] = False
                result["error"] = f"{step.script} exited {code}: " + _last_line(out)
                break
    result.update(program.metrics(text))
    if program.output_image and result["ok"]:
        result.update(image_stats(os.path.join(folder, program.output_image)))
    return result


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:160] if lines else "(no output)"


def _fmt(value) -> str:
    if value is None:
        return "-"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def verdict(program, torch_result: dict, gg_result: dict) -> str:
    if not gg_result["ok"]:
        return "FAILS: " + gg_result.get("error", "")
    if not torch_result["ok"]:
        return "PyTorch fails: " + torch_result.get("error", "")
    far = []
    for name, tol in program.tolerance.items():
        a, b = torch_result.get(name), gg_result.get(name)
        if a is None or b is None:
            far.append(f"{name} missing")
        elif abs(a - b) > tol:
            far.append(f"{name} off by {abs(a - b):.3g} (> {tol:g})")
    if "_pixels" in torch_result and "_pixels" in gg_result:
        diff = abs(torch_result["_pixels"] - gg_result["_pixels"]).max()
        if diff > 1:
            far.append(f"images differ by up to {diff:.0f}/255")
        else:
            return f"match (images equal within {diff:.0f}/255)"
    return "match" if not far else "DIFFERS: " + "; ".join(far)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", help="a checkout of github.com/pytorch/examples")
    parser.add_argument("--mnist", help="folder with MNIST's four .gz IDX files")
    parser.add_argument("--only", help="comma-separated program names (default: all)")
    parser.add_argument("--torchvision", help="folder to put on the PyTorch side's path for "
                        "torchvision (e.g. a pip --target folder), if it is not installed")
    parser.add_argument("--work", help="work folder (default: a new temporary folder)")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per command")
    parser.add_argument("--seed-noise", action="store_true",
                        help="also run PyTorch with another seed, to show seed-to-seed noise")
    parser.add_argument("--frameworks", default="torch,graphgrad")
    args = parser.parse_args(argv)
    args.checkout = os.path.abspath(args.checkout)
    args.mnist = os.path.abspath(args.mnist) if args.mnist else None
    args.work = os.path.abspath(args.work or tempfile.mkdtemp(prefix="pytorch-examples-"))
    wanted = set(args.only.split(",")) if args.only else None
    programs = [p for p in PROGRAMS if wanted is None or p.name in wanted or p.folder in wanted]
    if not programs:
        raise SystemExit(f"no program matches --only {args.only}; known: "
                         + ", ".join(p.name for p in PROGRAMS))
    frameworks = args.frameworks.split(",")
    print(f"work folder {args.work}; load {os.getloadavg()[0]:.2f}", flush=True)
    rows = []
    for program in programs:
        results = {fw: run_program(program, fw, args) for fw in frameworks}
        if args.seed_noise and program.seed_flag and "torch" in frameworks:
            results["torch seed"] = run_program(program, "torch", args, program.seed_flag[1])
        rows.append((program, results))
        _print_row(program, results, frameworks)
    print()
    print(_table(rows, frameworks, args.seed_noise))
    return 0


def _summary(program, result: dict) -> str:
    if not result["ok"]:
        return "fails"
    return ", ".join(f"{name} {_fmt(result.get(name))}" for name in program.headline)


def _print_row(program, results: dict, frameworks) -> None:
    for fw, result in results.items():
        state = "" if result["ok"] else "  " + result.get("error", "")
        print(f"{program.name:28s} {fw:11s} {_summary(program, result)}  "
              f"[{result['wall']:.1f}s wall, {result['cpu']:.1f}s CPU]{state}", flush=True)


def _table(rows, frameworks, seed_noise: bool) -> str:
    head = ["program", "PyTorch result", "graphgrad result", "PyTorch s (CPU s)",
            "graphgrad s (CPU s)", "time ratio", "verdict"]
    if seed_noise:
        head.insert(3, "PyTorch, other seed")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for program, results in rows:
        pt, gg = results.get("torch"), results.get("graphgrad")
        cells = [program.name, _summary(program, pt) if pt else "-",
                 _summary(program, gg) if gg else "-",
                 f"{pt['wall']:.1f} ({pt['cpu']:.1f})" if pt else "-",
                 f"{gg['wall']:.1f} ({gg['cpu']:.1f})" if gg else "-",
                 f"{gg['wall'] / pt['wall']:.2f}x" if pt and gg and pt["wall"] else "-",
                 verdict(program, pt, gg) if pt and gg else "-"]
        if seed_noise:
            other = results.get("torch seed")
            cells.insert(3, _summary(program, other) if other else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
