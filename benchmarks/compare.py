"""graphgrad against PyTorch as users see them: one fresh process per contender and run.

Each run is ``run_workload.py`` (or, with ``--programs``, a whole PyTorch program) in its own
process, importing one library and training, with that library's default allocator and threads;
the contenders alternate (PyTorch, graphgrad, PyTorch, graphgrad, ...), the table shows medians,
and the OpenBLAS kernel variables of ../shared/PERF.md are unset for the children only.

    python benchmarks/compare.py                        # every workload, 2 threads, 3 runs each
    python benchmarks/compare.py -w cnn-train,char-lstm --threads 1 --repeats 5
    python benchmarks/compare.py --programs             # the whole programs, timed end to end

Throughput excludes start-up (import, model building and warm-up); the programs' times include
everything, as a user waits for them. Peak RSS is each child's, from the kernel (wait4). The table
and a JSON file (``--json``) say when, on what and under which load they were measured.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

from _common import child_env
from workloads import WORKLOADS

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CONTENDERS = ("torch", "graphgrad")  # PyTorch runs first in every round

# The targets, graphgrad / PyTorch throughput on 2 threads (None: no target).
TARGETS = {"mlp": 2.0, "cnn-train": 1.0, "cnn-infer": 1.2, "char-lstm": 0.6, "gru": 0.6,
           "dcgan": 0.8, "resnet20": 0.8, "op-overhead": None}


def run_child(cmd: list, env: dict, cwd: str, timeout: float) -> dict:
    """Run ``cmd`` to completion; return its output, wall seconds and peak RSS (MiB, from wait4)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                _, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {"returncode": proc.returncode, "stdout": out.read(), "stderr": err.read(),
                "wall_s": wall, "peak_rss_mib": usage.ru_maxrss / 1024,
                "cpu_s": usage.ru_utime + usage.ru_stime}


def _median(runs: list, key: str):
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


# ------------------------------------------------------------------------------------ workloads
def measure_workload(name: str, args, env: dict) -> dict:
    runs = {c: [] for c in CONTENDERS}
    for _ in range(args.repeats):
        for lib in CONTENDERS:
            cmd = [sys.executable, os.path.join(HERE, "run_workload.py"), lib, name,
                   "--seconds", str(args.seconds), "--warmup", str(args.warmup)]
            if args.tiny:
                cmd.append("--tiny")
            child = run_child(cmd, env, HERE, args.timeout)
            if child["returncode"] != 0:
                raise RuntimeError(f"{lib} {name} failed (exit {child['returncode']}):\n"
                                   f"{child['stderr'][-3000:]}")
            result = json.loads(child["stdout"].strip().splitlines()[-1])
            result["peak_rss_mib"] = child["peak_rss_mib"]
            result["process_wall_s"] = child["wall_s"]
            runs[lib].append(result)
    summary = {"workload": name, "about": runs["graphgrad"][0]["about"],
               "unit": runs["graphgrad"][0]["unit"], "target": TARGETS.get(name), "runs": runs}
    for lib in CONTENDERS:
        summary[lib] = {k: _median(runs[lib], k) for k in
                        ("throughput", "cpu_throughput", "step_ms", "startup_s", "peak_rss_mib")}
    t, g = summary["torch"], summary["graphgrad"]
    summary["ratio"] = g["throughput"] / t["throughput"]
    summary["cpu_ratio"] = g["cpu_throughput"] / t["cpu_throughput"]
    return summary


def print_workload_table(rows: list) -> None:
    print(f"\n{'workload':12s} {'unit':9s} {'PyTorch':>10s} {'graphgrad':>10s} {'ratio':>6s} "
          f"{'target':>6s} {'CPU ratio':>9s} {'RSS torch':>9s} {'RSS gg':>7s}")
    for r in rows:
        target = f"{r['target']:.1f}x" if r["target"] else "-"
        print(f"{r['workload']:12s} {r['unit']:9s} {r['torch']['throughput']:10.0f} "
              f"{r['graphgrad']['throughput']:10.0f} {r['ratio']:5.2f}x {target:>6s} "
              f"{r['cpu_ratio']:8.2f}x {r['torch']['peak_rss_mib']:7.0f}Mi "
              f"{r['graphgrad']['peak_rss_mib']:5.0f}Mi")
    print("\nratio: graphgrad / PyTorch median throughput (wall clock, start-up excluded); CPU ratio:"
          " the same for items per CPU second\n(all threads); RSS: peak resident memory of the whole"
          " process.")
    for r in rows:
        print(f"  {r['workload']}: {r['about']}")


# ------------------------------------------------------------------------------------- programs
def graphgrad_source(source: str) -> str:
    """A PyTorch program ported to graphgrad by changing its import lines, and nothing else."""
    source = re.sub(r"^import torch$", "import graphgrad as torch", source, flags=re.M)
    source = re.sub(r"^import torch\.([\w.]+) as (\w+)$", r"import graphgrad.\1 as \2", source,
                    flags=re.M)
    return re.sub(r"^from torch(\.[\w.]*)? import ", r"from graphgrad\1 import ", source, flags=re.M)


