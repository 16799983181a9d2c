"""User intents on a task (pause, resume, cancel, approve): one implementation for every front end.

Each function changes the task in memory and returns the journal entries that record the change;
the caller saves. Illegal requests raise :class:`TaskOpError` with a message for the user.
"""

from __future__ import annotations

from smallclaw_tui.models import (
    CommandSucceedsCheck,
    FileContainsCheck,
    FileExistsCheck,
    InvalidTransition,
    JournalEntry,
    JournalType,
    Origin,
    PlanStep,
    Task,
    TaskStatus,
)
from smallclaw_tui.status import TaskOpError as TaskOpError


def _transition(task: Task, new: TaskStatus, reason: str | None = None) -> None:
    try:
        task.transition(new, reason=reason)
    except InvalidTransition as e:
        raise TaskOpError(str(e)) from None


def _not_finished(task: Task) -> None:
    if task.status.is_final:
        raise TaskOpError(f"too late: the task finished ({task.status.value})")


def pause(task: Task, note: str | None = None) -> list[JournalEntry]:
    _not_finished(task)
    if task.status == TaskStatus.PAUSED:
        raise TaskOpError(f"task {task.id} is already paused")
    _transition(task, TaskStatus.PAUSED, reason=note or "paused by the user")
    return [
        JournalEntry(type=JournalType.PAUSE, content=note or "paused by the user", step=task.current_step)
    ]


def resume(task: Task, note: str | None = None, *, auto: bool = False) -> list[JournalEntry]:
    if task.status not in (TaskStatus.PAUSED, TaskStatus.NEEDS_ASSISTANCE, TaskStatus.FAILED):
        raise TaskOpError(
            f"task {task.id} is {task.status.value}; only a paused or stuck task can be resumed"
        )
    _transition(task, TaskStatus.QUEUED)
    if note:
        task.resume_context.user_notes.append(note)
    # A fresh start for the step: the user has looked at it.
    task.resume_context.step_rounds = 0
    task.resume_context.already_held = False
    step = task.active_step
    if step is not None:
        step.attempts = 0
    # `auto` marks the runner's own retries, so notifiers can tell them from a person's resume.
    detail: dict[str, object] = {"auto": True} if auto else {}
    return [
        JournalEntry(
            type=JournalType.RESUME, content=note or "resumed", detail=detail, step=task.current_step
        )
    ]


def cancel(task: Task, note: str | None = None) -> list[JournalEntry]:
    _not_finished(task)
    _transition(task, TaskStatus.CANCELLED, reason=note or "cancelled by the user")
    task.pending_approval = None
    return [JournalEntry(type=JournalType.NOTE, content="cancelled" + (f": {note}" if note else ""))]


def approve(task: Task, note: str | None = None) -> list[JournalEntry]:
    pending = task.pending_approval
    if pending is None:
        raise TaskOpError(f"task {task.id} has no command waiting for approval")
    if pending.command not in task.approved_commands:
        task.approved_commands.append(pending.command)  # kept on the task so a restart remembers it
    task.pending_approval = None
    entries = [JournalEntry(type=JournalType.NOTE, content=f"approved command: {pending.command}")]
    if task.status.needs_user:
        entries += resume(task, note)
    return entries


def deny(task: Task, note: str | None = None) -> list[JournalEntry]:
    pending = task.pending_approval
    if pending is None:
        raise TaskOpError(f"task {task.id} has no command waiting for approval")
    task.pending_approval = None
    why = f"the user denied the command `{pending.command}`" + (f": {note}" if note else "")
    entries = [JournalEntry(type=JournalType.NOTE, content=why)]
    if task.status.needs_user:
        entries += resume(task, why + ". Find another way.")
    return entries


def check_archivable(task: Task) -> None:
    """Only a finished task is archived: one that could still run would vanish from the board."""
    if not task.status.is_final:
        raise TaskOpError(
            f"task {task.id} is {task.status.value}; only a done, failed or cancelled task can be archived"
        )


def build_task(
    prompt: str,
    *,
    title: str | None = None,
    steps: list[PlanStep] | None = None,
    origin: Origin | None = None,
) -> Task:
    prompt = prompt.strip()
    if not prompt:
        raise TaskOpError("a task needs a goal (the prompt is empty)")
    first_line = prompt.splitlines()[0]
    title = (title or "").strip() or (first_line if len(first_line) <= 60 else first_line[:57] + "…")
    plan = [s.model_copy(update={"index": i}) for i, s in enumerate(steps or [])]
    return Task(title=title, prompt=prompt, plan=plan, origin=origin or Origin())


CHECK_KINDS = {
    "file_exists": FileExistsCheck,
    "file_contains": FileContainsCheck,
    "command_succeeds": CommandSucceedsCheck,
}
