"""`smallclaw task archive` (issue 14, item 13): finished tasks leave the board and `task list`,
nothing is lost, and they come back with `task unarchive`."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import run

from smallclaw_tui.models import Task, TaskStatus
from smallclaw_tui.store.control import ControlInbox
from smallclaw_tui.store.lock import WorkspaceLock
from smallclaw_tui.store.tasks import TaskStore, dump_task


def saved(ws: Path, title: str, status: TaskStatus) -> Task:
    store = TaskStore(ws / ".localclaw")
    store.ensure()
    task = Task(title=title, prompt=title, status=status)
    store.task_path(task.id).write_text(dump_task(task), encoding="utf-8")
    store.journal_path(task.id).write_text('{"type": "note", "content": "created"}\n', encoding="utf-8")
    return task


def test_an_archived_task_leaves_the_list_keeps_its_files_and_comes_back(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    done = saved(workspace, "old report", TaskStatus.COMPLETE)
    tasks, archive = (
        TaskStore(workspace / ".localclaw"),
        TaskStore(workspace / ".localclaw", folder="archive"),
    )
    journal = tasks.journal_path(done.id).read_bytes()
    code, out, err = run(capsys, "task", "archive", done.id[:5])
    assert code == 0, err
    assert out.startswith(f"archived {done.id}")
    code, out, _ = run(capsys, "task", "list")
    assert done.id not in out
    code, out, _ = run(capsys, "task", "list", "--archived")
    assert done.id in out and "old report" in out
    assert archive.journal_path(done.id).read_bytes() == journal
    code, out, _ = run(capsys, "task", "show", done.id)  # still readable where it is
    assert code == 0 and "old report" in out
    code, out, err = run(capsys, "task", "unarchive", done.id)
    assert code == 0, err
    code, out, _ = run(capsys, "task", "list")
    assert done.id in out
    assert tasks.journal_path(done.id).read_bytes() == journal


def test_a_task_that_can_still_run_is_not_archived(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    queued = saved(workspace, "pending", TaskStatus.QUEUED)
    code, _out, err = run(capsys, "task", "archive", queued.id)
    assert code == 1
    assert err.strip() == (
        f"smallclaw: task {queued.id} is queued; only a done, failed or cancelled task can be archived"
    )
    assert (workspace / ".localclaw" / "tasks" / f"{queued.id}.json").exists()
    code, _out, err = run(capsys, "task", "archive")
    assert code == 2 and "--done" in err


def test_done_archives_the_done_and_cancelled_and_leaves_the_rest(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    done = saved(workspace, "done one", TaskStatus.COMPLETE)
    cancelled = saved(workspace, "cancelled one", TaskStatus.CANCELLED)
    failed = saved(workspace, "failed one", TaskStatus.FAILED)
    waiting = saved(workspace, "waiting one", TaskStatus.NEEDS_ASSISTANCE)
    code, out, err = run(capsys, "task", "archive", "--done")
    assert code == 0, err
    code, out, _ = run(capsys, "task", "list")
    assert done.id not in out and cancelled.id not in out
    assert failed.id in out and waiting.id in out


def test_with_a_runner_holding_the_workspace_the_request_goes_to_it(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    done = saved(workspace, "old report", TaskStatus.COMPLETE)
    lock = WorkspaceLock(workspace / ".localclaw")
    lock.acquire(purpose="test runner")
    try:
        code, out, err = run(capsys, "task", "archive", done.id)
    finally:
        lock.release()
    assert code == 0, err
    assert out.strip() == "archive of 1 task sent to the running runner"
    assert [(r.task_id, r.action) for r in ControlInbox(workspace / ".localclaw").take()] == [
        (done.id, "archive")
    ]
    assert (workspace / ".localclaw" / "tasks" / f"{done.id}.json").exists()  # the runner moves it
