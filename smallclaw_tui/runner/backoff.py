"""Bounded exponential backoff with jitter, so a dead server costs a minute, not a hot loop."""

from __future__ import annotations

import random


def delays(attempts: int, base_s: float, max_s: float, rng: random.Random) -> list[float]:
    """Sleep before retry 1..attempts: base·2^i capped at max_s, each scaled by 0.5–1.0 (jitter)."""
    return [min(max_s, base_s * (2.0**i)) * (0.5 + rng.random() / 2) for i in range(attempts)]


def worst_case_s(attempts: int, base_s: float, max_s: float) -> float:
    return sum(min(max_s, base_s * (2.0**i)) for i in range(attempts))
