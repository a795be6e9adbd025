"""The ``graphgrad`` command: list, run, eval, predict, summary, export and more.

Exit status: 0 done; 2 a problem the user can fix (an unknown recipe, a bad setting, a missing or
damaged file, a folder that cannot be written, a full disk), printed as one line starting with
``graphgrad: error:`` and no traceback; 130 interrupted (Ctrl-C); 1 anything else, with its
traceback, because that is a bug in graphgrad and the traceback is what it takes to fix it."""
from __future__ import annotations

import argparse
import errno
import os
import sys

# OSErrors that say something about the machine (space, permissions), not about graphgrad's code.
_ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS,
                       errno.EFBIG, errno.EMFILE, errno.ENFILE}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="graphgrad", description="Train and inspect graphgrad models.",
        epilog="exit status: 0 done; 2 a problem you can fix (one line: 'graphgrad: error: ...'); "
               "130 interrupted; 1 a bug in graphgrad (with its traceback)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("list", help="list the recipes")
    run = sub.add_parser("run", help="train a recipe and write a run folder")
    run.add_argument("recipe")
    run.add_argument("--epochs", type=int)
    run.add_argument("--batch-size", type=int, dest="batch_size")
    run.add_argument("--lr", type=float)
    run.add_argument("--seed", type=int)
    run.add_argument("--data", help="a data folder or file instead of the recipe's default data")
    run.add_argument("--out", default="runs", help="where run folders go (default: ./runs)")
    run.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="override any recipe setting (repeatable)")
    run.add_argument("--quiet", action="store_true", help="no progress bars")
    run.add_argument("--nproc", type=int, metavar="N",
                     help="train data-parallel on N ranks (processes) through mpiexec; the "
                          "batch size stays the global batch (needs the 'distributed' extra)")
    ev = sub.add_parser("eval", help="evaluate a finished run on its test data")
    ev.add_argument("run_dir")
    ev.add_argument("--data")
    pr = sub.add_parser("predict", help="classify image files with a trained run")
    pr.add_argument("run_dir")
    pr.add_argument("images", nargs="+")
    sm = sub.add_parser("summary", help="print a model's layer table")
    sm.add_argument("model", help="a model name from graphgrad.models, e.g. vgg16, resnet18")
    sm.add_argument("--input-size", default=None,
                    help="C,H,W of one input (default: the model's usual input)")
    gen = sub.add_parser("generate", help="sample images from a trained vae/gan/dcgan run")
    gen.add_argument("run_dir")
    gen.add_argument("-n", type=int, default=64, help="how many images (default 64)")
    gen.add_argument("--out", help="PNG path (default: RUN_DIR/plots/generated.png)")
    gen.add_argument("--seed", type=int, help="fix the noise (default: a fresh draw)")
    sa = sub.add_parser("sample", help="generate text from a trained char-rnn run")
    sa.add_argument("run_dir")
    sa.add_argument("--prompt", default="The ", help="text to continue (default 'The ')")
    sa.add_argument("--length", type=int, default=500, help="characters to generate (default 500)")
    sa.add_argument("--temperature", type=float, default=0.8,
                    help="softmax temperature; 0 is greedy (default 0.8)")
    sa.add_argument("--top-k", type=int, dest="top_k", help="sample among the k likeliest only")
    sa.add_argument("--seed", type=int, help="fix the draw (default: a fresh one)")
    nb = sub.add_parser("neighbors", help="nearest words (and analogies) in a trained word2vec run")
    nb.add_argument("run_dir")
    nb.add_argument("words", nargs="*", metavar="WORD")
    nb.add_argument("-k", type=int, default=10, help="how many neighbours (default 10)")
    nb.add_argument("--analogy", nargs=3, metavar=("A", "B", "C"),
                    help="A is to B as C is to ? (answered by B - A + C)")
    nb.add_argument("--model", choices=["skipgram", "cbow"],
                    help="which of the run's models (default: its first)")
    _add_export_parser(sub)
    _add_claims_parser(sub)
    pg = sub.add_parser("playground", help="the neural-network playground in the browser (local web server)")
    pg.add_argument("--port", type=int, default=8000,
                    help="port to listen on; 0 picks a free one (default 8000)")
    pg.add_argument("--host", default="127.0.0.1",
                    help="address to listen on (default 127.0.0.1: this computer only)")
    pg.add_argument("--no-browser", action="store_true", dest="no_browser",
                    help="do not open the page in a browser")
    return p


