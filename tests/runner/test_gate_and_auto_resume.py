from __future__ import annotations

import asyncio
from pathlib import Path

from runner_helpers import honest_verifier, kind, running

from smallclaw_tui.config import RunnerSettings
from smallclaw_tui.models import FileContainsCheck, PlanStep, TaskStatus
from smallclaw_tui.runner.backoff import delays, worst_case_s
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
        runner__auto_resume_after_s=1.0,
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
