"""Textual messages: the only way background work (workers, the runner adapter) talks to the UI."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from smallclaw_tui.agent.events import TurnEvent
    from smallclaw_tui.models import ChatMessage, JournalEntry
    from smallclaw_tui.runner.events import ModelUsage, ServerState, TaskProgress
    from smallclaw_tui.tools.base import ApprovalDecision


@dataclass(frozen=True, slots=True)
class Notice:
    """Something worth a notification: a task finished, failed, needs the user, or was delivered."""

    kind: str  # completed | needs_you | failed | delivered | delivery_failed | answered
    task_id: str
    text: str


@dataclass(slots=True)
class Batch:
    """Runner events since the last flush, folded so that a burst costs one UI update."""

    changed: set[str] = field(default_factory=set)
    journal: dict[str, list[JournalEntry]] = field(default_factory=dict)
    activity: dict[str, str] = field(default_factory=dict)
    progress: dict[str, TaskProgress] = field(default_factory=dict)
    server: ServerState | None = None
    context: ModelUsage | None = None  # the last round's prompt size against num_ctx
    speed: float | None = None  # tokens/s of the last reply that reported it
    notices: list[Notice] = field(default_factory=list)
    idle: bool = False
    # Events the adapter could not fold (a bug, or an event it does not understand): reported, skipped.
    problems: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(
            self.changed
            or self.journal
            or self.activity
            or self.progress
            or self.server
            or self.context
            or self.speed is not None
            or self.notices
            or self.idle
            or self.problems
        )


class RunnerBatch(Message):
    def __init__(self, batch: Batch) -> None:
        super().__init__()
        self.batch = batch


class RunnerStarted(Message):
    """The runner loaded the workspace; the board can be filled."""


class TelegramStarted(Message):
    """The Telegram adapter is running next to the runner (or failed to start: `error`)."""

    def __init__(self, error: str | None = None) -> None:
        super().__init__()
        self.error = error


class LogRecordPosted(Message):
    """A warning logged while the app owns the terminal (stderr would draw over the screen)."""

    def __init__(self, level: int, text: str) -> None:
        super().__init__()
        self.level = level
        self.text = text


class RunnerFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class ServerProbed(Message):
    def __init__(self, state: str, detail: str) -> None:
        super().__init__()
        self.state = state
        self.detail = detail


class JournalLoaded(Message):
    def __init__(self, task_id: str, entries: list[JournalEntry], error: str | None = None) -> None:
        super().__init__()
        self.task_id = task_id
        self.entries = entries
        self.error = error


class ChatHistoryLoaded(Message):
    def __init__(self, messages: list[ChatMessage]) -> None:
        super().__init__()
        self.messages = messages


class ChatTurnEvent(Message):
    """One chat-turn event other than streamed text (tool calls, replies, usage, the end)."""

    def __init__(self, event: TurnEvent) -> None:
        super().__init__()
        self.event = event


class ChatStream(Message):
    """The text streamed so far in one round. Carries the whole text, so a newer one can replace
    an older one still in the queue: a fast model costs one repaint per frame, not per token."""

    def __init__(self, round_no: int, text: str, thinking: str) -> None:
        super().__init__()
        self.round_no = round_no
        self.text = text
        self.thinking = thinking

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ChatStream) and message.round_no == self.round_no


class ChatTurnFailed(Message):
    def __init__(self, error: str, unreachable: bool) -> None:
        super().__init__()
        self.error = error
        self.unreachable = unreachable


class ChatTurnDone(Message):
    """The turn's worker ended (finished, failed or cancelled): the input can take a new message."""


class ApprovalRequested(Message):
    """The chat's run_shell wants a command the policy does not allow: ask the user, then answer."""

    def __init__(self, command: str, answer: asyncio.Future[ApprovalDecision]) -> None:
        super().__init__()
        self.command = command
        self.answer = answer