def program_list(data: str, tiny: bool) -> list:
    """(name, file, arguments, about) of each whole program; MNIST ones need ../shared's data."""
    import pydoc_data

    mnist = os.path.join(data, "mnist")
    corpus = os.path.join(os.path.dirname(pydoc_data.__file__), "topics.py")
    n_train, n_test, n_gan, tokens = (256, 128, 128, 3000) if tiny else (6000, 1000, 6000, 10 ** 9)
    return [
        ("mnist-cnn", "mnist_cnn.py", ["--data", mnist, "--train-limit", str(n_train),
                                       "--test-limit", str(n_test)],
         f"pytorch/examples MNIST CNN, Adadelta, 1 epoch of {n_train} images + test on {n_test}",
         os.path.isdir(mnist)),
        ("dcgan", "dcgan.py", ["--data", mnist, "--limit", str(n_gan), "--epochs", "2"],
         f"DCGAN on MNIST 28x28, batch 64, 2 epochs of {n_gan} images", os.path.isdir(mnist)),
        ("word-lm", "word_language_model.py", ["--data", corpus, "--max-tokens", str(tokens)],
         "word-level LSTM LM (2x200, bptt 35, batch 20), 1 epoch of Python's pydoc topics text",
         True),
    ]


def measure_programs(args, env: dict) -> list:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, file, prog_args, about, available in program_list(args.data, args.tiny):
            if not available:
                print(f"skipping {name}: no MNIST under {args.data} (../shared/data)")
                continue
            with open(os.path.join(HERE, "programs", file)) as f:
                source = f.read()
            ported = os.path.join(tmp, f"graphgrad_{file}")
            with open(ported, "w") as f:
                f.write(graphgrad_source(source))
            scripts = {"torch": os.path.join(HERE, "programs", file), "graphgrad": ported}
            runs = {c: [] for c in CONTENDERS}
            for _ in range(args.repeats):
                for lib in CONTENDERS:
                    child = run_child([sys.executable, scripts[lib], *prog_args], env, REPO,
                                      args.timeout)
                    if child["returncode"] != 0:
                        raise RuntimeError(f"{lib} program {name} failed:\n{child['stderr'][-3000:]}")
                    last = child["stdout"].strip().splitlines()[-1:]
                    runs[lib].append({"wall_s": child["wall_s"], "cpu_s": child["cpu_s"],
                                      "peak_rss_mib": child["peak_rss_mib"],
                                      "last_line": last[0] if last else ""})
            row = {"program": name, "about": about, "runs": runs}
            for lib in CONTENDERS:
                row[lib] = {k: _median(runs[lib], k) for k in ("wall_s", "cpu_s", "peak_rss_mib")}
            row["ratio"] = row["torch"]["wall_s"] / row["graphgrad"]["wall_s"]
            rows.append(row)
    return rows


def print_program_table(rows: list) -> None:
    print(f"\n{'program':10s} {'PyTorch s':>9s} {'graphgrad s':>11s} {'ratio':>6s} "
          f"{'RSS torch':>9s} {'RSS gg':>7s}")
    for r in rows:
        print(f"{r['program']:10s} {r['torch']['wall_s']:9.1f} {r['graphgrad']['wall_s']:11.1f} "
              f"{r['ratio']:5.2f}x {r['torch']['peak_rss_mib']:7.0f}Mi "
              f"{r['graphgrad']['peak_rss_mib']:5.0f}Mi")
    print("\nratio: PyTorch's end-to-end wall time / graphgrad's (above 1: graphgrad is faster); the"
          " same program, ported by its import lines.")
    for r in rows:
        print(f"  {r['program']}: {r['about']}\n    last line: torch {r['runs']['torch'][0]['last_line']!r}"
              f"\n               graphgrad {r['runs']['graphgrad'][0]['last_line']!r}")


