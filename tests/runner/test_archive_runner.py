"""The runner archives a finished task on request: it leaves the runner's tasks (and the board),
its files move to `archive/`, and unarchiving brings it back."""

from __future__ import annotations

from pathlib import Path

from runner_helpers import running, worker

from smallclaw_tui.models import Task, TaskStatus
from smallclaw_tui.runner.events import TaskArchived
from smallclaw_tui.store.control import ControlInbox, ControlRequest
from smallclaw_tui.store.tasks import TaskStore, dump_task
from smallclaw_tui.testing.fake_server import Reply


async def test_an_archive_request_moves_a_finished_task_out_and_back(workspace: Path) -> None:
    store = TaskStore(workspace / ".localclaw")
    store.ensure()
    done = Task(title="old report", prompt="old report", status=TaskStatus.COMPLETE)
    store.task_path(done.id).write_text(dump_task(done), encoding="utf-8")
    async with running(workspace, worker(lambda _r: Reply(text="DONE"))) as (runner, _srv, events):
        assert done.id in runner.tasks
        # As `smallclaw task archive` sends it while this runner holds the workspace.
        await runner.apply(ControlRequest(done.id, "archive"))
        assert done.id not in runner.tasks
        assert TaskStore(workspace / ".localclaw", folder="archive").task_path(done.id).exists()
        assert not store.task_path(done.id).exists()
        await runner.apply(ControlRequest(done.id, "unarchive"))
        assert runner.tasks[done.id].title == "old report"
        assert store.task_path(done.id).exists()
    assert [e.archived for e in events if isinstance(e, TaskArchived)] == [True, False]
    assert ControlInbox(workspace / ".localclaw").take() == []