def _add_export_parser(sub) -> None:
    ex = sub.add_parser("export", help="write a trained classifier run as an ONNX model")
    ex.add_argument("run_dir")
    ex.add_argument("--onnx", required=True, metavar="FILE", help="the .onnx file to write")
    ex.add_argument("--opset", type=int, help="ONNX opset version (default 18)")


def _add_claims_parser(sub) -> None:
    cl = sub.add_parser("claims", help="test the lectures' claims with small experiments; write a report")
    cl.add_argument("names", nargs="*", metavar="NAME", help="claims to run (default: all; see --list)")
    cl.add_argument("--quick", action="store_true",
                    help="the quick settings: the whole set in about 10 minutes on 2 cores")
    cl.add_argument("--seed", type=int, default=0,
                    help="base seed; a claim uses seed, seed+1, ... (default 0)")
    cl.add_argument("--data", help="a folder holding mnist/ (full MNIST) and/or cifar-10-batches-bin/; "
                                   "default: the MNIST sample that installs with graphgrad")
    cl.add_argument("--out", default="runs", help="where the run folder goes (default: ./runs)")
    cl.add_argument("--list", action="store_true", help="list the claims and their time budgets")
    cl.add_argument("--check", metavar="FOLDER",
                    help="re-derive the verdicts in FOLDER/claims.json by each claim's rule; exit 1 "
                         "on any mismatch")


def main(argv=None) -> int:
    from .recipes.registry import UsageError
    from .serialization import SerializationError
    from .train import CheckpointWriteError

    parser = _parser()
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    args = parser.parse_args(argv)
    args.argv = argv
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return _COMMANDS[args.command](args)
    except (UsageError, SerializationError) as exc:  # a damaged file is one the user can replace
        return _error(str(exc))
    except CheckpointWriteError as exc:  # its message says which file, why, and what was kept
        return _error(str(exc))
    except OSError as exc:
        if exc.errno not in _ENVIRONMENT_ERRNOS:
            raise
        if exc.filename is None:  # a message of its own (what a failed checkpoint write kept)
            return _error(str(exc))
        return _error(f"{exc.filename}: {exc.strerror}")
    except MemoryError as exc:  # a batch, an image or an input size too large for this machine
        return _error(f"out of memory: {exc}" if str(exc) else "out of memory")
    except KeyboardInterrupt:
        print("graphgrad: interrupted", file=sys.stderr)
        return 130


def _error(message: str) -> int:
    """Print ``message`` as the one line a user error gets, and return its exit status."""
    print(f"graphgrad: error: {' '.join(message.split())}", file=sys.stderr)
    return 2


def _cmd_list(args) -> int:
    from .recipes import RECIPES

    width = max(len(n) for n in RECIPES)
    for name, recipe in sorted(RECIPES.items()):
        print(f"{name:<{width}}  {recipe.description}")
    return 0


