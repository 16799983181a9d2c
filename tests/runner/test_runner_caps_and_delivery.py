"""Round caps, and a "needs you" reaching the chat the task came from."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from runner_helpers import kind, running

from smallclaw_tui.models import FileContainsCheck, Origin, PlanStep, TaskStatus
from smallclaw_tui.runner.events import Delivered, NeedsAssistance
from smallclaw_tui.testing.fake_server import ChatRequest, Reply


def busy_never_done(req: ChatRequest) -> Reply:
    """Makes a new, successful call every time and never claims the step: only a cap stops it."""
    if kind(req) != "step":
        return Reply(text="VERDICT: NO\nEVIDENCE: none\nREASON: not done")
    n = len(req.tool_results)
    return Reply.tool("write_file", {"path": f"scratch/{n}.txt", "content": f"note {n}"})


async def test_a_step_that_never_finishes_stops_at_the_step_round_cap(workspace: Path) -> None:
    steps = [PlanStep(index=0, description="write the notes")]
    async with running(
        workspace, busy_never_done, runner__max_rounds_per_step=3, agent__max_tool_rounds=2
    ) as (runner, srv, _events):
        task = await runner.create_task("Notes", steps=steps)
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        task = await runner.store.load(task.id)
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert task.pause_reason == "step 1 did not finish within 3 rounds"
    assert task.rounds == 3
    # Bounded: 3 rounds of at most 2 model calls each (plus at most one re-ask per round).
    assert len([r for r in srv.chat_requests if kind(r) == "step"]) <= 9


async def test_a_task_that_never_finishes_stops_at_the_task_round_cap(workspace: Path) -> None:
    # Each step is accepted after one call, but there are more steps than the task may spend rounds on.
    def one_call_per_step(req: ChatRequest) -> Reply:
        k = kind(req)
        if k == "verify":
            return Reply(text="VERDICT: YES\nEVIDENCE: R1: wrote\nREASON: ok")
        if k == "summary":
            return Reply(text="ok")
        if req.tool_results:
            return Reply(text="DONE")
        step = req.last_user_text.split("Current step (", 1)[1].split(" ", 1)[0]
        return Reply.tool("write_file", {"path": f"s{step}.txt", "content": "x"})

    steps = [
        PlanStep(
            index=i,
            description=f"write s{i + 1}.txt",
            checks=[FileContainsCheck(path=f"s{i + 1}.txt", text="x")],
        )
        for i in range(4)
    ]
    async with running(workspace, one_call_per_step, runner__max_rounds_per_task=2) as (runner, _s, _e):
        task = await runner.create_task("Four files", steps=steps)
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        task = await runner.store.load(task.id)
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert task.pause_reason == "the task used its 2 rounds without finishing"
    assert task.current_step == 2 and task.rounds == 2
    assert not (workspace / "s3.txt").exists()


async def test_needs_you_is_delivered_to_the_originating_chat(workspace: Path) -> None:
    steps = [PlanStep(index=0, description="write the notes")]
    async with running(
        workspace, busy_never_done, runner__max_rounds_per_step=1, agent__max_tool_rounds=1
    ) as (
        runner,
        _srv,
        events,
    ):
        task = await runner.create_task(
            "Notes", steps=steps, origin=Origin(session_id="chat_main", channel="tui")
        )
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        task = await runner.store.load(task.id)
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    session = json.loads((workspace / ".localclaw/sessions/chat_main.json").read_text())
    last = session["messages"][-1]
    assert last["role"] == "assistant"
    assert f"Task {task.id}" in last["content"] and "needs you" in last["content"]
    assert "step 1 did not finish within 1 round" in last["content"]
    assert any(isinstance(e, NeedsAssistance) for e in events)
    assert any(isinstance(e, Delivered) and e.channel == "chat" and e.ok for e in events)
