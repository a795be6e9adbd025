"""``report.md`` of a claims run: the settings, the table of verdicts, each plot, and the claims
that did not hold with why. Written from ``claims.json``'s content alone, so the report and the
file can never disagree."""
from __future__ import annotations

from .base import HOLDS


def _cell(text) -> str:
    """``text`` as one Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _verdict_cell(entry: dict) -> str:
    text = f"**{entry['verdict']}**"
    return text + " (robust)" if entry.get("robust") else text


def render_report(record: dict) -> str:
    """The Markdown of ``report.md`` for the ``claims.json`` content ``record``."""
    claims = record["claims"]
    state = ("complete" if record.get("complete") else
             f"stopped: {record['failed']['error']}" if record.get("failed") else "in progress")
    lines = [
        "# graphgrad claims",
        "",
        f"- command: `{record['command']}`",
        f"- date: {record['date']}",
        f"- size: {record['size']}; base seed: {record['seed']}; data: "
        f"{record['data'] or 'none (the data that installs with graphgrad)'}",
        f"- graphgrad {record['graphgrad_version']}; total time {record['seconds']:.1f} s; {state}",
        "",
        "A verdict is the claim's rule (last column), stated in the code before anything was "
        "measured, applied to the metrics in `claims.json`; `graphgrad claims --check FOLDER` "
        "re-derives every one. *Robust*: it holds on every seed with the rule's margin, so "
        "another base seed should not flip it.",
        "",
        "| # | claim | where the lectures make it | measured | verdict | rule |",
        "|---|---|---|---|---|---|",
    ]
    for c in claims:
        lines.append(f"| {c['number']} | {_cell(c['name'])}: {_cell(c['statement'])} | "
                     f"{_cell(c['source'])} | {_cell(c['measured'])} | {_verdict_cell(c)} | "
                     f"{_cell(c['rule'])} |")
    lines.append("")
    for c in claims:
        lines += [f"## {c['number']}. {c['name']}", "", c["statement"], "",
                  f"Measured: {c['measured']}.", "",
                  f"Verdict: {_verdict_cell(c)} ({c['seconds']:.1f} s): {c['why']}.", ""]
        data = c["metrics"].get("data") if isinstance(c.get("metrics"), dict) else None
        if isinstance(data, str):  # which data it ran on: full MNIST, the sample, CIFAR-10
            lines += [f"Data: {data}.", ""]
        lines += [f"![{c['name']}]({c['plot']})", ""]
    failing = [c for c in claims if c["verdict"] != HOLDS]
    lines += ["## Claims that did not hold (or were inconclusive)", ""]
    if failing:
        lines += [f"- **{c['number']}. {c['name']}** ({c['verdict']}): {_cell(c['why'])}"
                  for c in failing]
    else:
        lines.append("None: every claim run held." if claims else "No claim has finished.")
    lines.append("")
    return "\n".join(lines)
