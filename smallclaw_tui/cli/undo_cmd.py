"""`smallclaw task undo ID`: restore every file a task changed, as it was before the task."""

from __future__ import annotations

import argparse
import asyncio
import sys

from smallclaw_tui import taskops
from smallclaw_tui.cli.common import CLIError, settings_from_args
from smallclaw_tui.runner.undo import undo_files
from smallclaw_tui.store.lock import WorkspaceLock, WorkspaceLocked
from smallclaw_tui.store.tasks import AmbiguousTaskId, TaskNotFound, TaskStore
from smallclaw_tui.textsafe import printable


def run_undo_command(args: argparse.Namespace) -> int:
    return asyncio.run(_undo(args))


async def _undo(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    store = TaskStore(settings.data_dir)
    lock = WorkspaceLock(store.data_dir)
    try:
        lock.acquire(purpose="task undo")
    except WorkspaceLocked:
        # The runner may be writing these very files; the app's undo key goes through it.
        raise CLIError(
            "a runner holds this workspace; undo from the app (U on the task) or stop `smallclaw run` first"
        ) from None
    try:
        try:
            task = await store.load(args.id)
        except (TaskNotFound, AmbiguousTaskId) as e:
            raise CLIError(e.args[0] if e.args else str(e)) from None
        try:
            outcome, entry = await undo_files(settings.data_dir, settings.workspace, task)
        except taskops.TaskOpError as e:
            raise CLIError(str(e)) from None
        await store.append_journal(task, entry)
    finally:
        lock.release()
    for line in outcome.lines:
        print(printable(line), file=sys.stdout if outcome.done else sys.stderr)
    if not outcome.done:
        raise CLIError(f"undo of {task.id} refused; nothing was changed")
    print(f"{task.id} undone")
    return 0
