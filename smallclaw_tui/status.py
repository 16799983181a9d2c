"""The status words of tasks, steps, journals and chats, and the refusals of status changes:
plain Python, no pydantic.

Kept apart from :mod:`smallclaw_tui.models` so that the app's first frame can be drawn before
pydantic is imported (see issue 15, first paint); :mod:`~smallclaw_tui.models` re-exports them.
"""

from __future__ import annotations

from enum import StrEnum


class TaskStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    NEEDS_ASSISTANCE = "needs_assistance"
    COMPLETE = "complete"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in (TaskStatus.COMPLETE, TaskStatus.CANCELLED)

    @property
    def needs_user(self) -> bool:
        return self in (TaskStatus.PAUSED, TaskStatus.NEEDS_ASSISTANCE)


# The one table of legal status changes. Anything not listed is refused with a clear error.
_TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.QUEUED: frozenset(
        {TaskStatus.RUNNING, TaskStatus.PAUSED, TaskStatus.CANCELLED, TaskStatus.NEEDS_ASSISTANCE}
    ),
    TaskStatus.RUNNING: frozenset(
        {
            TaskStatus.QUEUED,  # requeued after a crash or a shutdown
            TaskStatus.PAUSED,
            TaskStatus.NEEDS_ASSISTANCE,
            TaskStatus.COMPLETE,
            TaskStatus.FAILED,
            TaskStatus.CANCELLED,
        }
    ),
    TaskStatus.PAUSED: frozenset({TaskStatus.QUEUED, TaskStatus.CANCELLED}),
    TaskStatus.NEEDS_ASSISTANCE: frozenset({TaskStatus.QUEUED, TaskStatus.PAUSED, TaskStatus.CANCELLED}),
    TaskStatus.FAILED: frozenset({TaskStatus.QUEUED, TaskStatus.CANCELLED}),
    TaskStatus.COMPLETE: frozenset(),
    TaskStatus.CANCELLED: frozenset(),
}


class InvalidTransition(ValueError):
    def __init__(self, task_id: str, old: TaskStatus, new: TaskStatus) -> None:
        allowed = ", ".join(sorted(s.value for s in _TRANSITIONS[old])) or "nothing (final)"
        super().__init__(f"task {task_id} is {old.value}; it cannot become {new.value} (allowed: {allowed})")
        self.old = old
        self.new = new


def can_transition(old: TaskStatus, new: TaskStatus) -> bool:
    return new in _TRANSITIONS[old]


class StepStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    DONE = "done"
    SKIPPED = "skipped"


class StepKind(StrEnum):
    """What a step does to its files, declared by the plan: the runner holds the step to it."""

    CREATE = "create"  # makes new files (the named files exist afterwards)
    APPEND = "append"  # adds to the end: everything the files held stays, in front
    EDIT = "edit"  # changes part of the files: they change, and most of each stays
    REPLACE = "replace"  # rewrites the files whole
    READ = "read"  # only looks: writes nothing
    RUN = "run"  # runs commands: writes only through their output


WRITING_KINDS = frozenset({StepKind.CREATE, StepKind.APPEND, StepKind.EDIT, StepKind.REPLACE})


class JournalType(StrEnum):
    ROUND = "round"
    PROMPT = "prompt"
    MODEL = "model"
    TOOL_CALL = "tool_call"
    TOOL_RESULT = "tool_result"
    VERIFY = "verify"
    RETRY = "retry"
    LOOP = "loop"
    PAUSE = "pause"
    RESUME = "resume"
    NOTE = "note"
    ERROR = "error"
    DELIVERY = "delivery"


class ChannelKind(StrEnum):
    CLI = "cli"
    CHAT = "chat"
    TUI = "tui"
    TELEGRAM = "telegram"


class Role(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


# A task in one of these may have its goal, title or steps edited (it is not running, not final).
EDITABLE = (TaskStatus.QUEUED, TaskStatus.PAUSED, TaskStatus.NEEDS_ASSISTANCE, TaskStatus.FAILED)


class TaskOpError(ValueError):
    """A task operation refused in the task's state (one line, phrased for the user)."""
