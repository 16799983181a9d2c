"""Intents that arrive near a task's end (issue 14, item 1): each is applied, or answered with a
visible reason. None is silently dropped."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from runner_helpers import kind, running, worker

from smallclaw_tui import taskops
from smallclaw_tui.models import FileContainsCheck, PlanStep, TaskStatus
from smallclaw_tui.runner.events import IntentAnswered, TaskCompleted
from smallclaw_tui.testing.fake_server import ChatRequest, Reply

STEPS = [
    PlanStep(index=0, description="write out.txt", checks=[FileContainsCheck(path="out.txt", text="hi")])
]


WRITER = worker(lambda _req: Reply.tool("write_file", {"path": "out.txt", "content": "hi"}))


def _slow_summary() -> tuple[threading.Event, threading.Event, Callable[[ChatRequest], Reply]]:
    """A model whose summary call waits for the test: (summary started, release, handler)."""
    started, release = threading.Event(), threading.Event()

    def handler(req: ChatRequest) -> Reply:
        if kind(req) == "summary":
            started.set()
            release.wait(10)
        return WRITER(req)

    return started, release, handler


async def _wait_for(event: threading.Event) -> None:
    assert await asyncio.to_thread(event.wait, 10)


@pytest.mark.parametrize(
    ("action", "status", "journal"),
    [("cancel", TaskStatus.CANCELLED, "cancelled"), ("pause", TaskStatus.PAUSED, "paused by the user")],
)
async def test_an_intent_during_the_summary_is_applied(
    workspace: Path, action: str, status: TaskStatus, journal: str
) -> None:
    started, release, handler = _slow_summary()
    async with running(workspace, handler) as (runner, _srv, _events):
        task = await runner.create_task("write", steps=STEPS)
        await _wait_for(started)
        await getattr(runner, action)(task.id, None)
        release.set()
        await asyncio.wait_for(runner.wait_until_idle(), 10)
        saved = await runner.store.load(task.id)
    assert saved.status == status
    assert any(journal in e.content for e in saved.journal)
    assert not any(e.content == "complete" for e in saved.journal)


async def test_an_intent_after_the_end_is_answered_too_late(workspace: Path) -> None:
    async with running(workspace, WRITER) as (runner, _srv, _events):
        task = await runner.create_task("write", steps=STEPS)
        await asyncio.wait_for(runner.wait_until_idle(), 10)
        assert runner.tasks[task.id].status == TaskStatus.COMPLETE
        for action in ("cancel", "pause"):
            with pytest.raises(taskops.TaskOpError, match="too late: the task finished"):
                await getattr(runner, action)(task.id, None)


async def test_a_pause_the_executor_could_not_apply_is_applied_after_it_stops(workspace: Path) -> None:
    """A pause that reaches the executor as it stops for another reason (the model server went
    away) still pauses the task: no automatic retry may override what the user asked."""
    started = threading.Event()

    def handler(req: ChatRequest) -> Reply:
        started.set()
        return Reply(status=500, error="boom", delay_first_s=0.3)

    async with running(workspace, handler, runner__retry_max_attempts=0) as (runner, _srv, _events):
        task = await runner.create_task("write", steps=STEPS)
        await _wait_for(started)
        await runner.pause(task.id, "wait for me")
        await asyncio.wait_for(runner.wait_until_idle(), 10)
        saved = await runner.store.load(task.id)
    assert saved.status == TaskStatus.PAUSED
    assert saved.pause_reason == "wait for me"


async def test_a_cancel_as_the_task_completes_is_answered(workspace: Path) -> None:
    """The cancel lands after the task became complete but before the runner let go of it: it is
    answered with "too late", on the bus or as the call's error, never dropped."""
    outcome: list[str] = []

    async with running(workspace, WRITER) as (runner, _srv, events):
        loop = asyncio.get_running_loop()
        late: list[asyncio.Task[None]] = []

        async def cancel_now(task_id: str) -> None:
            try:
                await runner.cancel(task_id, None)
            except taskops.TaskOpError as e:
                outcome.append(str(e))

        def on_event(event: object) -> None:
            if isinstance(event, TaskCompleted):
                late.append(loop.create_task(cancel_now(event.task_id)))

        runner.bus.on(on_event)
        task = await runner.create_task("write", steps=STEPS)
        await asyncio.wait_for(runner.wait_until_idle(), 10)
        await asyncio.gather(*late)
        await runner.bus.drain()
        assert runner.tasks[task.id].status == TaskStatus.COMPLETE
    outcome += [e.reason for e in events if isinstance(e, IntentAnswered) and e.action == "cancel"]
    assert len(outcome) == 1 and "too late: the task finished" in outcome[0]
