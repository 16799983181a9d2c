"""`python -m bench.real`: the reliability suite's tasks, run by a real small model on llama.cpp.

    python -m bench.real --model qwen2.5-coder-0.5b --tasks short      # run; keeps a JSON result
    python -m bench.real --model qwen2.5-coder-1.5b --tasks quick --label baseline
    python -m bench.real --model qwen2.5-coder-0.5b --set runner.verification=off --label verification=off
    python -m bench.real --model qwen2.5-coder-1.5b --tasks heldout --label tuned   # the held-out set
    python -m bench.real report                                        # tables → docs/benchmarks.md

Each run starts its own server (``scripts/real-model.sh start``, run dir under the cache) unless
``--url`` names one, gives every task a fresh temp workspace seeded by the suite, runs it through
the real :class:`BackgroundTaskRunner`, and judges the end state from the files alone
(:mod:`bench.reliability.endstate`). Results go to ``bench/real/results/<model>__<label>.json``;
``report`` turns every result file there into the "Real models" section.

The tasks, their checks and the end-state judge are the reliability suite's own
(:mod:`bench.reliability.suite`), so the fake-server profiles and the real models are scored the
same way. ``--tasks``: ``short`` (every step is one tool call), ``quick`` (the suite's
cross-section), ``all``, or a comma-separated list of task ids.

``--tasks heldout`` (or ``heldout:ID,ID``) runs the held-out set instead
(:mod:`bench.reliability.heldout`: goal-only tasks in everyday wording, written before any tuning
on them). Its results are kept apart: ``results/<model>__heldout__<label>.json`` with
``"set": "heldout"``, and a table of their own in the report. A run is one set, never a mix.
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
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import smallclaw_tui
from bench.common import machine
from bench.real.metered import MeteredClient
from bench.real.serverlog import ServerLog
from bench.reliability import endstate, heldout
from bench.reliability.spec import BenchTask
from bench.reliability.suite import BY_ID, QUICK_IDS, SUITE
from smallclaw_tui.config import Settings
from smallclaw_tui.llm.openai import OpenAIClient
from smallclaw_tui.models import JournalEntry, JournalType, PlanStep, TaskStatus
from smallclaw_tui.runner.deps import RunnerDeps
from smallclaw_tui.runner.runner import BackgroundTaskRunner

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "real-model.sh"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
MODELS = ("smollm2-135m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b")

# The product defaults, except where a 2-core CPU box makes them cost minutes for nothing:
# - num_ctx 4096 (server and app alike): a step round is ~1,000 tokens; 8,192 only slows prefill.
# - num_predict 512: a step reply needs well under 200 tokens; a rambling 0.5B model otherwise
#   writes 1,024 (25 s on the 0.5B, 55 s on the 1.5B) of repeated tool calls.
# - temperature 0: runs compare before/after; sampling noise would drown a small change.
REAL_DEFAULTS: dict[str, Any] = {
    "llm.num_ctx": 4096,
    "llm.num_predict": 512,
    "llm.temperature": 0.0,
    "llm.read_timeout_s": 300.0,
    "runner.control_poll_s": 0.1,
}


def short_ids() -> list[str]:
    """Tasks whose every step is a single tool call: the cheapest real runs that still have 2-3 steps."""
    return [t.id for t in SUITE if all(len(s.calls) == 1 for s in t.steps)]


SETS = ("suite", "heldout")


def task_set(spec: str) -> str:
    """Which task set a --tasks value names: "heldout" for ``heldout`` and ``heldout:…``."""
    return "heldout" if spec == "heldout" or spec.startswith("heldout:") else "suite"


def select(spec: str) -> list[BenchTask]:
    if task_set(spec) == "heldout":
        ids = [i for i in spec.removeprefix("heldout").removeprefix(":").split(",") if i]
        if not ids:
            return list(heldout.HELDOUT)
        unknown = [i for i in ids if i not in heldout.BY_ID]
        if unknown:
            known = ", ".join(heldout.BY_ID)
            raise SystemExit(f"unknown held-out task id(s): {', '.join(unknown)}; known: {known}")
        return [heldout.BY_ID[i] for i in ids]
    if spec == "all":
        return list(SUITE)
    if spec == "quick":
        return [BY_ID[i] for i in QUICK_IDS]
    if spec == "short":
        return [BY_ID[i] for i in short_ids()]
    unknown = [i for i in spec.split(",") if i not in BY_ID]
    if unknown:
        hint = " (held-out tasks: --tasks heldout:ID,ID)" if any(i in heldout.BY_ID for i in unknown) else ""
        raise SystemExit(f"unknown task id(s): {', '.join(unknown)}{hint}; known: {', '.join(BY_ID)}")
    return [BY_ID[i] for i in spec.split(",")]


def _coerce(value: str) -> Any:
    low = value.lower()
    if low in ("true", "false"):
        return low == "true"
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def parse_overrides(pairs: Sequence[str]) -> dict[str, Any]:
    out = dict(REAL_DEFAULTS)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or "." not in key:
            raise SystemExit(f"--set wants SECTION.KEY=VALUE, got {pair!r}")
        out[key] = _coerce(value)
    return out


def build_settings(workspace: Path, url: str, model: str, overrides: dict[str, Any]) -> Settings:
    sections: dict[str, dict[str, Any]] = {"llm": {"api": "openai", "base_url": url, "model": model}}
    for key, value in overrides.items():
        section, name = key.split(".", 1)
        sections.setdefault(section, {})[name] = value
    return Settings(workspace=workspace, **sections)


# --- one task -------------------------------------------------------------------------------------


@dataclass(slots=True)
class RealOutcome:
    task: str
    mode: str
    possible: bool
    status: str
    end_ok: bool
    problems: list[str]
    pause_reason: str
    rounds: int
    calls: dict[str, int]
    # Per model call of each kind: the prompt size the server counted (cached prefix included),
    # and the part it had to evaluate. Empty when the server log was not available.
    prompt_tokens: dict[str, list[int]]
    evaluated_tokens: dict[str, list[int]]
    completion_tokens: int
    native_tool_calls: int
    tool_calls: int
    loop_notices: int
    verifier_yes: int
    verifier_no: int
    checks_failed: int
    wall_s: float
    journal: list[str] = field(default_factory=list)
    # Per model call of each kind, the server's milliseconds reading the prompt (prefill) and
    # writing the answer (decode): where the model's time goes (issue 15).
    prefill_ms: dict[str, list[float]] = field(default_factory=dict)
    decode_ms: dict[str, list[float]] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        """ok | false | escalated | needless | other — as the fake-server benchmark counts them."""
        if self.status == TaskStatus.COMPLETE:
            return "ok" if self.possible and self.end_ok else "false"
        if self.status == TaskStatus.NEEDS_ASSISTANCE:
            return "needless" if self.possible and self.end_ok else "escalated"
        return "other"


async def run_task(
    task: BenchTask, url: str, model: str, overrides: dict[str, Any], log: ServerLog | None, timeout_s: float
) -> RealOutcome:
    with tempfile.TemporaryDirectory(prefix=f"real-{task.id}-") as tmp:
        ws = Path(tmp)
        endstate.seed_workspace(task, ws)
        settings = build_settings(ws, url, model, overrides)
        client = MeteredClient(OpenAIClient(settings.llm), log)
        deps = RunnerDeps.for_settings(settings, client=client)
        runner = BackgroundTaskRunner(deps)
        t0 = time.perf_counter()
        await runner.start()
        steps = (
            [PlanStep(index=i, description=s.text, checks=list(s.checks)) for i, s in enumerate(task.steps)]
            if task.mode == "explicit"
            else None
        )
        created = await runner.create_task(task.goal, steps=steps)
        try:
            await asyncio.wait_for(runner.wait_until_idle(), timeout_s)
        except TimeoutError:
            pass
        finally:
            # A round in flight on a slow model can take a minute; the server serves one request
            # at a time, so the next task must not start while this one still holds it.
            await runner.stop(grace_s=120.0)
            await client.aclose()
        wall = time.perf_counter() - t0
        final = await deps.store.load(created.id)
        judged = endstate.judge(task, ws)
        status = final.status.value
        if final.status in (TaskStatus.RUNNING, TaskStatus.QUEUED) or (
            final.status is TaskStatus.PAUSED and wall >= timeout_s
        ):
            status = "timeout"
        journal = final.journal
        calls = client.calls
        out = RealOutcome(
            task=task.id,
            mode=task.mode,
            possible=task.possible,
            status=status,
            end_ok=judged.ok,
            problems=list(judged.problems),
            pause_reason=final.pause_reason or "",
            rounds=final.rounds,
            calls=dict(Counter(c.kind for c in calls)),
            prompt_tokens=_per_kind(calls, evaluated=False),
            evaluated_tokens=_per_kind(calls, evaluated=True),
            completion_tokens=sum(c.server.completion_tokens for c in calls if c.server),
            native_tool_calls=sum(c.native_tool_calls for c in calls),
            tool_calls=sum(1 for e in journal if e.type is JournalType.TOOL_CALL),
            loop_notices=sum(1 for e in journal if e.type is JournalType.LOOP),
            verifier_yes=sum(
                1 for e in journal if e.type is JournalType.VERIFY and e.content.startswith("verifier YES")
            ),
            verifier_no=sum(
                1 for e in journal if e.type is JournalType.VERIFY and e.content.startswith("verifier NO")
            ),
            checks_failed=sum(
                1 for e in journal if e.type is JournalType.VERIFY and e.content.startswith("check FAILED")
            ),
            wall_s=round(wall, 1),
        )
        out.journal = [_journal_line(e) for e in journal]
        for c in calls:
            if c.server is not None:
                out.prefill_ms.setdefault(c.kind, []).append(round(c.server.prompt_ms, 1))
                out.decode_ms.setdefault(c.kind, []).append(round(c.server.eval_ms, 1))
        return out


def _journal_line(e: JournalEntry) -> str:
    """One line per entry, for reading a run afterwards; the verifier's raw answer is the useful part."""
    line = f"{e.type.value}[{e.step}]: {' '.join(e.content.split())[:300]}"
    raw = e.detail.get("raw") if e.type is JournalType.VERIFY else None
    if isinstance(raw, str) and raw.strip():
        line += f" || raw: {' '.join(raw.split())[:300]}"
    return line


