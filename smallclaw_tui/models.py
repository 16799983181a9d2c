"""Domain models: the public data contract on disk (see DESIGN.md, "Data").

Every model round-trips through JSON. Task status changes go through
:meth:`Task.transition`, the one place that knows which changes are legal.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCHEMA_VERSION = 1


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_task_id() -> str:
    # Short and random, so that the first few characters already make a unique prefix for the CLI.
    return secrets.token_hex(4)


class _Model(BaseModel):
    # Unknown fields are kept, not dropped: a file written by a newer version loses nothing
    # when this version saves it back.
    model_config = ConfigDict(extra="allow", validate_assignment=False)


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


# --- checks -----------------------------------------------------------------------------------------


class FileExistsCheck(_Model):
    kind: Literal["file_exists"] = "file_exists"
    path: str

    def describe(self) -> str:
        return f"file {self.path} exists"


class FileContainsCheck(_Model):
    kind: Literal["file_contains"] = "file_contains"
    path: str
    text: str
    regex: bool = False

    def describe(self) -> str:
        how = "matches /" + self.text + "/" if self.regex else f"contains {self.text!r}"
        return f"file {self.path} {how}"


class CommandSucceedsCheck(_Model):
    kind: Literal["command_succeeds"] = "command_succeeds"
    command: str

    def describe(self) -> str:
        return f"command `{self.command}` succeeds"


Check = Annotated[FileExistsCheck | FileContainsCheck | CommandSucceedsCheck, Field(discriminator="kind")]


# --- plan and journal -------------------------------------------------------------------------------


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


class PlanStep(_Model):
    index: int
    description: str
    status: StepStatus = StepStatus.PENDING
    checks: list[Check] = Field(default_factory=list)
    # None: not declared (a step typed by hand); the kind rules then do not apply.
    kind: StepKind | None = None
    # The workspace files the step works on, as the plan named them.
    files: list[str] = Field(default_factory=list)
    attempts: int = 0
    notes: str = ""
    completed_at: datetime | None = None


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


class JournalEntry(_Model):
    t: datetime = Field(default_factory=utcnow)
    type: JournalType
    content: str = ""
    detail: dict[str, Any] = Field(default_factory=dict)
    step: int | None = None


class ChannelKind(StrEnum):
    CLI = "cli"
    CHAT = "chat"
    TUI = "tui"
    TELEGRAM = "telegram"


class Origin(_Model):
    session_id: str | None = None
    channel: ChannelKind = ChannelKind.CLI
    telegram_chat_id: int | None = None


class ToolCall(_Model):
    id: str = Field(default_factory=lambda: "call_" + secrets.token_hex(4))
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class PendingApproval(_Model):
    """A shell command a background task wants to run that the policy did not allow by itself."""

    command: str
    tool_call_id: str | None = None
    requested_at: datetime = Field(default_factory=utcnow)
    approved: bool = False


class ResumeContext(_Model):
    """What the runner needs to pick a task up where it stopped (after a pause or a crash)."""

    step_index: int = 0
    step_rounds: int = 0
    verifier_feedback: str = ""
    user_notes: list[str] = Field(default_factory=list)
    in_flight_tool_call: ToolCall | None = None
    recap: list[str] = Field(default_factory=list)
    # The loop guard's memory for the current step, so a resumed task keeps noticing repeats.
    guard: dict[str, Any] = Field(default_factory=dict)
    # The goal review said NO and the user was asked: a resume means they accept the change.
    goal_reviewed: bool = False
    # A plan the runner made waits for the user (`runner.review_plans`) before its first step.
    plan_to_review: bool = False


class Task(_Model):
    schema_version: int = SCHEMA_VERSION
    id: str = Field(default_factory=new_task_id)
    title: str
    prompt: str
    status: TaskStatus = TaskStatus.QUEUED
    plan: list[PlanStep] = Field(default_factory=list)
    current_step: int = 0
    journal: list[JournalEntry] = Field(default_factory=list)
    resume_context: ResumeContext = Field(default_factory=ResumeContext)
    final_summary: str | None = None
    pause_reason: str | None = None
    pending_approval: PendingApproval | None = None
    approved_commands: list[str] = Field(default_factory=list)
    origin: Origin = Field(default_factory=Origin)
    rounds: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    completed_at: datetime | None = None

    @field_validator("schema_version")
    @classmethod
    def _known_schema(cls, v: int) -> int:
        if v != SCHEMA_VERSION:
            raise ValueError(f"schema_version {v} is not supported (this version reads {SCHEMA_VERSION})")
        return v

    def transition(self, new: TaskStatus, *, reason: str | None = None) -> None:
        """Change status, enforcing the transition table; timestamps follow."""
        if new == self.status:
            return
        if not can_transition(self.status, new):
            raise InvalidTransition(self.id, self.status, new)
        now = utcnow()
        self.status = new
        self.updated_at = now
        if new == TaskStatus.RUNNING and self.started_at is None:
            self.started_at = now
        if new in (TaskStatus.COMPLETE, TaskStatus.FAILED, TaskStatus.CANCELLED):
            self.completed_at = now
        if new.needs_user:
            self.pause_reason = reason
        elif new in (TaskStatus.QUEUED, TaskStatus.RUNNING):
            self.pause_reason = None
        elif reason:
            self.pause_reason = reason

    @property
    def active_step(self) -> PlanStep | None:
        if 0 <= self.current_step < len(self.plan):
            return self.plan[self.current_step]
        return None

    @property
    def steps_done(self) -> int:
        return sum(1 for s in self.plan if s.status in (StepStatus.DONE, StepStatus.SKIPPED))

    @property
    def session_key(self) -> str:
        return f"task_{self.id}"


# --- chat -------------------------------------------------------------------------------------------


class Role(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


class ChatMessage(_Model):
    role: Role
    content: str = ""
    thinking: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class ChatSessionRecord(_Model):
    schema_version: int = SCHEMA_VERSION
    key: str
    messages: list[ChatMessage] = Field(default_factory=list)
    summary: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