def markdown(path: str) -> str:
    """The table of a results file as Markdown, for docs/performance.md."""
    with open(path) as f:
        report = json.load(f)
    m = report["machine"]
    lines = [f"Measured {m['date']} on {m['cpus']} CPUs ({m['cpu']}), {m['threads']} thread(s), "
             f"{report['repeats']} alternated runs each, medians; load average "
             f"{m['load_before'][0]:.1f} before, {m['load_after'][0]:.1f} after; graphgrad at "
             f"{m['graphgrad_commit']}, torch {m['torch']}, numpy {m['numpy']}. "
             f"Command: `{m['command']}`.", ""]
    if report["mode"] == "programs":
        lines += ["| program | PyTorch (s) | graphgrad (s) | PyTorch time / graphgrad time | peak RSS "
                  "PyTorch / graphgrad |", "|---|---:|---:|---:|---:|"]
        for r in report["results"]:
            lines.append(f"| {r['program']}: {r['about']} | {r['torch']['wall_s']:.1f} | "
                         f"{r['graphgrad']['wall_s']:.1f} | **{r['ratio']:.2f}x** | "
                         f"{r['torch']['peak_rss_mib']:.0f} / {r['graphgrad']['peak_rss_mib']:.0f} MiB |")
        return "\n".join(lines)
    lines += ["| workload | unit | PyTorch | graphgrad | ratio | target | CPU-time ratio | peak RSS "
              "PyTorch / graphgrad |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in report["results"]:
        target = f"{r['target']:.1f}x" if r["target"] else "-"
        lines.append(f"| {r['workload']}: {r['about']} | {r['unit']} | {r['torch']['throughput']:,.0f} | "
                     f"{r['graphgrad']['throughput']:,.0f} | **{r['ratio']:.2f}x** | {target} | "
                     f"{r['cpu_ratio']:.2f}x | {r['torch']['peak_rss_mib']:.0f} / "
                     f"{r['graphgrad']['peak_rss_mib']:.0f} MiB |")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------ the report
def machine_report(threads) -> dict:
    import numpy

    try:
        commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = "?"
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")),
                       "?")
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        torch_version = version("torch")
    except PackageNotFoundError:
        torch_version = "not installed"
    return {"date": datetime.datetime.now().isoformat(timespec="seconds"),
            "host": platform.node(), "cpu": cpu, "cpus": os.cpu_count(),
            "python": platform.python_version(), "numpy": numpy.__version__, "torch": torch_version,
            "graphgrad_commit": commit, "threads": threads or "library defaults",
            "load_before": os.getloadavg()}


def print_header(report: dict, rows: list) -> None:
    def pools(lib):
        for r in rows:
            first = r["runs"][lib][0] if "runs" in r else None
            if first and "blas" in first:
                return (", ".join(f"{p['api']} {p['version']} {p['kernel']} x{p['threads']}"
                                  for p in first["blas"]) or "none",
                        first.get("version"), first.get("num_threads"))
        return "?", "?", "?"

    print(f"\n{report['date']}  {report['cpu']} ({report['cpus']} CPUs)  Python {report['python']}, "
          f"numpy {report['numpy']}, torch {report['torch']}, graphgrad at {report['graphgrad_commit']}")
    print(f"threads: {report['threads']}; load average before "
          f"{'/'.join(f'{x:.2f}' for x in report['load_before'])}, after "
          f"{'/'.join(f'{x:.2f}' for x in report['load_after'])}")
    for lib in CONTENDERS:
        blas, version, threads = pools(lib)
        if version != "?":
            print(f"{lib} {version}: get_num_threads() {threads}; pools: {blas}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-w", "--workloads", default=",".join(WORKLOADS),
                        help=f"comma-separated, from: {', '.join(WORKLOADS)}")
    parser.add_argument("--programs", action="store_true",
                        help="time the whole PyTorch programs (benchmarks/programs/) instead")
    parser.add_argument("--threads", type=int, default=2,
                        help="threads of every pool (OMP/OPENBLAS/MKL_NUM_THREADS); 0: defaults")
    parser.add_argument("--repeats", type=int, default=3, help="runs per contender")
    parser.add_argument("--seconds", type=float, default=3.0, help="timed seconds per run")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds per run")
    parser.add_argument("--tiny", action="store_true", help="tiny sizes (a smoke test)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before a run is killed")
    parser.add_argument("--data", default=os.path.join(os.path.dirname(REPO), "shared", "data"),
                        help="folder with mnist/ (../shared/data)")
    parser.add_argument("--json", default=os.path.join(HERE, "results", "compare.json"),
                        help="where to write the results")
    parser.add_argument("--markdown", metavar="JSON",
                        help="print the table of an earlier results file as Markdown, and exit")
    args = parser.parse_args()
    if args.markdown:
        print(markdown(args.markdown))
        return
    env = child_env(args.threads)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (REPO, env.get("PYTHONPATH")) if p)
    report = machine_report(args.threads)
    if args.programs:
        rows = measure_programs(args, env)
    else:
        names = [w.strip() for w in args.workloads.split(",") if w.strip()]
        unknown = [w for w in names if w not in WORKLOADS]
        if unknown:
            parser.error(f"unknown workload(s) {unknown}; choose from {list(WORKLOADS)}")
        rows = []
        for name in names:
            rows.append(measure_workload(name, args, env))
            print(f"{name}: graphgrad / PyTorch {rows[-1]['ratio']:.2f}x", flush=True)
    report["load_after"] = os.getloadavg()
    report["command"] = " ".join(["python", "benchmarks/compare.py", *sys.argv[1:]])
    print_header(report, rows)
    if args.programs:
        print_program_table(rows)
    else:
        print_workload_table(rows)
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    tmp = args.json + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"machine": report, "repeats": args.repeats, "seconds": args.seconds,
                   "mode": "programs" if args.programs else "workloads", "results": rows}, f, indent=1)
    os.replace(tmp, args.json)
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