def _per_kind(calls: Sequence[Any], *, evaluated: bool) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for c in calls:
        if c.server is not None:
            out.setdefault(c.kind, []).append(
                c.server.evaluated_tokens if evaluated else c.server.prompt_tokens
            )
    return out


# --- the server -----------------------------------------------------------------------------------


class Server:
    """A server of our own for this run, in a run dir of its own, so a hand-started one is untouched."""

    def __init__(self, model: str, ctx: int) -> None:
        self.model = model
        self.run_dir = Path(tempfile.mkdtemp(prefix="bench-real-"))
        self.env = {**os.environ, "REAL_MODEL_RUN_DIR": str(self.run_dir), "REAL_MODEL_CTX": str(ctx)}
        # Benchmarks measure the model's own choices: never the smoke tier's forced tool calls.
        self.env.pop("REAL_MODEL_FORCE_TOOL", None)
        self.url = ""

    @property
    def log_path(self) -> Path:
        return self.run_dir / "server.log"

    def __enter__(self) -> Server:
        subprocess.run(["bash", str(SCRIPT), "setup", self.model], check=True, env=self.env)
        started = subprocess.run(
            ["bash", str(SCRIPT), "start", self.model],
            check=True,
            env=self.env,
            capture_output=True,
            text=True,
        )
        print(started.stderr.strip(), file=sys.stderr)
        self.url = started.stdout.strip().splitlines()[-1]
        return self

    def __exit__(self, *exc: object) -> None:
        subprocess.run(["bash", str(SCRIPT), "stop"], check=False, env=self.env)


