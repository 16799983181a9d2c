"""`python -m bench.reliability [--quick]`: run the suite, print the tables, write the docs section.

The full run (every profile × task × ablation × seed) writes the "Reliability" section of
docs/benchmarks.md; `--quick` runs a cross-section in well under a minute and writes nothing
unless asked (`--write`). `--json PATH` keeps every run's outcome, with journal tails for the
runs that went wrong. Exit status 1 when a run with the default settings was a false completion
(or a simulated model raised), so the command itself can gate a change.

`--heldout` runs the held-out set (:mod:`bench.reliability.heldout`) instead of the suite: goal-only
tasks the simulated planner plans from each task's scripted plan. Its numbers are printed, never
written into the suite's docs section.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

from bench.common import write_section
from bench.reliability import report
from bench.reliability.catalog import BY_ID, SETS
from bench.reliability.cli_check import CliResult, run_cli_cases
from bench.reliability.configs import ABLATIONS, DEFAULT, Config
from bench.reliability.harness import Bench, Outcome
from bench.reliability.profiles import PROFILES
from bench.reliability.suite import QUICK_IDS

Item = tuple[str, str, str, int]  # task id, profile, config name, seed
_CONFIGS = {c.name: c for c in ABLATIONS}
# --quick runs the ablations only where each mechanism shows: liars, loopers, a flaky transport.
_QUICK_ABLATION_PROFILES = ("liar", "lazy_liar", "looper", "flaky")


def plan(
    quick: bool, seeds: int, profiles: Sequence[str], tasks: Sequence[str], configs: Sequence[Config]
) -> list[Item]:
    items: list[Item] = []
    for seed in range(1, seeds + 1):
        for config in configs:
            names = profiles
            if quick and config != DEFAULT:
                names = [p for p in profiles if p in _QUICK_ABLATION_PROFILES]
            items += [(t, p, config.name, seed) for p in names for t in tasks]
    return items


def run_items(items: Sequence[Item]) -> list[Outcome]:
    async def go() -> list[Outcome]:
        with tempfile.TemporaryDirectory(prefix="smallclaw-bench-") as tmp, Bench(Path(tmp)) as bench:
            return [await bench.run(BY_ID[t], p, _CONFIGS[c], s) for t, p, c, s in items]

    return asyncio.run(go())


def run_parallel(items: Sequence[Item], jobs: int) -> list[Outcome]:
    if jobs <= 1:
        return run_items(items)
    chunks = [list(items[i : i + 25]) for i in range(0, len(items), 25)]
    with ProcessPoolExecutor(jobs) as pool:
        return [o for part in pool.map(run_items, chunks) for o in part]


def revision() -> str:
    """The commit the runner came from, marked when the code under test has uncommitted changes
    (the TUI and the CLI front ends are not under test)."""
    root = Path(__file__).resolve().parents[2]

    def git(*args: str) -> str:
        proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
        return proc.stdout.strip() if proc.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + (
        " + uncommitted changes"
        if git("status", "--porcelain", "--", "smallclaw_tui", ":!smallclaw_tui/tui", ":!smallclaw_tui/cli")
        else ""
    )


def body(
    runs: Sequence[Outcome],
    timing: Sequence[Outcome],
    cli: Sequence[CliResult],
    args: argparse.Namespace,
    secs: float,
) -> str:
    default = [r for r in runs if r.config == DEFAULT.name]
    tasks = sorted({r.task for r in runs})
    planner = sum(1 for t in tasks if BY_ID[t].mode == "planner")
    parts = [
        f"`python -m bench.reliability{' --quick' if args.quick else ''} --seeds {args.seeds}` — "
        f"{len(runs)} runs ({len(tasks)} tasks, {planner} of them planned by the model; "
        f"{len({r.profile for r in runs})} profiles; {len({r.config for r in runs})} configurations; "
        f"{args.seeds} seed(s)) in {secs:.0f} s (load average {os.getloadavg()[0]:.1f} at the end), runner "
        f"at commit {args.revision}. The real "
        "`BackgroundTaskRunner` runs each task in a fresh "
        "temp workspace against simulated models on a loopback Ollama-protocol server; the end state "
        "is judged by the benchmark from the files alone. *False completion*: the task ended "
        "`complete` but the end state is wrong. *Escalated correctly*: `needs_assistance` while the "
        "goal was not (or could not be) met; *needless*: `needs_assistance` although the files were "
        "right. Findings about the runner: `bench/reliability/FINDINGS.md`.",
        "### Profiles\n\n" + report.profiles_table(),
        "### With the default settings\n\n" + report.outcomes_table(default),
        "### Cycles burned before escalation (defaults)\n\n" + report.bounds_table(default),
        "### Ablations (all profiles)\n\nOne mechanism changed at a time; everything else at its default.\n\n"
        + report.ablation_table(runs)
        + "\n\n"
        + report.ablation_notes(runs),
        "Per profile — completed correctly / **false completions** / escalated:\n\n"
        + report.matrix_table(runs),
        "### Prompt tokens per request (defaults, server count = characters / 4)\n\n"
        + report.tokens_table(default),
        "### Engine overhead with an instant model (honest profile, defaults, run alone)\n\n"
        + report.overhead_table(timing)
        + "\n\nWall time from task creation to idle (runner start and stop included), with the model "
        "answering instantly over loopback HTTP: what the runner, the store (fsync'd atomic writes), "
        "the tools and the HTTP client cost per round.",
    ]
    note = report.retry_note(runs)
    if note:
        parts.append(note)
    if cli:
        parts.append(
            "### The same through the CLI\n\n`smallclaw task add --spec` then `smallclaw run --until-idle` "
            "in subprocesses, settings from `SMALLCLAW_*` variables:\n\n" + report.cli_table(cli)
        )
    return "\n\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.reliability", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a cross-section, under a minute")
    ap.add_argument("--seeds", type=int, default=None, help="seeds per task (full: 3, quick: 1)")
    ap.add_argument("--profiles", default=",".join(PROFILES), help="comma-separated profile names")
    ap.add_argument("--configs", default=",".join(_CONFIGS), help="comma-separated configuration names")
    ap.add_argument("--tasks", default=None, help="comma-separated task ids (default: all, or the quick set)")
    ap.add_argument(
        "--heldout", action="store_true", help="the held-out task set instead of the suite (never written)"
    )
    ap.add_argument("--jobs", type=int, default=None, help="worker processes (full: CPU count, quick: 1)")
    ap.add_argument(
        "--write", action=argparse.BooleanOptionalAction, default=None, help="write docs/benchmarks.md"
    )
    ap.add_argument("--json", type=Path, default=None, help="write every outcome here")
    args = ap.parse_args(argv)
    args.seeds = args.seeds or (1 if args.quick else 3)
    jobs = args.jobs or (1 if args.quick else os.cpu_count() or 1)
    write = args.write if args.write is not None else not (args.quick or args.heldout)
    if write and args.heldout:
        ap.error("--write is for the suite; the held-out set's numbers are only printed")
    profiles = [p for p in args.profiles.split(",") if p]
    unknown = [p for p in profiles if p not in PROFILES]
    known = SETS["heldout" if args.heldout else "suite"]
    if args.tasks:
        tasks = args.tasks.split(",")
    elif args.heldout:
        tasks = [t.id for t in known]
    else:
        tasks = list(QUICK_IDS if args.quick else (t.id for t in known))
    unknown += [t for t in tasks if t not in {k.id for k in known}]
    configs = [c for c in args.configs.split(",") if c]
    unknown += [c for c in configs if c not in _CONFIGS]
    if unknown:
        where = "the held-out set" if args.heldout else "the suite (held-out tasks need --heldout)"
        ap.error(f"unknown profile, or a task not in {where}: {', '.join(unknown)}")

    args.revision = revision()  # before the run: the code under test may change while it runs
    t0 = time.perf_counter()
    runs = run_parallel(plan(args.quick, args.seeds, profiles, tasks, [_CONFIGS[c] for c in configs]), jobs)
    # Timings alone on the machine: the engine overhead figure must not share the CPU.
    timing = run_items([(t, "honest", DEFAULT.name, 1) for t in tasks])
    cli = [] if args.quick or args.heldout else run_cli_cases()  # the CLI cases are suite tasks
    secs = time.perf_counter() - t0

    default = [r for r in runs if r.config == DEFAULT.name]
    print(report.outcomes_table(default), "\n", sep="")
    print(report.ablation_table(runs), "\n", sep="")
    print(report.overhead_table(timing), "\n", sep="")
    if cli:
        print(report.cli_table(cli), "\n", sep="")
    false_default = sum(1 for r in default if r.verdict == "false")
    errors = sorted({e for r in runs for e in r.handler_errors})
    print(f"{len(runs)} runs in {secs:.1f} s; false completions with the defaults: {false_default}")
    for e in errors:
        print(f"profile error: {e}", file=sys.stderr)
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {
                    "false_completions_default": false_default,
                    "profile_errors": errors,
                    "runs": [asdict(r) | {"verdict": r.verdict} for r in runs],
                },
                indent=1,
            ),
            encoding="utf-8",
        )
    if write:
        write_section("Reliability", body(runs, timing, cli, args, secs))
        print("wrote the Reliability section of docs/benchmarks.md")
    # A false completion with the defaults is the number that must be zero: fail like a test.
    return 1 if errors or false_default else 0


if __name__ == "__main__":
    sys.exit(main())
