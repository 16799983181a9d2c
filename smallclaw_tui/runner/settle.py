"""Requests that reached a running task but were not applied by its executor.

A pause or cancel is applied at the executor's next safe point; when the task stopped first for
another reason (the server went away, it needs the user, it finished), the request would be lost.
Here each one is applied if the task's status still allows it, or answered with why not."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from smallclaw_tui import taskops
from smallclaw_tui.models import JournalEntry, Task, TaskStatus
from smallclaw_tui.runner.bus import EventBus
from smallclaw_tui.runner.control import TaskControl
from smallclaw_tui.runner.events import IntentAnswered, TaskPaused

Commit = Callable[[Task, list[JournalEntry]], Awaitable[None]]


async def settle_requests(task: Task, control: TaskControl, commit: Commit, bus: EventBus) -> None:
    if control.cancel_requested and task.status != TaskStatus.CANCELLED:
        action, note = "cancel", control.cancel_note
    elif control.pause_requested and task.status != TaskStatus.PAUSED:
        action, note = "pause", control.pause_note
    else:
        return
    try:
        if action == "cancel":
            await commit(task, taskops.cancel(task, note))
        elif task.status == TaskStatus.NEEDS_ASSISTANCE:
            # Paused by the user, not waiting on the server: no automatic retry overrides that.
            await commit(task, taskops.pause(task, note))
            bus.publish(TaskPaused(task.id, task.pause_reason or "paused"))
        else:
            raise taskops.TaskOpError(f"the task already stopped ({task.status.value})")
    except taskops.TaskOpError as e:
        bus.publish(IntentAnswered(task.id, action, str(e)))