def _cmd_run(args) -> int:
    from .recipes import ranks, run_recipe
    from .recipes.registry import UsageError, parse_value

    overrides = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise UsageError(f"--set expects KEY=VALUE, got {item!r}")
        overrides[key] = parse_value(value)
    for key in ("epochs", "batch_size", "lr", "seed", "data"):
        value = getattr(args, key)
        if value is not None:
            overrides[key] = value
    if args.data is not None and not os.path.exists(args.data):
        raise UsageError(f"--data {args.data}: no such file or folder")
    if args.nproc is not None and args.nproc < 1:
        raise UsageError(f"--nproc must be at least 1, got {args.nproc}")
    if not ranks.joined(args.nproc):
        if args.nproc is not None and args.nproc > 1:
            ranks.check_launch(args.recipe, overrides, args.resume, args.nproc)
            return ranks.launch(args.nproc, _rank_args(args))
        run_recipe(args.recipe, overrides, out=args.out, resume=args.resume,
                   progress=not args.quiet)
        return 0
    try:  # one of several ranks: a failure here must end every rank
        run_recipe(args.recipe, overrides, out=args.out, resume=args.resume,
                   progress=not args.quiet)
    except BaseException as exc:  # every failure, Ctrl-C included, ends every rank
        ranks.end_every_rank(*_rank_failure(exc))
    return 0


def _rank_args(args) -> list[str]:
    """The ``graphgrad run`` arguments each rank gets: these, with absolute paths, without
    ``--nproc``."""
    out = [args.recipe, "--out", os.path.abspath(args.out)]
    for flag, value in (("--epochs", args.epochs), ("--batch-size", args.batch_size),
                        ("--lr", args.lr), ("--seed", args.seed)):
        if value is not None:
            out += [flag, repr(value)]
    if args.data is not None:
        out += ["--data", os.path.abspath(args.data)]
    if args.resume is not None:
        out += ["--resume", os.path.abspath(args.resume)]
    for item in args.set:
        out += ["--set", item]
    return out + (["--quiet"] if args.quiet else [])


def _rank_failure(exc: BaseException) -> tuple[int, str]:
    """The exit status and the message ``main`` gives ``exc``, for a rank that must end them all."""
    import traceback

    from .recipes.registry import UsageError
    from .serialization import SerializationError
    from .train import CheckpointWriteError

    if isinstance(exc, KeyboardInterrupt):
        return 130, "graphgrad: interrupted"
    if isinstance(exc, (UsageError, SerializationError, CheckpointWriteError, MemoryError)) or (
            isinstance(exc, OSError) and exc.errno in _ENVIRONMENT_ERRNOS):
        what = str(exc) or type(exc).__name__
        if isinstance(exc, OSError) and exc.filename is not None and not isinstance(
                exc, CheckpointWriteError):
            what = f"{exc.filename}: {exc.strerror}"
        return 2, f"graphgrad: error: {' '.join(what.split())}"
    return 1, "".join(traceback.format_exception(exc)).rstrip()


def _cmd_eval(args) -> int:
    from .recipes import evaluate_run
    from .recipes.registry import UsageError

    if args.data is not None and not os.path.exists(args.data):
        raise UsageError(f"--data {args.data}: no such file or folder")
    evaluate_run(args.run_dir, data=args.data)
    return 0


def _cmd_predict(args) -> int:
    from .recipes import predict_images

    for p in predict_images(args.run_dir, args.images):
        note = f"; {p.note}" if p.note else ""
        print(f"{p.path}: {p.label} ({p.probability:.3f}{note})")
    return 0


def _cmd_summary(args) -> int:
    from .models import summary
    from .recipes.registry import UsageError
    from .recipes.zoo import build_for_summary

    model, input_size = build_for_summary(args.model, args.input_size)
    if len(input_size) != 3 or any(n < 1 for n in input_size):
        raise UsageError(f"--input-size expects positive C,H,W such as 3,224,224, got "
                         f"{args.input_size!r}")
    try:
        table = summary(model, input_size)
    except (RuntimeError, ValueError) as exc:  # the model's own check of the input's shape
        raise UsageError(f"summary: {args.model} does not take inputs of size "
                         f"{','.join(map(str, input_size))}: {exc}") from None
    print(table)
    return 0


