from __future__ import annotations

import asyncio
from pathlib import Path

from runner_helpers import honest_verifier, kind, running

from smallclaw_tui.config import RunnerSettings
from smallclaw_tui.models import FileContainsCheck, PlanStep, TaskStatus
from smallclaw_tui.runner.backoff import delays, worst_case_s
from smallclaw_tui.runner.events import ServerState
from smallclaw_tui.runner.gate import ModelGate
from smallclaw_tui.testing.fake_server import ChatRequest, Reply


async def test_interactive_requests_jump_ahead_of_waiting_background_rounds() -> None:
    gate = ModelGate()
    order: list[str] = []
    await gate.acquire(ModelGate.BACKGROUND)  # a background round holds the model

    async def want(name: str, priority: int) -> None:
        async with gate.hold(priority):
            order.append(name)

    waiters = [asyncio.create_task(want("bg-2", ModelGate.BACKGROUND))]
    await asyncio.sleep(0)
    waiters.append(asyncio.create_task(want("chat", ModelGate.INTERACTIVE)))
    await asyncio.sleep(0)
    waiters.append(asyncio.create_task(want("bg-3", ModelGate.BACKGROUND)))
    await asyncio.sleep(0)
    assert gate.waiting() == 3 and gate.waiting(ModelGate.INTERACTIVE) == 1
    gate.release()
    await asyncio.gather(*waiters)
    assert order == ["chat", "bg-2", "bg-3"]
    assert gate.busy == 0


async def test_a_cancelled_waiter_does_not_leak_the_slot() -> None:
    gate = ModelGate()
    await gate.acquire(ModelGate.BACKGROUND)
    waiter = asyncio.create_task(gate.acquire(ModelGate.INTERACTIVE))
    await asyncio.sleep(0)
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    gate.release()
    assert gate.busy == 0
    await asyncio.wait_for(gate.acquire(ModelGate.BACKGROUND), 1)


def test_default_backoff_gives_up_within_about_a_minute_with_jitter() -> None:
    import random

    rs = RunnerSettings()
    assert 30 <= worst_case_s(rs.retry_max_attempts, rs.retry_base_s, rs.retry_max_s) <= 70
    waits = delays(rs.retry_max_attempts, rs.retry_base_s, rs.retry_max_s, random.Random(1))
    assert all(w <= rs.retry_max_s for w in waits) and waits[0] < waits[-1]
    assert waits != delays(rs.retry_max_attempts, rs.retry_base_s, rs.retry_max_s, random.Random(2))


async def test_unreachable_pause_auto_resumes_when_enabled(workspace: Path) -> None:
    steps = [
        PlanStep(index=0, description="write out.txt", checks=[FileContainsCheck(path="out.txt", text="hi")])
    ]

    def honest(req: ChatRequest) -> Reply:
        if kind(req) == "verify":
            return honest_verifier(req)
        if kind(req) == "summary":
            return Reply(text="ok")
        if req.tool_results:
            return Reply(text="DONE")
        return Reply.tool("write_file", {"path": "out.txt", "content": "hi"})

    async with running(
        workspace,
        honest,
        runner__retry_max_attempts=1,
        runner__auto_resume_unreachable=True,
        runner__server_probe_s=0.2,
    ) as (runner, srv, _events):
        srv.stop()
        task = await runner.create_task("write", steps=steps)
        deadline = asyncio.get_running_loop().time() + 10
        while runner.tasks[task.id].status != TaskStatus.NEEDS_ASSISTANCE:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.02)
        srv.start()
        while runner.tasks[task.id].status != TaskStatus.COMPLETE:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.05)
        done = await runner.store.load(task.id)
    assert any("automatic retry" in e.content for e in done.journal)


async def test_a_dead_server_holds_the_queue_until_it_answers(workspace: Path) -> None:
    """Issue 14: with the server down, one task finds out; the rest of the queue waits instead of
    each spending its retries into "needs you". Once the server answers, all of them run, the one
    the outage stopped first (resumed by itself: auto_resume_unreachable is on by default)."""

    def honest(req: ChatRequest) -> Reply:
        if kind(req) == "verify":
            return honest_verifier(req)
        if kind(req) == "summary":
            return Reply(text="ok")
        if req.tool_results:
            return Reply(text="DONE")
        return Reply.tool("write_file", {"path": "out.txt", "content": "hi", "overwrite": True})

    def step() -> list[PlanStep]:
        return [PlanStep(index=0, description="write out.txt")]

    async with running(workspace, honest, runner__retry_max_attempts=1, runner__server_probe_s=0.2) as (
        runner,
        srv,
        events,
    ):
        srv.stop()
        made = [await runner.create_task(f"task {i}", steps=step()) for i in range(3)]
        await asyncio.wait_for(runner.wait_until_idle(), 10)
        first, *rest = (runner.tasks[t.id] for t in made)
        assert first.status == TaskStatus.NEEDS_ASSISTANCE
        assert [t.status for t in rest] == [TaskStatus.QUEUED, TaskStatus.QUEUED]
        assert all(t.rounds == 0 for t in rest)
        held = [e for e in events if isinstance(e, ServerState) and e.state == "unreachable"]
        assert held and "new tasks wait until it answers" in held[-1].detail

        srv.start()
        deadline = asyncio.get_running_loop().time() + 15
        while any(runner.tasks[t.id].status != TaskStatus.COMPLETE for t in made):
            assert asyncio.get_running_loop().time() < deadline, [runner.tasks[t.id].status for t in made]
            await asyncio.sleep(0.05)
        done = await runner.store.load(first.id)
    assert any(e.detail.get("auto") for e in done.journal if e.type.value == "resume")
