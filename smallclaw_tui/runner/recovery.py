"""A task the runner let go of mid-run: after a crash (found `running` at start) or cut off by a
stop. Either way it carries on at the next start, or waits for the user when
`runner.on_crash = "interrupted"`; a tool call that was in flight gets "outcome unknown"."""

from __future__ import annotations

from typing import Literal

from smallclaw_tui.models import JournalEntry, JournalType, Task, TaskStatus
from smallclaw_tui.runner.exec_base import REQUEUED

OnCrash = Literal["resume", "interrupted"]


def after_crash(task: Task, on_crash: OnCrash) -> list[JournalEntry]:
    entries = unknown_outcome(task)
    if on_crash == "interrupted":
        task.transition(TaskStatus.PAUSED, reason="interrupted: the runner stopped while this task ran")
        entries.append(JournalEntry(type=JournalType.PAUSE, content=task.pause_reason or ""))
        return entries
    task.transition(TaskStatus.QUEUED)
    entries.append(
        JournalEntry(
            type=JournalType.RESUME,
            content="resuming after the runner stopped unexpectedly",
            step=task.current_step,
        )
    )
    return entries


def after_cut_off(task: Task, on_crash: OnCrash) -> list[JournalEntry]:
    """A round that outlived the stop's grace period (a slow model call, a long command). The user
    stopped the runner, not the task, so it is not left `running` for the next start to guess at."""
    entries = unknown_outcome(task)
    if on_crash == "resume":
        task.transition(TaskStatus.QUEUED)
        entries.append(JournalEntry(type=JournalType.NOTE, content=REQUEUED, step=task.current_step))
        return entries
    reason = "the runner was stopped in the middle of a round; resume to continue"
    task.transition(TaskStatus.PAUSED, reason=reason)
    entries.append(JournalEntry(type=JournalType.PAUSE, content=reason, step=task.current_step))
    return entries


def unknown_outcome(task: Task) -> list[JournalEntry]:
    """The journal entry for a tool call that was running when the runner went away. The call stays
    in the resume context, so the next prompt tells the model to check before repeating it."""
    call = task.resume_context.in_flight_tool_call
    if call is None:
        return []
    return [
        JournalEntry(
            type=JournalType.TOOL_RESULT,
            content=f"[{call.name}] outcome unknown: the runner stopped while it ran",
            detail={"call_id": call.id, "unknown": True},
            step=task.current_step,
        )
    ]
