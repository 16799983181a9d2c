"""Markdown tables for the terminal and for docs/benchmarks.md."""

from __future__ import annotations

from collections.abc import Sequence

from bench.reliability.cli_check import CliResult
from bench.reliability.configs import ABLATIONS, READ_TIMEOUT_S, RETRY_SCALE, Config
from bench.reliability.harness import Outcome
from bench.reliability.metrics import overhead, retry_sleep_at_defaults, tally, token_stats
from bench.reliability.profiles import PROFILES
from smallclaw_tui.config import AgentSettings, LLMSettings, RunnerSettings
from smallclaw_tui.runner.backoff import worst_case_s


def _table(head: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _f(x: float) -> str:
    return f"{x:.1f}"


def _profiles(runs: Sequence[Outcome]) -> list[str]:
    present = {r.profile for r in runs}
    return [p for p in PROFILES if p in present]


def outcomes_table(runs: Sequence[Outcome]) -> str:
    rows = []
    for name in [*_profiles(runs), "all"]:
        t = tally(r for r in runs if name in ("all", r.profile))
        rows.append(
            (
                f"**{name}**" if name == "all" else name,
                t.runs,
                t.ok,
                f"**{t.false}**",
                t.escalated,
                t.needless,
                t.other,
                _f(t.rounds_mean),
                _f(t.calls_mean),
                f"{_f(t.esc_rounds_mean)} / {t.esc_rounds_max}" if t.escalated + t.needless else "–",
                f"{_f(t.esc_calls_mean)} / {t.esc_calls_max}" if t.escalated + t.needless else "–",
            )
        )
    head = (
        "profile",
        "runs",
        "completed correctly",
        "false completions",
        "escalated correctly",
        "needless escalations",
        "other",
        "rounds / task",
        "model calls / task",
        "before escalation: rounds mean / max",
        "calls mean / max",
    )
    return _table(head, rows)


def bounds_table(runs: Sequence[Outcome]) -> str:
    rs, ag = RunnerSettings(), AgentSettings()
    per_round = ag.max_tool_rounds + 1
    rows = []
    for name in _profiles(runs):
        esc = [r for r in runs if r.profile == name and r.status == "needs_assistance"]
        if not esc:
            continue
        t = tally(esc)
        rows.append(
            (
                name,
                len(esc),
                t.esc_step_rounds_max,
                t.esc_rounds_max,
                t.esc_calls_max,
                _reasons(esc),
            )
        )
    table = _table(
        (
            "profile",
            "escalations",
            "max rounds on the step that escalated",
            "max rounds in the task",
            "max model calls in the task",
            "why (most common)",
        ),
        rows,
    )
    note = (
        f"Bounds set by the defaults: a step escalates after `max_step_attempts` = {rs.max_step_attempts} "
        f"rejected claims or `max_rounds_per_step` = {rs.max_rounds_per_step} rounds; a round makes at "
        f"most `max_tool_rounds` = {ag.max_tool_rounds} model calls plus 1 verifier call, so a stuck step "
        f"costs at most {rs.max_rounds_per_step * per_round} model calls (the loop guard stops a repeated "
        f"call at its {ag.loop_stuck_at}th attempt); a task stops at `max_rounds_per_task` = "
        f"{rs.max_rounds_per_task} rounds (≤ {2 + rs.max_rounds_per_task * per_round + 1} calls with the "
        "planner and summary). Transport retries multiply a call by at most "
        f"{1 + rs.retry_max_attempts}."
    )
    return table + "\n\n" + note


def _reasons(runs: Sequence[Outcome]) -> str:
    counts: dict[str, int] = {}
    for r in runs:
        reason = r.pause_reason
        if reason.startswith("step ") and ":" in reason:
            reason = reason.split(":", 1)[1].strip()
        key = " ".join(reason.split()[:6]) or "?"
        counts[key] = counts.get(key, 0) + 1
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:2]
    return "; ".join(f"{k}… ({n})" for k, n in top).replace("|", "/")


def tokens_table(runs: Sequence[Outcome]) -> str:
    ctx = LLMSettings().num_ctx
    rows = [
        (s.kind, s.requests, s.median, s.p95, s.max, f"{100 * s.max / ctx:.0f}%")
        for s in token_stats(runs, ("step", "verifier", "planner", "summary"))
    ]
    return _table(("request", "requests", "median", "p95", "max", f"max / num_ctx ({ctx})"), rows)


def overhead_table(runs: Sequence[Outcome]) -> str:
    o = overhead(runs)
    return _table(
        ("runs", "wall / task", "wall / round", "wall / model call", "time inside the model"),
        [
            (
                o.runs,
                f"{o.per_task_ms:.0f} ms",
                f"{o.per_round_ms:.1f} ms",
                f"{o.per_call_ms:.1f} ms",
                f"{100 * o.model_share:.1f}%",
            )
        ],
    )


