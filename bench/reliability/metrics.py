"""Figures from a set of runs: outcomes, cycles burned, prompt size, engine overhead."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bench.reliability.configs import RETRY_SCALE
from bench.reliability.harness import Outcome
from smallclaw_tui.config import RunnerSettings


@dataclass(frozen=True, slots=True)
class Tally:
    runs: int
    ok: int
    false: int
    escalated: int
    needless: int
    other: int
    rounds_mean: float
    calls_mean: float
    # Over the runs that ended in needs_assistance: the cycles burned before giving up.
    esc_rounds_mean: float
    esc_rounds_max: int
    esc_step_rounds_max: int
    esc_calls_mean: float
    esc_calls_max: int


def _mean(xs: Sequence[float]) -> float:
    return statistics.fmean(xs) if xs else 0.0


def tally(runs: Iterable[Outcome]) -> Tally:
    rs = list(runs)
    esc = [r for r in rs if r.status == "needs_assistance"]
    count = {
        v: sum(1 for r in rs if r.verdict == v) for v in ("ok", "false", "escalated", "needless", "other")
    }
    return Tally(
        runs=len(rs),
        ok=count["ok"],
        false=count["false"],
        escalated=count["escalated"],
        needless=count["needless"],
        other=count["other"],
        rounds_mean=_mean([r.rounds for r in rs]),
        calls_mean=_mean([r.model_calls for r in rs]),
        esc_rounds_mean=_mean([r.rounds for r in esc]),
        esc_rounds_max=max((r.rounds for r in esc), default=0),
        esc_step_rounds_max=max((r.escalation_step_rounds for r in esc), default=0),
        esc_calls_mean=_mean([r.model_calls for r in esc]),
        esc_calls_max=max((r.model_calls for r in esc), default=0),
    )


@dataclass(frozen=True, slots=True)
class TokenStats:
    kind: str
    requests: int
    median: int
    p95: int
    max: int


def token_stats(runs: Iterable[Outcome], kinds: Sequence[str]) -> list[TokenStats]:
    pooled: dict[str, list[int]] = {k: [] for k in kinds}
    for r in runs:
        for kind, values in r.tokens.items():
            pooled.setdefault(kind, []).extend(values)
    out = []
    for kind in kinds:
        xs = sorted(pooled.get(kind, []))
        if xs:
            out.append(
                TokenStats(kind, len(xs), int(statistics.median(xs)), xs[int(0.95 * (len(xs) - 1))], xs[-1])
            )
    return out


@dataclass(frozen=True, slots=True)
class Overhead:
    runs: int
    per_task_ms: float
    per_round_ms: float
    per_call_ms: float
    model_share: float  # of wall time, spent inside the simulated model's handler


def overhead(runs: Iterable[Outcome]) -> Overhead:
    rs = [r for r in runs if r.rounds and r.model_calls]
    return Overhead(
        runs=len(rs),
        per_task_ms=statistics.median(r.wall_s for r in rs) * 1000,
        per_round_ms=statistics.median(r.wall_s / r.rounds for r in rs) * 1000,
        per_call_ms=statistics.median(r.wall_s / r.model_calls for r in rs) * 1000,
        model_share=sum(r.model_s for r in rs) / max(sum(r.wall_s for r in rs), 1e-9),
    )


def retry_sleep_at_defaults(attempts: Iterable[int]) -> float:
    """Expected seconds the product's default backoff would sleep for these retries (jitter 0.5–1.0)."""
    rs = RunnerSettings()
    return sum(0.75 * min(rs.retry_max_s, rs.retry_base_s * 2.0 ** (k - 1)) for k in attempts)


def retry_sleep_scaled(attempts: Iterable[int]) -> float:
    return retry_sleep_at_defaults(attempts) * RETRY_SCALE
