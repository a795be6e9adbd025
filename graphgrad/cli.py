"""The ``graphgrad`` command: list, run, eval, predict and summary.

Problems a user can fix (an unknown recipe, a bad option, missing data) print one line starting with
``graphgrad: error:`` and exit with status 2; they never show a traceback."""
from __future__ import annotations

import argparse
import os
import sys


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="graphgrad", description="Train and inspect graphgrad models.")
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
    return p


def main(argv=None) -> int:
    from .recipes.registry import RecipeError

    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return _COMMANDS[args.command](args)
    except (RecipeError, FileNotFoundError, ValueError) as exc:
        print(f"graphgrad: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("graphgrad: interrupted", file=sys.stderr)
        return 130


def _cmd_list(args) -> int:
    from .recipes import RECIPES

    width = max(len(n) for n in RECIPES)
    for name, recipe in sorted(RECIPES.items()):
        print(f"{name:<{width}}  {recipe.description}")
    return 0


def _cmd_run(args) -> int:
    from .recipes import run_recipe
    from .recipes.registry import RecipeError, parse_value

    overrides = {}
    for item in args.set:
        if "=" not in item:
            raise RecipeError(f"--set expects KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        overrides[key.strip().replace("-", "_")] = parse_value(value)
    for key in ("epochs", "batch_size", "lr", "seed", "data"):
        value = getattr(args, key)
        if value is not None:
            overrides[key] = value
    if args.data is not None and not os.path.exists(args.data):
        raise RecipeError(f"--data {args.data}: no such file or folder")
    run_recipe(args.recipe, overrides, out=args.out, resume=args.resume, progress=not args.quiet)
    return 0


def _cmd_eval(args) -> int:
    from .recipes import evaluate_run

    evaluate_run(args.run_dir, data=args.data)
    return 0


def _cmd_predict(args) -> int:
    from .recipes import predict_images

    for path, label, prob in predict_images(args.run_dir, args.images):
        print(f"{path}: {label} ({prob:.3f})")
    return 0


def _cmd_summary(args) -> int:
    from .recipes.zoo import build_for_summary

    model, input_size = build_for_summary(args.model, args.input_size)
    from .models import summary

    print(summary(model, input_size))
    return 0


def _cmd_generate(args) -> int:
    from .recipes.generative import generate

    path = generate(args.run_dir, n=args.n, out=args.out, seed=args.seed)
    print(f"wrote {args.n} samples: {path}")
    return 0


def _cmd_sample(args) -> int:
    from .recipes.sequence import sample_run

    print(sample_run(args.run_dir, args.prompt, args.length, args.temperature, args.top_k,
                     args.seed))
    return 0


def _cmd_neighbors(args) -> int:
    from .recipes.registry import RecipeError
    from .recipes.word2vec_recipe import query_run

    if not args.words and not args.analogy:
        raise RecipeError("neighbors: give at least one WORD or --analogy A B C")
    for line in query_run(args.run_dir, args.words, args.analogy, args.k, args.model):
        print(line)
    return 0


_COMMANDS = {"list": _cmd_list, "run": _cmd_run, "eval": _cmd_eval, "predict": _cmd_predict,
             "summary": _cmd_summary, "generate": _cmd_generate, "sample": _cmd_sample,
             "neighbors": _cmd_neighbors}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