# --- driver ---------------------------------------------------------------------------------------


def _progress(o: RealOutcome) -> str:
    calls = sum(o.calls.values())
    step_prompts = o.prompt_tokens.get("step", [])
    mean = sum(step_prompts) / len(step_prompts) if step_prompts else 0
    reason = f" — {o.pause_reason[:100]}" if o.pause_reason else ""
    return (
        f"{o.task:<16} {o.verdict:<9} {o.status:<16} rounds {o.rounds:>2}  calls {calls:>2}  "
        f"step prompt ~{mean:>5.0f} tok  {o.wall_s:>6.1f}s{reason}"
    )


async def run_all(
    tasks: Sequence[BenchTask],
    url: str,
    model: str,
    overrides: dict[str, Any],
    log: ServerLog | None,
    timeout_s: float,
) -> list[RealOutcome]:
    out: list[RealOutcome] = []
    for task in tasks:
        outcome = await run_task(task, url, model, overrides, log, timeout_s)
        print(_progress(outcome), file=sys.stderr, flush=True)
        out.append(outcome)
    return out


def code_version() -> str:
    """The commit of the smallclaw_tui that runs (with "+changes" when the tree has edits), or its
    folder when it is not a git checkout."""
    where = Path(smallclaw_tui.__file__).resolve().parent
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=where, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", str(where)], cwd=where, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return str(where)
    return rev + ("+changes" if dirty else "")


