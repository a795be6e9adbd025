"""Run claims into one folder, and re-derive a folder's verdicts.

``run_claims`` writes ``OUT/claims-YYYYMMDD-HHMMSS/``::

    claims.json          the settings and, per claim, its rule, verdict and metrics
    report.md            the table of verdicts, each plot, what did not hold and why
    plots/NN-name.png    one plot per claim
    NN-name/metrics.json the claim's metrics (and any files of its own)

``claims.json`` and ``report.md`` are rewritten (atomically) after every claim, so a run that is
killed keeps the claims it finished. ``check_folder`` applies each claim's judge to the metrics
in ``claims.json`` again and lists where the verdict written differs."""
from __future__ import annotations

import json
import os
import time

from .. import manual_seed
from ..recipes.registry import UsageError
from ..train import atomic_write_text
from ..version import __version__
from .base import Settings, Verdict
from .registry import all_claims
from .report import render_report

CLAIMS_FILE, REPORT_FILE = "claims.json", "report.md"


class ClaimFailed(RuntimeError):
    """A claim's experiment, judge or plot raised: the run stops, naming the claim."""

    def __init__(self, claim, stage: str, exc: BaseException):
        self.claim, self.stage = claim, stage
        super().__init__(f"claims: claim {claim.number} {claim.name} failed in its {stage}: "
                         f"{type(exc).__name__}: {exc}")


def select_claims(names=()) -> list:
    """The claims called ``names`` (all without names), in the lectures' order. An unknown name
    is a ``UsageError`` that lists the valid names."""
    claims = all_claims()
    known = {c.name for c in claims}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(f"claims: no claim called {', '.join(map(repr, unknown))}; the claims "
                         f"are: {', '.join(c.name for c in claims)}")
    wanted = set(names)
    return [c for c in claims if not wanted or c.name in wanted]


def folder_name(claim) -> str:
    """``NN-name``: the claim's subfolder and plot name, sorting in the lectures' order."""
    return f"{claim.number:02d}-{claim.name}"