def _cmd_generate(args) -> int:
    from .recipes.generative import generate
    from .recipes.registry import UsageError
    from .recipes.runs import open_run

    open_run(args.run_dir, "generate")  # a mistyped folder must not be created by opening it
    if args.out is not None and os.path.isdir(args.out):
        raise UsageError(f"generate: --out {args.out} is a folder; name the PNG file to write")
    path = generate(args.run_dir, n=args.n, out=args.out, seed=args.seed)
    print(f"wrote {args.n} samples: {path}")
    return 0


def _cmd_sample(args) -> int:
    from .recipes.runs import open_run
    from .recipes.sequence import sample_run

    open_run(args.run_dir, "sample")
    print(sample_run(args.run_dir, args.prompt, args.length, args.temperature, args.top_k,
                     args.seed))
    return 0


def _cmd_neighbors(args) -> int:
    from .recipes.registry import UsageError
    from .recipes.runs import open_run
    from .recipes.word2vec_recipe import query_run

    if not args.words and not args.analogy:
        raise UsageError("neighbors: give at least one WORD or --analogy A B C")
    if args.k < 1:
        raise UsageError(f"neighbors: -k must be at least 1, got {args.k}")
    open_run(args.run_dir, "neighbors")
    for line in query_run(args.run_dir, args.words, args.analogy, args.k, args.model):
        print(line)
    return 0


def _cmd_export(args) -> int:
    from .recipes.export import export_run

    print(export_run(args.run_dir, args.onnx, args.opset))
    return 0


def _cmd_playground(args) -> int:
    from .recipes.registry import UsageError

    if not 0 <= args.port <= 65535:
        raise UsageError(f"playground: --port must be 0 to 65535, got {args.port}")
    try:
        from .playground.server import serve
    except ImportError as exc:  # aiohttp (and threadpoolctl) come with an optional extra
        if (exc.name or "graphgrad").startswith("graphgrad"):
            raise
        raise UsageError(f"playground: needs {exc.name}: pip install 'graphgrad[playground]'") from None
    try:
        serve(args.host, args.port, open_browser=not args.no_browser)
    except OSError as exc:  # the port is taken, or the address is not this machine's
        raise UsageError(f"playground: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}; "
                         "try another --port (0 picks a free one)") from None
    return 0


def _cmd_claims(args) -> int:
    import shlex
    import traceback

    from .claims.runner import ClaimFailed, check_folder, run_claims, select_claims
    from .recipes.registry import UsageError

    if args.list:
        for c in select_claims(args.names):
            print(f"{c.number:>2}. {c.name}: {c.statement}")
            print(f"    budget: quick {c.budget['quick']}, full {c.budget['full']}")
        return 0
    if args.check:
        if args.names or args.quick:
            raise UsageError("claims --check FOLDER takes no claim names and no --quick")
        agreeing, mismatches = check_folder(args.check)
        for line in agreeing:
            print(f"ok        {line}")
        for line in mismatches:
            print(f"MISMATCH  {line}")
        print(f"claims --check: {len(agreeing)} verdict(s) re-derived, {len(mismatches)} mismatch(es)")
        return 1 if mismatches else 0
    command = shlex.join(["graphgrad", *args.argv])  # as typed, for the report's header
    try:
        path = run_claims(args.names, size="quick" if args.quick else "full", seed=args.seed,
                          data=args.data, out=args.out, command=command,
                          progress=lambda line: print(line, flush=True))
    except ClaimFailed as exc:  # a bug in that claim's code: its traceback, then the one line
        traceback.print_exception(exc.__cause__)
        print(f"graphgrad: error: {exc} (the finished claims are kept in the run folder)",
              file=sys.stderr)
        return 1
    print(f"report: {os.path.join(path, 'report.md')}")
    return 0


_COMMANDS = {"list": _cmd_list, "run": _cmd_run, "eval": _cmd_eval, "predict": _cmd_predict,
             "summary": _cmd_summary, "generate": _cmd_generate, "sample": _cmd_sample,
             "neighbors": _cmd_neighbors, "export": _cmd_export, "playground": _cmd_playground,
             "claims": _cmd_claims}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