def result_path(model: str, label: str, tasks: str = "suite") -> Path:
    """results/<model>__<label>.json for the suite, results/<model>__heldout__<label>.json for the
    held-out set, so a run of one set never overwrites a run of the other."""
    safe = "".join(ch if ch.isalnum() or ch in "-_.=" else "_" for ch in label)
    middle = "" if tasks == "suite" else f"{tasks}__"
    return RESULTS_DIR / f"{model}__{middle}{safe}.json"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["report"]:
        from bench.real.report import main as report_main

        return report_main(args[1:])
    p = argparse.ArgumentParser(prog="python -m bench.real", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, choices=MODELS)
    p.add_argument(
        "--tasks",
        default="short",
        help="short | quick | all | id,id,... | heldout | heldout:id,id,... (default: short)",
    )
    p.add_argument("--label", default="baseline", help="names this run in the results (default: baseline)")
    p.add_argument(
        "--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="a setting override"
    )
    p.add_argument("--url", help="use this running server instead of starting one (no token counts then)")
    p.add_argument("--server-log", type=Path, help="with --url: that server's log, for token counts")
    p.add_argument(
        "--timeout", type=float, default=900.0, help="seconds per task before it counts as a timeout"
    )
    ns = p.parse_args(args)
    overrides = parse_overrides(ns.set)
    tasks = select(ns.tasks)
    ctx = int(overrides["llm.num_ctx"])
    started = datetime.now(UTC)
    code = code_version()  # now: the tree may change while a long run goes on
    t0 = time.perf_counter()
    print(f"{ns.model}: {len(tasks)} task(s), label {ns.label!r}, settings {overrides}", file=sys.stderr)
    if ns.url:
        log = ServerLog(ns.server_log) if ns.server_log else None
        outcomes = asyncio.run(run_all(tasks, ns.url, ns.model, overrides, log, ns.timeout))
        server_info = {"url": "external"}
    else:
        with Server(ns.model, ctx) as server:
            outcomes = asyncio.run(
                run_all(tasks, server.url, ns.model, overrides, ServerLog(server.log_path), ns.timeout)
            )
        server_info = {
            "runtime": "llama-cpp-python 0.3.36 server",
            "chat_format": os.environ.get("REAL_MODEL_CHAT_FORMAT", "chatml-tools"),
            "n_ctx": ctx,
            "threads": int(os.environ.get("REAL_MODEL_THREADS", os.cpu_count() or 1)),
            "server_args": os.environ.get("REAL_MODEL_SERVER_ARGS", ""),
        }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    which = task_set(ns.tasks)
    path = result_path(ns.model, ns.label, which)
    payload = {
        "model": ns.model,
        "label": ns.label,
        # Which task set: results of the suite and of the held-out set are never pooled.
        "set": which,
        "tasks": ns.tasks,
        "settings": overrides,
        "server": server_info,
        "machine": machine(),
        # Which runner ran: before/after rows of a tuning come from different commits.
        "code": code,
        "date": started.strftime("%Y-%m-%d"),
        "total_s": round(time.perf_counter() - t0, 1),
        "outcomes": [{**asdict(o), "verdict": o.verdict} for o in outcomes],
    }
    path.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    counts = Counter(o.verdict for o in outcomes)
    print(f"wrote {path.relative_to(ROOT)}: {dict(counts)} in {payload['total_s']}s", file=sys.stderr)
    return 0
