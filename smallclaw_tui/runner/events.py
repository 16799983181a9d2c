"""Runner events: plain dataclasses published on the bus. Subscribers treat them as read-only.

The TUI adapter, the headless printer and the Telegram adapter all consume these; none of them
reaches into the runner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smallclaw_tui.models import JournalEntry, Task, ToolCall


@dataclass(frozen=True, slots=True)
class TaskCreated:
    task: Task


@dataclass(frozen=True, slots=True)
class TaskUpdated:
    """Status, plan, counters or summary changed; `task` is the runner's live object."""

    task: Task


@dataclass(frozen=True, slots=True)
class TaskArchived:
    """The task left (`archived`) or came back to (`not archived`) the runner's tasks."""

    task_id: str
    archived: bool = True


@dataclass(frozen=True, slots=True)
class StepAdvanced:
    task_id: str
    step_index: int  # the step that is now active (== len(plan) when all are done)
    description: str
    all_done: bool = False  # no step is active: the plan is done


@dataclass(frozen=True, slots=True)
class JournalAppended:
    task_id: str
    entry: JournalEntry


@dataclass(frozen=True, slots=True)
class ToolCallStarted:
    task_id: str
    call: ToolCall


@dataclass(frozen=True, slots=True)
class ToolCallFinished:
    task_id: str
    call: ToolCall
    ok: bool
    output: str


@dataclass(frozen=True, slots=True)
class ModelActivity:
    """A short live line of what the model is doing (coalesced text, for cards and status bars)."""

    task_id: str
    text: str


@dataclass(frozen=True, slots=True)
class TaskProgress:
    """What a running task is doing now, for the board: `phase` ("planning", "step 2/3 try 1",
    "verifying step 2", "summarizing"), since when (seconds since the epoch) and how many tokens
    the model has written in it so far. A small model can spend a minute reading one prompt; this
    is what shows the task is alive meanwhile."""

    task_id: str
    phase: str
    since: float
    tokens: int = 0
    # A step's round: its start is journaled as a round already (printers skip it).
    round: bool = False


@dataclass(frozen=True, slots=True)
class Verification:
    task_id: str
    step_index: int
    passed: bool
    reason: str


@dataclass(frozen=True, slots=True)
class TaskPaused:
    task_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class NeedsAssistance:
    task_id: str
    reason: str
    pending_command: str | None = None


@dataclass(frozen=True, slots=True)
class TaskCompleted:
    task_id: str
    summary: str


@dataclass(frozen=True, slots=True)
class TaskFailed:
    task_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class Delivered:
    """A result or a needs-you message was delivered to a channel (or failed to be)."""

    task_id: str
    channel: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class IntentAnswered:
    """A request (pause, cancel, …) that reached a running task too late to apply, with why.

    The request itself returned at once (it is applied at the task's next safe point), so this is
    how the user hears that it was not."""

    task_id: str
    action: str
    reason: str


@dataclass(frozen=True, slots=True)
class ServerState:
    """Model server health as the runner last saw it: connecting, loading, ready, unreachable."""

    state: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ModelUsage:
    task_id: str | None
    prompt_tokens: int
    completion_tokens: int
    num_ctx: int
    tokens_per_s: float | None


@dataclass(frozen=True, slots=True)
class RunnerIdle:
    """Nothing queued or running."""


RunnerEvent = (
    TaskCreated
    | TaskUpdated
    | TaskArchived
    | StepAdvanced
    | JournalAppended
    | ToolCallStarted
    | ToolCallFinished
    | ModelActivity
    | TaskProgress
    | Verification
    | TaskPaused
    | NeedsAssistance
    | TaskCompleted
    | TaskFailed
    | Delivered
    | IntentAnswered
    | ServerState
    | ModelUsage
    | RunnerIdle
)
