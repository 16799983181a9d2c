"""`task undo`: put back every file a task changed, as it was before the task — one implementation
for the CLI and the app. Refuses, changing nothing, while the task can still write (queued or
running) and when any of its files changed after the task last wrote it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from smallclaw_tui.models import JournalEntry, JournalType, Task, TaskStatus
from smallclaw_tui.runner.checkpoints import Checkpoints, UndoOutcome
from smallclaw_tui.taskops import TaskOpError


async def undo_files(data_dir: Path, workspace: Path, task: Task) -> tuple[UndoOutcome, JournalEntry]:
    """Undo the task's file changes; the outcome and the journal entry that records it (the caller
    appends it, so the runner can publish it too)."""
    if task.status in (TaskStatus.QUEUED, TaskStatus.RUNNING):
        raise TaskOpError(f"task {task.id} is {task.status.value}; pause or cancel it before undoing it")
    outcome = await asyncio.to_thread(Checkpoints(data_dir, workspace, task.id).undo)
    head = "undo: " if outcome.done else "undo refused, nothing changed: "
    entry = JournalEntry(
        type=JournalType.NOTE,
        content=head + "; ".join(outcome.lines),
        detail={"undo": outcome.done},
        step=task.current_step,
    )
    return outcome, entry
