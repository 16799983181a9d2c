"""Domain models: the public data contract on disk (see DESIGN.md, "Data").

Every model round-trips through JSON. Task status changes go through
:meth:`Task.transition`, the one place that knows which changes are legal.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from smallclaw_tui.regex_words import PlainText, literal_of
from smallclaw_tui.status import WRITING_KINDS as WRITING_KINDS
from smallclaw_tui.status import ChannelKind as ChannelKind
from smallclaw_tui.status import InvalidTransition as InvalidTransition
from smallclaw_tui.status import JournalType as JournalType
from smallclaw_tui.status import Role as Role
from smallclaw_tui.status import StepKind as StepKind
from smallclaw_tui.status import StepStatus as StepStatus
from smallclaw_tui.status import TaskStatus as TaskStatus
from smallclaw_tui.status import can_transition as can_transition

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

    def wording(self) -> tuple[str, str]:
        """(what passing means, what failing means), in words where the pattern is a literal."""
        plain = literal_of(self.text) if self.regex else PlainText(self.text, "anywhere")
        if plain is None:
            return f"matches /{self.text}/", f"does not match /{self.text}/"
        said = repr(plain.text)
        if plain.scope == "file":
            return f"holds only {said}", f"does not hold only {said}"
        if plain.scope == "line":
            return f"has a line that is only {said}", f"has no line that is only {said}"
        return f"contains {said}", f"does not contain {said}"

    def describe(self) -> str:
        return f"file {self.path} {self.wording()[0]}"


class CommandSucceedsCheck(_Model):
    kind: Literal["command_succeeds"] = "command_succeeds"
    command: str

    def describe(self) -> str:
        return f"command `{self.command}` succeeds"


Check = Annotated[FileExistsCheck | FileContainsCheck | CommandSucceedsCheck, Field(discriminator="kind")]


# --- plan and journal -------------------------------------------------------------------------------


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


class JournalEntry(_Model):
    t: datetime = Field(default_factory=utcnow)
    type: JournalType
    content: str = ""
    detail: dict[str, Any] = Field(default_factory=dict)
    step: int | None = None


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
    # The last try was refused because its file already held what it added: the next try may
    # answer DONE without writing, and the file is judged as it is.
    already_held: bool = False


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
