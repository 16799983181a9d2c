"""A running task says what it is doing: the phase (planning, step N try M, verifying, reviewing,
summarizing), since when, and the tokens the model wrote in it — what the board shows while a
small model spends a minute on one prompt."""

from __future__ import annotations

from pathlib import Path

from runner_helpers import kind, running, worker

from smallclaw_tui.models import FileContainsCheck, PlanStep, TaskStatus
from smallclaw_tui.runner.events import TaskProgress
from smallclaw_tui.testing.fake_server import ChatRequest, Reply


async def test_each_phase_of_a_task_is_announced_in_order_with_the_try(workspace: Path) -> None:
    tries = 0

    def act(req: ChatRequest) -> Reply:
        nonlocal tries
        tries += 1
        # The first try writes the wrong text: the check rejects it and the step is tried again.
        return Reply.tool("write_file", {"path": "a.txt", "content": "hello" if tries > 1 else "nope"})

    step = PlanStep(
        index=0, description="Write hello into a.txt", checks=[FileContainsCheck(path="a.txt", text="hello")]
    )
    async with running(workspace, worker(act)) as (runner, _srv, events):
        task = await runner.create_task("say hello in a.txt", steps=[step])
        await runner.wait_until_idle()
        assert (await runner.store.load(task.id)).status == TaskStatus.COMPLETE
    progress = [e for e in events if isinstance(e, TaskProgress) and e.task_id == task.id]
    phases = list(dict.fromkeys(e.phase for e in progress))
    assert phases == [
        "step 1/1 try 1",
        "step 1/1 try 2",
        "verifying step 1",
        "reviewing the goal",
        "summarizing",
    ]
    # Each phase starts its own clock and count; the model's streamed reply is counted.
    starts = [e for e in progress if e.tokens == 0]
    assert [e.since for e in starts] == sorted(e.since for e in starts)
    assert any(e.tokens > 0 for e in progress)


async def test_a_planned_task_starts_with_planning(workspace: Path) -> None:
    def handler(req: ChatRequest) -> Reply:
        if kind(req) == "plan":
            return Reply(
                text='{"steps": [{"description": "Write hello into a.txt", "action": "create", '
                '"files": ["a.txt"]}]}'
            )
        return worker(lambda r: Reply.tool("write_file", {"path": "a.txt", "content": "hello"}))(req)

    async with running(workspace, handler) as (runner, _srv, events):
        task = await runner.create_task("put hello in a.txt and in nothing else", steps=None)
        await runner.wait_until_idle()
    phases = [e.phase for e in events if isinstance(e, TaskProgress) and e.task_id == task.id]
    assert phases and phases[0] == "planning"
