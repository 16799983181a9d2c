"""Shared pieces of the Telegram tests: fast timings, a runner, tasks in a given state."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from smallclaw_tui.config import LLMSettings, TelegramSettings, load_settings
from smallclaw_tui.models import (
    ChannelKind,
    JournalEntry,
    JournalType,
    Origin,
    PendingApproval,
    Task,
    TaskStatus,
)
from smallclaw_tui.runner.deps import RunnerDeps
from smallclaw_tui.runner.runner import BackgroundTaskRunner
from smallclaw_tui.telegram.adapter import TelegramAdapter
from smallclaw_tui.telegram.outbox import TelegramTuning
from smallclaw_tui.testing import unreachable_url

OWNER = 4242
STRANGER = 6666
GROUP = -100777

FAST = TelegramTuning(
    poll_timeout_s=2,
    request_timeout_s=2.0,
    retry_base_s=0.02,
    retry_max_s=0.1,
    give_up_after_s=10.0,
    min_send_interval_s=0.0,
    stop_grace_s=1.0,
)


def make_runner(
    workspace: Path, llm: LLMSettings | None = None, **runner_settings: Any
) -> BackgroundTaskRunner:
    settings = load_settings(workspace)
    settings.llm = llm or LLMSettings(base_url=unreachable_url(), connect_timeout_s=0.5)
    settings.runner.retry_base_s = 0.01
    settings.runner.retry_max_s = 0.05
    settings.runner.control_poll_s = 0.05
    for key, value in runner_settings.items():
        setattr(settings.runner, key, value)
    deps = RunnerDeps.for_settings(settings)
    deps.rng = random.Random(3)
    return BackgroundTaskRunner(deps)


@asynccontextmanager
async def adapter_for(
    runner: BackgroundTaskRunner, settings: TelegramSettings, tuning: TelegramTuning = FAST
) -> AsyncIterator[TelegramAdapter]:
    adapter = TelegramAdapter(settings, runner, tuning=tuning, rng=random.Random(1))
    await adapter.start()
    try:
        yield adapter
    finally:
        await adapter.stop(grace_s=1.0)


async def until(predicate: Callable[[], object], timeout: float = 5.0, what: str = "condition") -> None:
    """Poll with a deadline: the only kind of waiting these tests do."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s")
        await asyncio.sleep(0.01)


def telegram_origin(chat_id: int) -> Origin:
    return Origin(channel=ChannelKind.TELEGRAM, telegram_chat_id=chat_id)


async def completed_task(
    runner: BackgroundTaskRunner, title: str, summary: str, origin: Origin | None = None
) -> Task:
    task = await runner.create_task(f"{title} (goal)", title=title, origin=origin)
    task.transition(TaskStatus.RUNNING)
    task.final_summary = summary
    task.transition(TaskStatus.COMPLETE)
    await runner.store.save(task)
    return task


async def stuck_task(
    runner: BackgroundTaskRunner,
    title: str,
    reason: str,
    *,
    pending: str | None = None,
    origin: Origin | None = None,
) -> Task:
    task = await runner.create_task(f"{title} (goal)", title=title, origin=origin)
    task.transition(TaskStatus.RUNNING)
    if pending is not None:
        task.pending_approval = PendingApproval(command=pending)
    task.transition(TaskStatus.NEEDS_ASSISTANCE, reason=reason)
    await runner.store.save(task)
    return task


def deliveries(task: Task) -> list[JournalEntry]:
    return [
        e for e in task.journal if e.type == JournalType.DELIVERY and e.detail.get("channel") == "telegram"
    ]
