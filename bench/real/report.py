"""`python -m bench.real report [--write]`: tables from bench/real/results/*.json.

Prints the "Real models" section; ``--write`` also puts it into docs/benchmarks.md. Runs are
listed model by model, the baseline first; a run's label says what differed from the baseline.
The suite and the held-out set (a result's ``"set"``; files from before it existed are the suite)
get tables of their own and are never added up together.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import write_section

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SECTION = "Real models"
_MODEL_ORDER = ("smollm2-135m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b")

# Escalation reasons, grouped by the mechanism that raised them (first match wins).
_REASONS: tuple[tuple[str, str], ...] = (
    (r"check failed", "a check failed on the retry"),
    (r"cited no evidence", "verifier said YES without a quote"),
    (r"cited evidence is not in the tool results", "verifier quoted text not in the results"),
    (r"malformed", "verifier answer malformed"),
    (r"verifier said NO|not verified", "verifier said NO"),
    (r"did not finish within", "step round cap"),
    (r"used its \d+ rounds?", "task round cap"),
    (r"repeat|stuck|loop", "loop guard"),
    (r"usable plan", "planner output unusable"),
    (r"approval", "command needs approval"),
    (r"blocked", "model said BLOCKED"),
    (r"unreachable|model error", "server/transport"),
)


def reason_group(reason: str) -> str:
    # "step N was not verified after K attempts: <why>": the why decides the group.
    why = reason.split(": ", 1)[1] if reason.startswith("step ") and ": " in reason else reason
    for pattern, name in _REASONS:
        if re.search(pattern, why, re.I):
            return name
    return "other: " + why[:60]


def task_set(run: dict[str, Any]) -> str:
    return str(run.get("set", "suite"))


def load(results: Path = RESULTS_DIR) -> list[dict[str, Any]]:
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(results.glob("*.json"))]

    def order(run: dict[str, Any]) -> tuple[int, int, str]:
        model = run["model"]
        rank = _MODEL_ORDER.index(model) if model in _MODEL_ORDER else len(_MODEL_ORDER)
        return (rank, 0 if run["label"] == "baseline" else 1, run["label"])

    return sorted(runs, key=order)


def _table(head: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _mean(xs: Sequence[float]) -> float:
    return statistics.fmean(xs) if xs else 0.0


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def summary_row(run: dict[str, Any]) -> list[object]:
    outs = run["outcomes"]
    v = Counter(o["verdict"] for o in outs)
    impossible_esc = sum(1 for o in outs if o["verdict"] == "escalated" and not o["possible"])
    possible_esc = sum(1 for o in outs if o["verdict"] == "escalated" and o["possible"])
    step_prompts = [t for o in outs for t in o["prompt_tokens"].get("step", [])]
    step_eval = [t for o in outs for t in o["evaluated_tokens"].get("step", [])]
    calls = [sum(o["calls"].values()) for o in outs]
    possible = sum(1 for o in outs if o["possible"])
    return [
        run["model"],
        run["label"],
        f"`{run.get('code', '?')}`",
        f"{len(outs)} ({possible} possible)",
        f"**{v['ok']}**",
        f"**{v['false']}**",
        f"{impossible_esc} of {len(outs) - possible}",
        possible_esc,
        v["needless"],
        v["other"],
        f"{_mean([o['rounds'] for o in outs]):.1f}",
        f"{_mean(calls):.1f}",
        f"{_mean(step_prompts):.0f} / {max(step_prompts, default=0)}",
        f"{_mean(step_eval):.0f}",
        f"{_mean([o['wall_s'] for o in outs]):.0f} s",
        f"{run['total_s'] / 60:.0f} min",
    ]


SUMMARY_HEAD = (
    "model",
    "run",
    "runner at",
    "tasks",
    "completed correctly",
    "false completions",
    "escalated, impossible task (correct)",
    "escalated, possible task",
    "needless escalations",
    "other / timeout",
    "rounds / task",
    "model calls / task",
    "prompt tokens per step call (mean / max)",
    "evaluated per step call (not cached)",
    "wall / task",
    "run time",
)


def task_table(run: dict[str, Any]) -> str:
    rows = []
    for o in run["outcomes"]:
        c = o["calls"]
        calls = "/".join(str(c.get(k, 0)) for k in ("step", "verify", "plan", "summary"))
        steps = o["prompt_tokens"].get("step", [])
        rows.append(
            [
                o["task"],
                o["mode"] + ("" if o["possible"] else ", impossible"),
                o["verdict"],
                o["rounds"],
                calls,
                f"{_mean(steps):.0f}" if steps else "-",
                f"{o['tool_calls']} ({o['native_tool_calls']} native)",
                f"{o['wall_s']:.0f}",
                _cell(o["pause_reason"][:110] or ("; ".join(o["problems"])[:110] if o["problems"] else "")),
            ]
        )
    head = (
        "task",
        "shape",
        "verdict",
        "rounds",
        "calls step/verify/plan/summary",
        "prompt tok / step call",
        "tool calls",
        "wall s",
        "escalation reason (or what the judge found)",
    )
    return _table(head, rows)


KINDS = ("plan", "step", "verify", "summary", "other")


def time_rows(run: dict[str, Any]) -> list[list[object]]:
    """Where the model's time went in one run, per request kind: tokens sent and evaluated (not
    cached), prefill and decode seconds; then the run's totals per task and per completed task.
    Runs from before prefill and decode were recorded show "—" for the seconds."""
    outs = run["outcomes"]
    timed = all("prefill_ms" in o for o in outs)
    rows: list[list[object]] = []

    def secs(key: str, kind: str | None) -> float:
        return (
            sum(v for o in outs for k, vs in o.get(key, {}).items() if kind in (None, k) for v in vs) / 1000
        )

    for kind in KINDS:
        sent = [t for o in outs for t in o["prompt_tokens"].get(kind, [])]
        new = [t for o in outs for t in o["evaluated_tokens"].get(kind, [])]
        if not sent:
            continue
        rows.append(
            [
                run["label"],
                kind,
                len(sent),
                f"{_mean(sent):.0f}",
                f"{_mean(new):.0f}",
                f"{secs('prefill_ms', kind):.0f}" if timed else "—",
                f"{secs('decode_ms', kind):.0f}" if timed else "—",
            ]
        )
    wall = sum(o["wall_s"] for o in outs)
    evaluated = sum(t for o in outs for ts in o["evaluated_tokens"].values() for t in ts)
    ok = sum(1 for o in outs if o["verdict"] == "ok")
    prefill = secs("prefill_ms", None)
    share = f"{prefill / wall:.0%} of wall" if timed and wall else "—"
    rows.append(
        [
            run["label"],
            f"**all** (per task; per completed task: {evaluated / ok:.0f} evaluated)" if ok else "**all**",
            sum(len(ts) for o in outs for ts in o["prompt_tokens"].values()),
            f"{sum(t for o in outs for ts in o['prompt_tokens'].values() for t in ts) / len(outs):.0f}",
            f"{evaluated / len(outs):.0f}",
            f"{prefill:.0f} ({share})" if timed else "—",
            f"{secs('decode_ms', None):.0f}" if timed else "—",
        ]
    )
    return rows


TIME_HEAD = (
    "run",
    "request kind",
    "calls",
    "tokens sent / call",
    "evaluated / call (not cached)",
    "prefill s",
    "decode s",
)


def time_table(runs: Sequence[dict[str, Any]]) -> str:
    return _table(TIME_HEAD, [row for r in runs for row in time_rows(r)])


def reasons_table(runs: Sequence[dict[str, Any]]) -> str:
    groups: Counter[tuple[str, str, str]] = Counter()
    for run in runs:
        for o in run["outcomes"]:
            if o["status"] == "needs_assistance":
                groups[(run["model"], run["label"], reason_group(o["pause_reason"]))] += 1
    rows = [[m, label, g, n] for (m, label, g), n in sorted(groups.items())]
    return _table(("model", "run", "escalation reason", "tasks"), rows)


def body(all_runs: Sequence[dict[str, Any]]) -> str:
    if not all_runs:
        return "No results yet: run `python -m bench.real --model qwen2.5-coder-0.5b`."
    runs = [r for r in all_runs if task_set(r) == "suite"]
    held = [r for r in all_runs if task_set(r) == "heldout"]
    first = (runs or held)[0]
    settings = ", ".join(f"`{k}={v}`" for k, v in first["settings"].items())
    dates = sorted({r["date"] for r in all_runs})
    server = first["server"]
    parts = [
        "The reliability suite's tasks (`bench/reliability/suite.py`), run by real small models on a "
        "llama.cpp server through the real runner, judged from the files alone "
        "(`bench/reliability/endstate.py`). Reproduce:",
        "",
        "```",
        "scripts/real-model.sh setup qwen2.5-coder-0.5b   # and qwen2.5-coder-1.5b",
        "python -m bench.real --model qwen2.5-coder-0.5b --tasks all --label tuned",
        "python -m bench.real --model qwen2.5-coder-1.5b --tasks all --label tuned",
        "python -m bench.real report --write",
        "```",
        "",
        "*baseline* is the runner before any tuning on real models (commit 64b34ad); *tuned* is the "
        "runner after it; the changes in between, each with the before/after rows that justified it, "
        "are in [bench/real/TUNING.md](../bench/real/TUNING.md).",
        "",
        f"Server: {server.get('runtime', '?')}, chat format `{server.get('chat_format', '?')}` "
        f"(the model's ChatML tool template; calls come back as text and the app's parser reads them), "
        f"n_ctx {server.get('n_ctx', '?')}, {server.get('threads', '?')} threads. "
        f"Settings: product defaults except {settings}. Runs dated {', '.join(dates)}; "
        "other work shared the 2 cores during some runs, so wall times are upper bounds.",
        "",
        "Verdicts: *completed correctly* = `complete` and the judge finds the files right; *false "
        "completion* = `complete` but the files are wrong (must be 0); *escalated* = `needs_assistance` "
        "with the files not (yet) right — correct for the two impossible tasks, an honest give-up "
        "otherwise; *needless* = `needs_assistance` although the files were already right. Token "
        "counts are the server's own (its log; the stream carries no usage); *evaluated* excludes the "
        "prefix the server had cached from the previous call.",
        "",
    ]
    if runs:
        parts += [
            _table(SUMMARY_HEAD, [summary_row(r) for r in runs]),
            "",
            "### Why tasks were escalated",
            "",
            reasons_table(runs),
            "",
            "### Where the model's time goes (suite)",
            "",
            "Per request kind, from the server's log. In the *all* row, tokens are per task (and, "
            "in the kind column, evaluated tokens per completed task) and seconds are the run's "
            "totals.",
            "",
            time_table(runs),
        ]
    if held:
        parts += ["", *heldout_part(held)] if runs else heldout_part(held)
    for run in runs:
        parts += ["", f"### {run['model']}, {run['label']}: per task", "", task_table(run)]
    for run in held:
        parts += ["", f"### {run['model']}, {run['label']}, held-out set: per task", "", task_table(run)]
    return "\n".join(parts)


def heldout_part(held: Sequence[dict[str, Any]]) -> list[str]:
    """The held-out set's own tables: its numbers are never pooled with the suite's."""
    n = max(len(r["outcomes"]) for r in held)
    return [
        "### Held-out set",
        "",
        f"Goal-only tasks in everyday wording (`bench/reliability/heldout.py`, up to {n} per run), written "
        "before any tuning on them and worded unlike the suite; the planner plans every one. Run with "
        "`python -m bench.real --model … --tasks heldout`. How the set was written: "
        "[bench/real/NOTES.md](../bench/real/NOTES.md).",
        "",
        _table(SUMMARY_HEAD, [summary_row(r) for r in held]),
        "",
        "### Held-out set: why tasks were escalated",
        "",
        reasons_table(held),
        "",
        "### Held-out set: where the model's time goes",
        "",
        time_table(held),
    ]


def main(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.real report")
    p.add_argument(
        "--write", action="store_true", help=f"replace the {SECTION!r} section of docs/benchmarks.md"
    )
    p.add_argument("--notes", type=Path, help="a markdown file appended to the section (findings)")
    ns = p.parse_args(argv)
    text = body(load())
    if ns.notes is not None:
        text += "\n\n" + ns.notes.read_text(encoding="utf-8").strip()
    print(text)
    if ns.write:
        write_section(SECTION, text)
    return 0
