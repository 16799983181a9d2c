from __future__ import annotations

import asyncio
from pathlib import Path

from runner_helpers import honest_verifier, kind, running, step_number

from smallclaw_tui.models import (
    FileContainsCheck,
    FileExistsCheck,
    JournalEntry,
    JournalType,
    PlanStep,
    Task,
    TaskStatus,
    ToolCall,
)
from smallclaw_tui.store.tasks import TaskStore
from smallclaw_tui.testing.fake_server import ChatRequest, Reply

STEP = [PlanStep(index=0, description="write out.txt", checks=[FileContainsCheck(path="out.txt", text="hi")])]


async def until(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


def writer(content_from_note: bool = False, delay: float = 0.0):  # type: ignore[no-untyped-def]
    def handler(req: ChatRequest) -> Reply:
        k = kind(req)
        if k == "verify":
            return honest_verifier(req)
        if k == "summary":
            return Reply(text="done")
        if req.tool_results:
            return Reply(text="DONE: wrote out.txt")
        text = "HI" if content_from_note and "use capitals" in req.last_user_text else "hi"
        return Reply.tool("write_file", {"path": "out.txt", "content": text}, delay_first_s=delay)

    return handler


async def test_pause_at_round_boundary_then_resume_with_a_note_in_the_next_prompt(workspace: Path) -> None:
    steps = [
        PlanStep(index=0, description="write out.txt", checks=[FileContainsCheck(path="out.txt", text="HI")])
    ]
    async with running(workspace, writer(content_from_note=True, delay=0.3)) as (runner, srv, _events):
        task = await runner.create_task("Write out.txt", steps=steps)
        await until(lambda: runner.tasks[task.id].status == TaskStatus.RUNNING)
        await runner.pause(task.id, "wait for me")
        await until(lambda: runner.tasks[task.id].status == TaskStatus.PAUSED)
        assert runner.tasks[task.id].pause_reason == "wait for me"
        await runner.resume(task.id, "use capitals")
        await asyncio.wait_for(runner.wait_until_idle(), 20)
        task = await runner.store.load(task.id)
        prompts = [r.last_user_text for r in srv.chat_requests if kind(r) == "step"]
    assert task.status == TaskStatus.COMPLETE
    assert (workspace / "out.txt").read_text() == "HI"
    assert any("Notes from the user:\n- use capitals" in p for p in prompts)
    types = [e.type for e in task.journal]
    assert JournalType.PAUSE in types and JournalType.RESUME in types


async def test_cancel_queued_and_running_tasks(workspace: Path) -> None:
    async with running(workspace, writer(delay=0.3), runner__max_concurrent=1) as (runner, _srv, _events):
        first = await runner.create_task("one", steps=STEP)
        second = await runner.create_task("two", steps=STEP)
        await until(lambda: runner.tasks[first.id].status == TaskStatus.RUNNING)
        await runner.cancel(second.id)  # still queued: cancelled at once
        assert runner.tasks[second.id].status == TaskStatus.CANCELLED
        await runner.cancel(first.id, "changed my mind")
        await asyncio.wait_for(runner.wait_until_idle(), 20)
        first_task = await runner.store.load(first.id)
    assert first_task.status == TaskStatus.CANCELLED
    assert first_task.pause_reason == "changed my mind"


async def test_background_shell_command_waits_for_approval_then_runs(workspace: Path) -> None:
    steps = [PlanStep(index=0, description="create made.txt", checks=[FileExistsCheck(path="made.txt")])]

    def handler(req: ChatRequest) -> Reply:
        k = kind(req)
        if k == "verify":
            return honest_verifier(req)
        if k == "summary":
            return Reply(text="made it")
        if req.tool_results and req.tool_results[-1].startswith("exit 0"):
            return Reply(text="DONE: created made.txt")
        return Reply.tool("run_shell", {"command": "touch made.txt"})

    async with running(workspace, handler) as (runner, _srv, _events):
        task = await runner.create_task("Make a file", steps=steps)
        await asyncio.wait_for(runner.wait_until_idle(), 20)
        waiting = runner.tasks[task.id]
        assert waiting.status == TaskStatus.NEEDS_ASSISTANCE
        assert waiting.pending_approval is not None and waiting.pending_approval.command == "touch made.txt"
        assert "touch made.txt" in (waiting.pause_reason or "")
        assert not (workspace / "made.txt").exists()
        await runner.approve(task.id)
        await asyncio.wait_for(runner.wait_until_idle(), 20)
        done = await runner.store.load(task.id)
    assert done.status == TaskStatus.COMPLETE
    assert (workspace / "made.txt").exists()
    assert done.approved_commands == ["touch made.txt"]


async def test_crash_recovery_resumes_running_task_and_reports_in_flight_call(workspace: Path) -> None:
    store = TaskStore(workspace / ".localclaw")
    task = Task(title="t", prompt="Write out.txt", plan=[s.model_copy() for s in STEP])
    await store.create(task)
    task.transition(TaskStatus.RUNNING)
    call = ToolCall(name="write_file", arguments={"path": "out.txt", "content": "hi"})
    task.resume_context.in_flight_tool_call = call
    await store.save(task)
    await store.append_journal(
        task, JournalEntry(type=JournalType.TOOL_CALL, content="write_file {...}", step=0)
    )

    async with running(workspace, writer()) as (runner, srv, _events):
        await asyncio.wait_for(runner.wait_until_idle(), 20)
        done = await runner.store.load(task.id)
        first_prompt = next(r.last_user_text for r in srv.chat_requests if kind(r) == "step")
    assert done.status == TaskStatus.COMPLETE
    unknown = [
        e for e in done.journal if e.type == JournalType.TOOL_RESULT and "outcome unknown" in e.content
    ]
    assert len(unknown) == 1
    assert "its outcome is unknown" in first_prompt
    assert done.journal[1].content == "write_file {...}"  # nothing before the crash was lost


async def test_crash_recovery_can_show_tasks_as_interrupted_instead(workspace: Path) -> None:
    store = TaskStore(workspace / ".localclaw")
    task = await store.create(Task(title="t", prompt="p", plan=[s.model_copy() for s in STEP]))
    task.transition(TaskStatus.RUNNING)
    await store.save(task)
    async with running(workspace, writer(), runner__on_crash="interrupted") as (runner, _srv, _events):
        await asyncio.wait_for(runner.wait_until_idle(), 20)
        t = runner.tasks[task.id]
    assert t.status == TaskStatus.PAUSED and "interrupted" in (t.pause_reason or "")


async def test_control_requests_from_another_process_are_applied(workspace: Path) -> None:
    from smallclaw_tui.store.control import ControlInbox, ControlRequest

    async with running(workspace, writer(delay=0.3)) as (runner, _srv, _events):
        task = await runner.create_task("Write", steps=STEP)
        await until(lambda: runner.tasks[task.id].status == TaskStatus.RUNNING)
        ControlInbox(workspace / ".localclaw").send(ControlRequest(task.id, "pause", "from the CLI"))
        await until(lambda: runner.tasks[task.id].status == TaskStatus.PAUSED)
        assert runner.tasks[task.id].pause_reason == "from the CLI"


async def test_stopping_during_a_slow_model_call_requeues_the_task_for_the_next_start(
    workspace: Path,
) -> None:
    # A CPU-bound model can take a minute to answer; Ctrl-C must not leave the task "running",
    # nor park it: the next start carries on with it (issue 14), as after a crash.
    async with running(workspace, writer(delay=30.0)) as (runner, srv, _events):
        task = await runner.create_task("Write out.txt", steps=STEP)
        await until(lambda: any(kind(r) == "step" for r in srv.chat_requests))
        await runner.stop(grace_s=0.2)
        saved = await runner.store.load(task.id)
    assert saved.status == TaskStatus.QUEUED
    assert "continues at the next start" in saved.journal[-1].content
    async with running(workspace, writer()) as (runner, _srv, _events):
        await asyncio.wait_for(runner.wait_until_idle(), 20)
        assert runner.tasks[task.id].status == TaskStatus.COMPLETE


async def test_stopping_at_a_round_boundary_requeues_the_task_for_the_next_start(workspace: Path) -> None:
    steps = [PlanStep(index=i, description=f"write out{i}.txt") for i in range(2)]

    def slow_second_step(req: ChatRequest) -> Reply:
        if kind(req) == "step" and step_number(req) == 2 and not req.tool_results:
            return Reply.tool("write_file", {"path": "out1.txt", "content": "x"}, delay_first_s=0.5)
        if kind(req) == "step" and not req.tool_results:
            return Reply.tool("write_file", {"path": "out0.txt", "content": "x"})
        return writer()(req)

    async with running(workspace, slow_second_step) as (runner, _srv, _events):
        task = await runner.create_task("Write two files", steps=steps)
        await until(lambda: runner.tasks[task.id].current_step == 1)
        await runner.stop(grace_s=5)  # the round ends within the grace: the executor stops itself
        saved = await runner.store.load(task.id)
    assert saved.status == TaskStatus.QUEUED
    async with running(workspace, slow_second_step) as (runner, _srv, _events):
        await asyncio.wait_for(runner.wait_until_idle(), 20)
        assert runner.tasks[task.id].status == TaskStatus.COMPLETE


async def test_stopping_shows_the_task_as_interrupted_when_set_to(workspace: Path) -> None:
    async with running(workspace, writer(delay=30.0), runner__on_crash="interrupted") as (runner, srv, _e):
        task = await runner.create_task("Write out.txt", steps=STEP)
        await until(lambda: any(kind(r) == "step" for r in srv.chat_requests))
        await runner.stop(grace_s=0.2)
        saved = await runner.store.load(task.id)
    assert saved.status == TaskStatus.PAUSED
    assert "stopped in the middle of a round" in (saved.pause_reason or "")
