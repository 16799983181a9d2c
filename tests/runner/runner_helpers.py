from __future__ import annotations

import asyncio
import random
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from smallclaw_tui.config import load_settings
from smallclaw_tui.runner.deps import RunnerDeps
from smallclaw_tui.runner.events import RunnerEvent
from smallclaw_tui.runner.runner import BackgroundTaskRunner
from smallclaw_tui.runner.verifier import asked_after_worker
from smallclaw_tui.testing import FakeModelServer
from smallclaw_tui.testing.fake_server import ChatRequest, Reply

VERIFIER = "You check whether"
REVIEW = "You review a change"
SUMMARY = "short, factual summaries"
PLANNER = "You plan work"
# The one-word question whether a goal about one file changes it (runner/one_file_plan.py).
SORTER = "You sort a user's goal"


def kind(req: ChatRequest) -> str:
    system = req.system_text
    if asked_after_worker(req.texts("user")):
        return "verify"
    # The end-of-task goal review is a verifier question too: scripted verifiers answer both.
    if VERIFIER in system or REVIEW in system:
        return "verify"
    if SUMMARY in system:
        return "summary"
    if PLANNER in system or SORTER in system:
        return "plan"
    return "step"


def honest_verifier(req: ChatRequest) -> Reply:
    """Cites the last successful tool result shown in the question (its label and a quote from
    it), or says NO when there is none."""
    question = req.last_user_text
    if REVIEW in req.system_text:
        return Reply(text="VERDICT: YES\nREASON: the diff does what the goal asks")
    lines = [m for ln in question.splitlines() if (m := re.match(r"- (R\d+): (.*)", ln))]
    if not lines:
        return Reply(text="VERDICT: NO\nEVIDENCE: none\nREASON: no tool was called")
    label, text = lines[-1].group(1), lines[-1].group(2)
    quote = text.rsplit(" → ", 1)[-1].split("] ", 1)[-1]
    return Reply(text=f"VERDICT: YES\nEVIDENCE: {label}: {quote}\nREASON: the tool result shows it")


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


def worker(act: Callable[[ChatRequest], Reply]) -> Callable[[ChatRequest], Reply]:
    """A scripted model: `act` answers step rounds; verifier questions get the honest verifier,
    summaries "ok", and a round whose last tool result came back gets "DONE"."""

    def handler(req: ChatRequest) -> Reply:
        k = kind(req)
        if k == "verify":
            return honest_verifier(req)
        if k == "summary":
            return Reply(text="ok")
        if req.tool_results:
            return Reply(text="DONE")
        return act(req)

    return handler


def step_number(req: ChatRequest) -> int:
    """The current step (1-based) of a step round's prompt."""
    prompt = next(t for t in reversed(req.texts("user")) if t.startswith("Goal:"))
    return int(prompt.split("Current step (", 1)[1].split(" ", 1)[0])


async def run_to_idle(
    ws: Path,
    handler: Callable[[ChatRequest], Reply],
    steps: list[Any] | None,
    *,
    goal: str = "the task",
    **overrides: Any,
) -> tuple[Any, FakeModelServer]:
    """Run one task (these steps, or None: planned) to the end; (the task as saved, the server)."""
    async with running(ws, handler, **overrides) as (runner, srv, _events):
        task = await runner.create_task(goal, steps=steps)
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        return await runner.store.load(task.id), srv