def _new_folder(out: str) -> str:
    """Create ``out/claims-YYYYMMDD-HHMMSS`` (``-2``, ``-3``... if taken) and return its path;
    ``os.mkdir`` fails on an existing folder, so two runs in the same second get two folders."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise UsageError(f"claims: --out {out} is a file; run folders go into a folder")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"claims: --out {out}: cannot create it ({exc.strerror})") from None
    base = os.path.join(out, "claims-" + time.strftime("%Y%m%d-%H%M%S"))
    for n in range(1, 1000):
        path = base if n == 1 else f"{base}-{n}"
        try:
            os.mkdir(path)
            return path
        except FileExistsError:
            continue
    raise UsageError(f"claims: --out {out}: could not find a free folder name after {base}")


def _json(obj) -> str:
    # allow_nan=False: claims.json stays strict JSON that any reader accepts
    return json.dumps(obj, indent=2, allow_nan=False) + "\n"


def _checked_metrics(claim, metrics) -> dict:
    """``metrics`` if it is a dict that survives a strict JSON round trip unchanged."""
    if not isinstance(metrics, dict):
        raise TypeError(f"run must return a dict of metrics, got {type(metrics).__name__}")
    text = json.dumps(metrics, allow_nan=False)  # numpy numbers, NaN and inf fail here
    if json.loads(text) != metrics:
        raise TypeError("metrics change in a JSON round trip (tuples or non-string keys?)")
    return metrics


def run_claims(names=(), size: str = "full", seed: int = 0, data: str | None = None,
               out: str = "runs", command: str | None = None, progress=None) -> str:
    """Run the claims called ``names`` (all without names) at ``size`` and base ``seed`` into a
    new folder under ``out``; returns its path. ``progress(line)`` gets one line per finished
    claim. A claim that raises stops the run with ``ClaimFailed`` naming it; the folder keeps
    the claims finished before it."""
    claims = select_claims(names)
    Settings(size=size, seed=seed, data=data, folder=".")  # a bad size fails before any folder
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UsageError(f"claims: --seed must be an integer >= 0, got {seed!r}")
    if data is not None and not os.path.isdir(data):
        raise UsageError(f"claims: --data {data}: no such folder")
    path = _new_folder(out)
    record = {"command": command or f"run_claims({list(names)!r}, size={size!r}, seed={seed})",
              "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "size": size, "seed": seed,
              "data": data, "graphgrad_version": __version__, "seconds": 0.0, "complete": False,
              "failed": None, "claims": []}
    start = time.perf_counter()

    def save():
        record["seconds"] = round(time.perf_counter() - start, 2)
        atomic_write_text(os.path.join(path, CLAIMS_FILE), _json(record))
        atomic_write_text(os.path.join(path, REPORT_FILE), render_report(record))

    save()
    if progress is not None:
        progress(f"claims: {len(claims)} claim(s) at size {size}, base seed {seed}, into {path}")
    for claim in claims:
        entry = _run_one(claim, Settings(size, seed, data, os.path.join(path, folder_name(claim))),
                         path, record, save)
        record["claims"].append(entry)
        save()
        if progress is not None:
            robust = " (robust)" if entry["robust"] else ""
            progress(f"{folder_name(claim):<28} {entry['verdict']}{robust}  {entry['seconds']:.1f} s")
    record["complete"] = True
    save()
    return path


def _run_one(claim, settings: Settings, path: str, record: dict, save) -> dict:
    os.makedirs(settings.folder, exist_ok=True)
    t0 = time.perf_counter()
    stage = "experiment"
    try:
        manual_seed(settings.seed)  # each claim starts from the same state whatever ran before it
        metrics = _checked_metrics(claim, claim.run(settings))
        atomic_write_text(os.path.join(settings.folder, "metrics.json"), _json(metrics))
        stage = "judge"
        v = claim.judge(metrics)
        if not isinstance(v, Verdict):
            raise TypeError(f"judge must return a Verdict, got {type(v).__name__}")
        stage = "plot"
        plot = os.path.join("plots", folder_name(claim) + ".png")
        claim.plot(metrics, os.path.join(path, plot))
        if not os.path.isfile(os.path.join(path, plot)):
            raise FileNotFoundError(f"plot wrote no file at {plot}")
    except UsageError as exc:  # a problem the user can fix (damaged --data): one line, naming the claim
        raise UsageError(f"claims: claim {claim.number} {claim.name}: {exc}") from None
    except KeyboardInterrupt:  # the folder says where the run was stopped, then Ctrl-C goes on
        record["failed"] = {"number": claim.number, "name": claim.name,
                            "error": f"interrupted during claim {claim.number} {claim.name}"}
        save()
        raise
    except Exception as exc:
        failure = ClaimFailed(claim, stage, exc)
        record["failed"] = {"number": claim.number, "name": claim.name, "error": str(failure)}
        save()
        raise failure from exc
    return {"number": claim.number, "name": claim.name, "statement": claim.statement,
            "source": claim.source, "rule": claim.rule, "verdict": v.verdict,
            "measured": v.measured, "why": v.why, "robust": v.robust,
            "seconds": round(time.perf_counter() - t0, 2), "plot": plot, "metrics": metrics}


def read_record(path: str) -> dict:
    """The content of ``path/claims.json`` (``path`` may be the file itself)."""
    file = os.path.join(path, CLAIMS_FILE) if os.path.isdir(path) else path
    try:
        with open(file, encoding="utf-8") as f:
            record = json.load(f)
    except FileNotFoundError:
        raise UsageError(f"claims --check: {path} has no {CLAIMS_FILE}; pass a folder that "
                         "graphgrad claims wrote") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"claims --check: {file} is not valid JSON ({exc})") from None
    if not isinstance(record, dict) or not isinstance(record.get("claims"), list):
        raise UsageError(f"claims --check: {file} has no list of claims")
    return record


def check_folder(path: str) -> tuple[list[str], list[str]]:
    """Re-derive every verdict in ``path``'s ``claims.json`` with its claim's judge. Returns
    ``(agreeing, mismatches)``: a line per claim whose verdict and robustness re-derive, and a
    line per claim whose do not (or whose claim or metrics are missing)."""
    record = read_record(path)
    by_name = {c.name: c for c in all_claims()}
    agreeing, mismatches = [], []
    for entry in record["claims"]:
        name = entry.get("name") if isinstance(entry, dict) else None
        claim = by_name.get(name)
        if claim is None:
            mismatches.append(f"{name!r}: no such claim in this graphgrad")
            continue
        try:
            v = claim.judge(entry["metrics"])
        except Exception as exc:  # metrics damaged or missing: the verdict cannot be re-derived
            mismatches.append(f"{name}: its judge fails on the metrics written "
                              f"({type(exc).__name__}: {exc})")
            continue
        written = (entry.get("verdict"), bool(entry.get("robust")))
        derived = (v.verdict, v.robust)
        if written != derived:
            mismatches.append(f"{name}: written {_says(*written)}, the rule gives {_says(*derived)}")
        else:
            agreeing.append(f"{name}: {_says(*derived)}")
    if not record["claims"]:
        mismatches.append("claims.json lists no finished claim")
    return agreeing, mismatches


def _says(value, robust) -> str:
    return f"{value!r}{' (robust)' if robust else ''}"
