from __future__ import annotations

import asyncio
import json
from pathlib import Path

from runner_helpers import honest_verifier, kind

from smallclaw_tui.config import load_settings
from smallclaw_tui.models import TaskStatus
from smallclaw_tui.runner.deps import RunnerDeps
from smallclaw_tui.runner.events import TaskUpdated
from smallclaw_tui.runner.runner import BackgroundTaskRunner
from smallclaw_tui.testing import FakeModelServer
from smallclaw_tui.testing.fake_server import ChatRequest, Reply

PLAN = {"steps": [{"description": "write a.txt"}, {"description": "write b.txt"}]}


def handler(req: ChatRequest) -> Reply:
    k = kind(req)
    if k == "plan":
        return Reply(text=json.dumps(PLAN))
    if k == "verify":
        return honest_verifier(req)
    if k == "summary":
        return Reply(text="ok")
    step = int(req.last_user_text.split("Current step (", 1)[1].split(" ", 1)[0])
    if req.tool_results:
        return Reply(text="DONE", delay_first_s=0.05)
    return Reply.tool("write_file", {"path": f"{'ab'[step - 1]}.txt", "content": "x"}, delay_first_s=0.05)


async def _run(ws: Path, srv: FakeModelServer, n_tasks: int, **runner_opts: object) -> BackgroundTaskRunner:
    settings = load_settings(ws)
    settings.llm = srv.llm_settings(planner_model="planner:1b", verifier_model="judge:1b")
    settings.runner.control_poll_s = 0.05
    for k, v in runner_opts.items():
        setattr(settings.runner, k, v)
    deps = RunnerDeps.for_settings(settings)
    running_now: set[str] = set()
    peak = [0]

    def watch(event: object) -> None:
        if isinstance(event, TaskUpdated):
            if event.task.status == TaskStatus.RUNNING:
                running_now.add(event.task.id)
            else:
                running_now.discard(event.task.id)
            peak[0] = max(peak[0], len(running_now))

    deps.bus.on(watch)
    runner = BackgroundTaskRunner(deps)
    await runner.start()
    for i in range(n_tasks):
        await runner.create_task(f"task {i}")
    await asyncio.wait_for(runner.wait_until_idle(), 60)
    await runner.stop()
    await deps.client.aclose()
    runner.peak = peak[0]  # type: ignore[attr-defined]
    return runner


async def test_planner_and_verifier_can_use_other_models(workspace: Path) -> None:
    with FakeModelServer(handler, models=("qwen3:4b", "planner:1b", "judge:1b")) as srv:
        runner = await _run(workspace, srv, 1)
        by_kind = {(kind(r), r.model) for r in srv.chat_requests}
    assert all(t.status == TaskStatus.COMPLETE for t in runner.tasks.values())
    assert ("plan", "planner:1b") in by_kind and ("verify", "judge:1b") in by_kind
    assert ("step", "qwen3:4b") in by_kind
    assert not any(m != "planner:1b" for k, m in by_kind if k == "plan")


async def test_default_concurrency_runs_one_task_at_a_time_and_two_when_allowed(workspace: Path) -> None:
    with FakeModelServer(handler, models=("qwen3:4b", "planner:1b", "judge:1b")) as srv:
        one = await _run(workspace, srv, 3)
    assert one.peak == 1  # type: ignore[attr-defined]
    assert sum(t.status == TaskStatus.COMPLETE for t in one.tasks.values()) == 3
    ws2 = workspace / "two"
    ws2.mkdir()
    with FakeModelServer(handler, models=("qwen3:4b", "planner:1b", "judge:1b")) as srv:
        two = await _run(ws2, srv, 3, max_concurrent=2)
    assert two.peak == 2  # type: ignore[attr-defined]
    assert sum(t.status == TaskStatus.COMPLETE for t in two.tasks.values()) == 3
