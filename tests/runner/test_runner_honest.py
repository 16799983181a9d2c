from __future__ import annotations

import asyncio
import json
from pathlib import Path

from runner_helpers import honest_verifier, kind, running

from smallclaw_tui.models import (
    FileContainsCheck,
    FileExistsCheck,
    JournalType,
    Origin,
    PlanStep,
    StepStatus,
    TaskStatus,
)
from smallclaw_tui.runner.events import Delivered, StepAdvanced, TaskCompleted
from smallclaw_tui.testing.fake_server import ChatRequest, Reply

FILES = {1: ("notes/a.txt", "alpha"), 2: ("notes/b.txt", "beta"), 3: ("notes/c.txt", "gamma")}


def honest(req: ChatRequest) -> Reply:
    k = kind(req)
    if k == "verify":
        return honest_verifier(req)
    if k == "summary":
        return Reply(text="Wrote alpha, beta and gamma into notes/.")
    step = int(req.last_user_text.split("Current step (", 1)[1].split(" ", 1)[0])
    if "Tool results so far in this step" in req.last_user_text or req.tool_results:
        return Reply(text=f"DONE: wrote {FILES[step][0]}")
    path, text = FILES[step]
    return Reply.tool("write_file", {"path": path, "content": text})


async def test_honest_model_completes_a_three_step_task(workspace: Path) -> None:
    steps = [
        PlanStep(index=i - 1, description=f"write {p}", checks=[FileContainsCheck(path=p, text=t)])
        for i, (p, t) in FILES.items()
    ]
    async with running(workspace, honest) as (runner, srv, events):
        task = await runner.create_task(
            "Write three notes", steps=steps, origin=Origin(session_id="chat_main", channel="tui")
        )
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        task = runner.tasks[task.id]

    assert task.status == TaskStatus.COMPLETE
    for path, text in FILES.values():
        assert (workspace / path).read_text() == text
    assert all(s.status == StepStatus.DONE for s in task.plan)
    assert task.final_summary == "Wrote alpha, beta and gamma into notes/."
    # Delivered to the chat it came from, and announced on the bus.
    session = json.loads((workspace / ".localclaw/sessions/chat_main.json").read_text())
    assert "Wrote alpha, beta and gamma" in session["messages"][-1]["content"]
    assert any(isinstance(e, TaskCompleted) for e in events)
    assert any(isinstance(e, Delivered) and e.ok for e in events)
    assert [e.step_index for e in events if isinstance(e, StepAdvanced)] == [0, 1, 2, 3]
    # Every tool call and result is in the journal, on disk, in order.
    reloaded = await runner.store.load(task.id)
    types = [e.type for e in reloaded.journal]
    assert types.count(JournalType.TOOL_CALL) == 3 and types.count(JournalType.TOOL_RESULT) == 3
    assert types.count(JournalType.DELIVERY) == 1
    # The verifier question is a plain call, not a tool-loop turn: the tools it carries are only
    # the step's cached prefix before the question alone (runner.verify_shared_prefix).
    questions = [r for r in srv.chat_requests if kind(r) == "verify"]
    assert questions and all(
        not r.tools or [m["role"] for m in r.messages] == ["system", "user"] for r in questions
    )


async def test_planner_plans_a_task_without_steps(workspace: Path) -> None:
    plan = {
        "steps": [
            {"description": "write notes/a.txt", "checks": [{"kind": "file_exists", "path": "notes/a.txt"}]},
            {"description": "write notes/b.txt", "checks": [{"kind": "file_exists", "path": "notes/b.txt"}]},
        ]
    }

    def handler(req: ChatRequest) -> Reply:
        if kind(req) == "plan":
            return Reply(text="<think>ok</think>```json\n" + json.dumps(plan) + "\n```")
        return honest(req)

    async with running(workspace, handler) as (runner, _srv, _events):
        task = await runner.create_task("Write two notes")
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        task = runner.tasks[task.id]
    assert task.status == TaskStatus.COMPLETE
    assert [s.description for s in task.plan] == ["write notes/a.txt", "write notes/b.txt"]
    assert isinstance(task.plan[0].checks[0], FileExistsCheck)


async def test_unusable_plan_is_reasked_once_then_needs_assistance_with_raw_reply(workspace: Path) -> None:
    asked: list[str] = []

    def handler(req: ChatRequest) -> Reply:
        asked.append(kind(req))
        return Reply(text="Sure! First I will think about it, then do it.")

    async with running(workspace, handler) as (runner, _srv, _events):
        task = await runner.create_task("Do something vague")
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        task = await runner.store.load(task.id)
    assert asked == ["plan", "plan"]
    assert task.status == TaskStatus.NEEDS_ASSISTANCE
    assert "could not make a usable plan" in (task.pause_reason or "")
    raw = [e for e in task.journal if e.type == JournalType.MODEL]
    assert len(raw) == 2 and "think about it" in raw[0].content
