"""Archived tasks: finished tasks moved out of `tasks/` into `archive/`, files and journal as they
were, so the board and the runner's start-up stop growing with every task ever run.

Archiving only moves files (one rename each, on the same filesystem), so it loses nothing and is
undone by moving them back. The runner never loads `archive/`; `task list --archived` and
`task show` read it.
"""

from __future__ import annotations

import os
from pathlib import Path

from smallclaw_tui.store.tasks import TaskStore


def archive_store(data_dir: Path) -> TaskStore:
    """The archive, read like the tasks folder; read-only use leaves a bad file where it is."""
    return TaskStore(data_dir, quarantine=False, folder="archive")


def move_task(task_id: str, source: TaskStore, target: TaskStore) -> None:
    """Move a task's file and journal from one folder to the other. The task file goes last: a
    crash in between leaves the task where it was, with its journal already moved, which the
    next move brings along (a journal is only ever appended to)."""
    target.ensure()
    journal = source.journal_path(task_id)
    if journal.exists():
        moved = target.journal_path(task_id)
        if moved.exists():
            # Left by an interrupted move the other way: the older part goes first.
            with moved.open("ab") as out:
                out.write(journal.read_bytes())
            journal.unlink()
        else:
            os.replace(journal, moved)
    os.replace(source.task_path(task_id), target.task_path(task_id))
