from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from smallclaw_tui.config import load_settings
from smallclaw_tui.runner.deps import RunnerDeps
from smallclaw_tui.runner.events import RunnerEvent
from smallclaw_tui.runner.runner import BackgroundTaskRunner
from smallclaw_tui.testing import FakeModelServer
from smallclaw_tui.testing.fake_server import ChatRequest, Reply

VERIFIER = "You check whether"
SUMMARY = "short, factual summaries"
PLANNER = "You plan work"


def kind(req: ChatRequest) -> str:
    system = req.system_text
    if VERIFIER in system:
        return "verify"
    if SUMMARY in system:
        return "summary"
    if PLANNER in system:
        return "plan"
    return "step"


def honest_verifier(req: ChatRequest) -> Reply:
    """Cites the last real tool result shown in the question, or says NO when there is none."""
    question = req.last_user_text
    lines = [ln[2:] for ln in question.splitlines() if ln.startswith("- [")]
    if not lines:
        return Reply(text="VERDICT: NO\nEVIDENCE: none\nREASON: no tool was called")
    quote = lines[-1].split("] ", 1)[1]
    return Reply(text=f"VERDICT: YES\nEVIDENCE: {quote}\nREASON: the tool result shows it")


@asynccontextmanager
async def running(
    ws: Path,
    handler: Callable[[ChatRequest], Reply | str],
    *,
    start: bool = True,
    **overrides: Any,
) -> AsyncIterator[tuple[BackgroundTaskRunner, FakeModelServer, list[RunnerEvent]]]:
    with FakeModelServer(handler) as srv:
        settings = load_settings(ws)
        settings.llm = srv.llm_settings()
        settings.runner.retry_base_s = 0.01
        settings.runner.retry_max_s = 0.05
        settings.runner.control_poll_s = 0.05
        for key, value in overrides.items():
            section, name = key.split("__")
            setattr(getattr(settings, section), name, value)
        deps = RunnerDeps.for_settings(settings)
        deps.rng = random.Random(7)
        events: list[RunnerEvent] = []
        deps.bus.on(events.append)
        runner = BackgroundTaskRunner(deps)
        if start:
            await runner.start()
        try:
            yield runner, srv, events
        finally:
            await runner.stop(grace_s=2)
            await deps.client.aclose()
