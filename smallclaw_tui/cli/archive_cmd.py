"""`smallclaw task archive ID…|--done` and `task unarchive ID`: finished tasks out of the board and
back (:mod:`smallclaw_tui.store.archive`).

Like pause or cancel, the request goes to the runner when one holds the workspace (it owns the
task files and the board); otherwise the files are moved here, under the lock.
"""

from __future__ import annotations

import argparse
import asyncio

from smallclaw_tui import taskops
from smallclaw_tui.cli.common import CLIError, UsageError, settings_from_args
from smallclaw_tui.models import Task, TaskStatus
from smallclaw_tui.store.archive import archive_store, move_task
from smallclaw_tui.store.control import ControlInbox, ControlRequest
from smallclaw_tui.store.lock import WorkspaceLock, WorkspaceLocked
from smallclaw_tui.store.tasks import AmbiguousTaskId, TaskNotFound, TaskStore
from smallclaw_tui.textsafe import one_line

# What `--done` archives: the finished tasks nobody needs to look at again. Failed ones stay on
# the board until archived by id: they may still be resumed.
_DONE = (TaskStatus.COMPLETE, TaskStatus.CANCELLED)


def run_archive_command(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    store = TaskStore(settings.data_dir, quarantine=False)
    if args.task_command == "unarchive":
        return asyncio.run(_unarchive(args.id, store))
    if bool(args.ids) == bool(args.done):
        raise UsageError("name the tasks to archive, or give --done (all done and cancelled tasks)")
    return asyncio.run(_archive(args.ids, args.done, store))


async def _archive(ids: list[str], done: bool, store: TaskStore) -> int:
    if done:
        result = await store.load_all()
        tasks = [t for t in result.tasks if t.status in _DONE]
        if not tasks:
            print("no done or cancelled tasks to archive")
            return 0
    else:
        tasks = [await _find(store, ident) for ident in ids]
    for task in tasks:
        try:
            taskops.check_archivable(task)
        except taskops.TaskOpError as e:
            raise CLIError(str(e)) from None
    lock = WorkspaceLock(store.data_dir)
    try:
        lock.acquire(purpose="task archive")
    except WorkspaceLocked:
        inbox = ControlInbox(store.data_dir)
        for task in tasks:
            inbox.send(ControlRequest(task.id, "archive"))
        print(f"archive of {_count(tasks)} sent to the running runner")
        return 0
    try:
        target = archive_store(store.data_dir)
        for task in tasks:
            # Read again under the lock: a runner that stopped meanwhile may have resumed it.
            taskops.check_archivable(await _find(store, task.id))
            await asyncio.to_thread(move_task, task.id, store, target)
            print(f"archived {task.id}  {one_line(task.title, 70)}")
    except taskops.TaskOpError as e:
        raise CLIError(str(e)) from None
    finally:
        lock.release()
    return 0


async def _unarchive(ident: str, store: TaskStore) -> int:
    archived = archive_store(store.data_dir)
    task = await _find(archived, ident)
    lock = WorkspaceLock(store.data_dir)
    try:
        lock.acquire(purpose="task unarchive")
    except WorkspaceLocked:
        ControlInbox(store.data_dir).send(ControlRequest(task.id, "unarchive"))
        print(f"unarchive of {task.id} sent to the running runner")
        return 0
    try:
        await asyncio.to_thread(move_task, task.id, archived, store)
    finally:
        lock.release()
    print(f"back on the board: {task.id}  {one_line(task.title, 70)}")
    return 0


async def _find(store: TaskStore, ident: str) -> Task:
    try:
        return await store.load(ident, with_journal=False)
    except (TaskNotFound, AmbiguousTaskId) as e:
        raise CLIError(e.args[0] if e.args else str(e)) from None


def _count(tasks: list[Task]) -> str:
    return f"{len(tasks)} task" + ("" if len(tasks) == 1 else "s")
