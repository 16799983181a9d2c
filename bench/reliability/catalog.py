"""Every task the benchmarks know, by set: the suite (:mod:`.suite`) and the held-out set (:mod:`.heldout`).

The simulated models look steps and goals up here, so they can play either set; the two sets are
kept apart everywhere results are reported.
"""

from __future__ import annotations

from collections import Counter

from bench.reliability import heldout, suite
from bench.reliability.spec import BenchTask, Step

SETS: dict[str, tuple[BenchTask, ...]] = {"suite": suite.SUITE, "heldout": heldout.HELDOUT}
ALL: tuple[BenchTask, ...] = suite.SUITE + heldout.HELDOUT


def _unique(key: str, values: list[str]) -> None:
    twice = sorted(v for v, n in Counter(values).items() if n > 1)
    if twice:
        raise ValueError(f"task {key} used in both sets (or twice): {twice}")


def _steps() -> dict[str, Step]:
    steps: dict[str, Step] = {}
    for task in ALL:
        for step in task.steps:
            if step.text in steps and steps[step.text] != step:
                raise ValueError(f"step text used twice with different work: {step.text!r}")
            steps[step.text] = step
    return steps


_unique("id", [t.id for t in ALL])
_unique("goal", [t.goal for t in ALL])
STEPS: dict[str, Step] = _steps()
BY_GOAL: dict[str, BenchTask] = {t.goal: t for t in ALL}
BY_ID: dict[str, BenchTask] = {t.id: t for t in ALL}
SET_OF: dict[str, str] = {t.id: name for name, tasks in SETS.items() for t in tasks}
