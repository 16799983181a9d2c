"""An edited task goes on from the first step that changed; with `runner.review_plans` a plan the
runner made waits for the user before its first step (issue 14, item 8)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from runner_helpers import kind, running, step_number, worker

from smallclaw_tui.models import PlanStep, StepStatus, TaskStatus
from smallclaw_tui.runner.whole_file import SYSTEM as WHOLE
from smallclaw_tui.store.control import ControlRequest
from smallclaw_tui.task_edit import TaskEdit, edit_to_data
from smallclaw_tui.testing.fake_server import ChatRequest, Reply


async def test_after_an_edit_the_task_goes_on_from_the_first_changed_step(workspace: Path) -> None:
    asked: list[int] = []

    def act(req: ChatRequest) -> Reply:
        n = step_number(req)
        asked.append(n)
        if n == 2 and "b.txt" in req.last_user_text:
            return Reply(text="BLOCKED: I cannot")  # the first plan's step 2 gets nowhere
        return Reply.tool("write_file", {"path": f"step{n}.txt", "content": "x"})

    steps = [PlanStep(index=0, description="write step1.txt"), PlanStep(index=1, description="write b.txt")]
    async with running(workspace, worker(act), runner__max_step_attempts=1) as (runner, _srv, _events):
        task = await runner.create_task("two files", steps=steps)
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        assert runner.tasks[task.id].status == TaskStatus.NEEDS_ASSISTANCE
        asked.clear()
        new = [
            PlanStep(index=0, description="write step1.txt"),
            PlanStep(index=1, description="write step2.txt"),
        ]
        # As `smallclaw task edit` sends it to the runner that holds the workspace.
        await runner.apply(ControlRequest(task.id, "edit", data=edit_to_data(TaskEdit(steps=new))))
        await runner.resume(task.id)
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        done = await runner.store.load(task.id)
    assert done.status == TaskStatus.COMPLETE, done.pause_reason
    assert set(asked) == {2}  # step 1 was not done again
    assert [s.status for s in done.plan] == [StepStatus.DONE, StepStatus.DONE]
    assert (workspace / "step2.txt").exists()


async def test_review_plans_stops_a_planned_task_with_its_plan_and_resume_runs_it(workspace: Path) -> None:
    plan = (
        '{"steps": [{"description": "Write a.txt with hello", "action": "create", "files": ["a.txt"]}, '
        '{"description": "Write b.txt with hello", "action": "create", "files": ["b.txt"]}]}'
    )

    def handler(req: ChatRequest) -> Reply:
        if kind(req) == "plan":
            return Reply(text=plan)
        if WHOLE in req.system_text:  # each step is one small new file, answered whole
            return Reply(text="```\nhello\n```")
        return worker(
            lambda r: Reply.tool(
                "write_file", {"path": "ab"[step_number(r) - 1] + ".txt", "content": "hello"}
            )
        )(req)

    async with running(workspace, handler, runner__review_plans=True) as (runner, _srv, _events):
        task = await runner.create_task("put hello in a.txt and b.txt")
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        waiting = runner.tasks[task.id]
        assert waiting.status == TaskStatus.NEEDS_ASSISTANCE
        assert waiting.pause_reason is not None and waiting.pause_reason.startswith("the plan waits for you")
        assert "1. Write a.txt with hello; 2. Write b.txt with hello" in waiting.pause_reason
        assert not (workspace / "a.txt").exists()  # nothing ran
        await runner.resume(task.id)
        await asyncio.wait_for(runner.wait_until_idle(), 30)
        assert runner.tasks[task.id].status == TaskStatus.COMPLETE, runner.tasks[task.id].pause_reason
    assert (workspace / "b.txt").read_text().strip() == "hello"
