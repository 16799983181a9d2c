"""The real runner with task files that lie about their id: it sets them aside, runs the others, and
never writes a file outside the workspace's data folders."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from runner_helpers import running, worker

from smallclaw_tui.models import FileContainsCheck, PlanStep, Task, TaskStatus
from smallclaw_tui.store.tasks import TaskStore, dump_task
from smallclaw_tui.testing.fake_server import ChatRequest, Reply


def _writes(name: str) -> list[PlanStep]:
    return [
        PlanStep(
            index=0, description=f"write {name} saying hi", checks=[FileContainsCheck(path=name, text="hi")]
        )
    ]


def _writer(req: ChatRequest) -> Reply:
    name = "late.txt" if "late.txt" in req.last_user_text else "out.txt"
    return Reply.tool("write_file", {"path": name, "content": "hi"})


def _as_file(task_id: str, title: str) -> str:
    data = json.loads(dump_task(Task(title=title, prompt="write out.txt saying hi", plan=_writes("out.txt"))))
    data["id"] = task_id
    return json.dumps(data)


def _all_files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


BAD = {
    "evil.json": "../../etc/x",
    "slash.json": "a/b",
    "empty.json": "",
    "long.json": "a" * 300,
}


async def test_the_runner_quarantines_lying_task_files_and_finishes_the_rest(
    workspace: Path, tmp_path: Path
) -> None:
    store = TaskStore(workspace / ".localclaw")
    store.ensure()
    good = await store.create(Task(title="good", prompt="write out.txt saying hi", plan=_writes("out.txt")))
    tasks = store.tasks_dir
    (tasks / "copy.json").write_text(store.task_path(good.id).read_text())  # same id, other name
    for name, task_id in BAD.items():
        (tasks / name).write_text(_as_file(task_id, name))
    before = _all_files(tmp_path)

    async with running(workspace, worker(_writer)) as (runner, _srv, _events):
        # Files dropped in while it runs go through the same door.
        (tasks / "late-copy.json").write_text(store.task_path(good.id).read_text())
        (tasks / "late-evil.json").write_text(_as_file("../../../late", "late evil"))
        late = await runner.create_task("write late.txt saying hi", steps=_writes("late.txt"))
        await asyncio.wait_for(runner.wait_until_idle(), 20)
        await asyncio.sleep(0.2)  # a few more scheduler polls: nothing may come back to life
        assert set(runner.tasks) == {good.id, late.id}
        problems = {p.original.name for p in runner.problems}

    assert (await store.load(good.id)).status == TaskStatus.COMPLETE
    assert (await store.load(late.id)).status == TaskStatus.COMPLETE
    assert problems >= {"copy.json", *BAD}
    parked = {
        p.name.split(".json")[0] for p in store.quarantine_dir.iterdir() if p.name.endswith(".reason.txt")
    }
    assert parked >= {"copy", "evil", "slash", "empty", "long", "late-copy", "late-evil"}
    assert sorted(p.name for p in tasks.iterdir() if p.name.endswith(".json")) == sorted(
        [f"{good.id}.json", f"{late.id}.json"]
    )
    new = _all_files(tmp_path) - before
    data = workspace / ".localclaw"
    outside = {
        p
        for p in new
        if not p.is_relative_to(data / "tasks")
        and not p.is_relative_to(data / "quarantine")
        and not p.is_relative_to(data / "sessions")
        and not p.is_relative_to(data / "snapshots" / good.id)
        and not p.is_relative_to(data / "snapshots" / late.id)
    }
    assert outside == {workspace / "out.txt", workspace / "late.txt"}, outside