def ablation_table(runs: Sequence[Outcome], configs: Sequence[Config] = ABLATIONS) -> str:
    rows = []
    for c in configs:
        t = tally(r for r in runs if r.config == c.name)
        if not t.runs:
            continue
        rows.append(
            (
                f"**{c.name}**" if c.is_default else c.name,
                t.runs,
                t.ok,
                f"**{t.false}**",
                t.escalated,
                t.needless,
                t.other,
                _f(t.calls_mean),
                f"{_f(t.esc_calls_mean)} / {t.esc_calls_max}" if t.escalated + t.needless else "–",
            )
        )
    head = (
        "configuration",
        "runs",
        "completed correctly",
        "false completions",
        "escalated correctly",
        "needless escalations",
        "other",
        "model calls / task",
        "calls before escalation mean / max",
    )
    return _table(head, rows)


def matrix_table(runs: Sequence[Outcome], configs: Sequence[Config] = ABLATIONS) -> str:
    """Per profile × configuration: completed correctly / false completions / escalated."""
    present = [c for c in configs if any(r.config == c.name for r in runs)]
    rows = []
    for name in _profiles(runs):
        cells: list[object] = [name]
        for c in present:
            t = tally(r for r in runs if r.profile == name and r.config == c.name)
            cells.append(f"{t.ok} / **{t.false}** / {t.escalated + t.needless}" if t.runs else "–")
        rows.append(cells)
    return _table(("profile", *(c.name for c in present)), rows)


def retry_note(runs: Sequence[Outcome]) -> str:
    flaky = [r for r in runs if r.config == "default" and r.retry_attempts]
    if not flaky:
        return ""
    attempts = [k for r in flaky for k in r.retry_attempts]
    per_task = retry_sleep_at_defaults(attempts) / len({(r.task, r.profile, r.seed) for r in flaky})
    rs = RunnerSettings()
    base, cap, tries = rs.retry_base_s, rs.retry_max_s, rs.retry_max_attempts
    dead = worst_case_s(tries, base, cap)
    return (
        f"Retry timing was scaled by {RETRY_SCALE} (base {base * RETRY_SCALE:g} s, cap "
        f"{cap * RETRY_SCALE:g} s) and the read timeout set to {READ_TIMEOUT_S:g} s. At the product "
        f"defaults (base {base:g} s, cap {cap:g} s, {tries} attempts: {dead:g} s before a dead server "
        f"pauses the task) the {len(attempts)} transport retries seen with the defaults would have slept "
        f"≈ {per_task:.1f} s per task that had any, and each first token slower than the read timeout "
        f"would wait {LLMSettings().read_timeout_s:g} s instead of {READ_TIMEOUT_S:g} s."
    )


def cli_table(results: Sequence[CliResult]) -> str:
    rows = [(r.profile, r.task, r.status, "yes" if r.end_ok else "no", r.exit_code) for r in results]
    return _table(("profile", "task", "status", "end state right", "`smallclaw run` exit code"), rows)


def profiles_table() -> str:
    return _table(("profile", "behaviour"), [(name, desc) for name, (_f_, desc) in PROFILES.items()])


def ablation_notes(runs: Sequence[Outcome]) -> str:
    """One line per mechanism: what turning it off costs, read off the runs."""

    def pair(off: str, profiles: Sequence[str]) -> tuple[list[Outcome], list[Outcome]]:
        """Default and ablated runs over the same profiles, so the two numbers compare."""
        both = [p for p in profiles if any(r.profile == p and r.config == off for r in runs)]
        return (
            [r for r in runs if r.config == "default" and r.profile in both],
            [r for r in runs if r.config == off and r.profile in both],
        )

    lines = []
    every = list(PROFILES)
    base, ver_off = pair("verification=off", every)
    _, yes_no = pair("verification=yes_no", every)
    if ver_off and yes_no:
        lines.append(
            f"- **Verification** — false completions over the same runs: off {tally(ver_off).false}, "
            f"YES/NO only {tally(yes_no).false}, checks + evidence {tally(base).false}."
        )
    on_runs, off_runs = pair("loop_guard=off", ("looper", "pingpong"))
    on, off = tally(on_runs), tally(off_runs)
    if on.runs and off.runs:
        lines.append(
            f"- **Loop guard** — looping profiles escalate after {_f(on.esc_calls_mean)} model calls "
            f"(max {on.esc_calls_max}) with it, {_f(off.esc_calls_mean)} (max {off.esc_calls_max}) without: "
            "then only the per-step round cap stops them."
        )
    on_runs, off_runs = pair("retries=off", ("flaky", "flaky_sloppy"))
    on, off = tally(on_runs), tally(off_runs)
    if on.runs and off.runs:
        lines.append(
            f"- **Retries** — flaky-transport profiles complete correctly {on.ok}/{on.runs} with retries, "
            f"{off.ok}/{off.runs} without (the rest pause as `model server unreachable`)."
        )
    return "\n".join(lines)
