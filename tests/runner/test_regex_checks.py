"""`file_contains` checks with `regex: true` run a pattern a model wrote: a pathological one must
neither hang the runner nor stall its event loop."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from smallclaw_tui.config import ToolSettings
from smallclaw_tui.models import FileContainsCheck
from smallclaw_tui.runner.checks import CheckOutcome, run_check
from smallclaw_tui.tools.base import ToolContext

EVIL_TEXT = "a" * 40 + "b"


def _ctx(ws: Path) -> ToolContext:
    return ToolContext(workspace=ws, settings=ToolSettings())


async def _check_while_ticking(ws: Path, pattern: str) -> tuple[CheckOutcome, float, float]:
    """Run the check while another task ticks every 10 ms: (outcome, seconds, longest gap)."""
    gaps: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        last = time.monotonic()
        while not done.is_set():
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    start = time.monotonic()
    outcome = await run_check(FileContainsCheck(path="evil.txt", text=pattern, regex=True), _ctx(ws))
    elapsed = time.monotonic() - start
    done.set()
    await ticker
    return outcome, elapsed, max(gaps, default=0.0)


async def test_a_catastrophic_pattern_finishes_fast_and_the_loop_keeps_running(workspace: Path) -> None:
    (workspace / "evil.txt").write_text(EVIL_TEXT)
    outcome, elapsed, gap = await _check_while_ticking(workspace, "(a+)+$")
    assert not outcome.passed and "does not match /(a+)+$/" in outcome.detail
    assert elapsed < 2 and gap < 0.5


async def test_a_catastrophic_pattern_the_linear_engine_refuses_is_cut_off_with_a_clear_reason(
    workspace: Path,
) -> None:
    (workspace / "evil.txt").write_text(EVIL_TEXT)
    # A lookahead: only the backtracking engine runs it, so it runs where it can be stopped.
    outcome, elapsed, gap = await _check_while_ticking(workspace, "(?=(a+)+$)")
    assert not outcome.passed and "took longer than" in outcome.detail
    assert elapsed < 4 and gap < 0.5


async def test_patterns_keep_their_meaning(workspace: Path) -> None:
    (workspace / "f.txt").write_text("version = 2.0.1\nhello hello\nend\n")
    ctx = _ctx(workspace)

    async def passes(pattern: str) -> bool:
        return (await run_check(FileContainsCheck(path="f.txt", text=pattern, regex=True), ctx)).passed

    assert await passes(r"^version = \d+\.\d+\.\d+$")  # ^ and $ work per line
    assert await passes(r"(\w+) \1")  # a backreference: not linear, still supported
    assert await passes(r"(?<=version = )2\.0")  # a lookbehind, likewise
    assert not await passes(r"^hello$")
    assert not await passes(r"(\w+) \1 \1")
    (workspace / "f.txt").write_text("café\n")
    assert await passes(r"^\w+$")  # \w is Unicode, as in Python, not ASCII as in RE2
    bad = await run_check(FileContainsCheck(path="f.txt", text="(unclosed", regex=True), ctx)
    assert not bad.passed and "bad regex" in bad.detail
