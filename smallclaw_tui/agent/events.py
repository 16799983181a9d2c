"""What a chat turn reports while it runs: plain dataclasses, one per kind of news.

Subscribers (the TUI, the headless printer, the runner's journal) receive them through the
callback given to :class:`~smallclaw_tui.agent.session.ChatSession`. Every event names its
session, so one subscriber can follow several sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from smallclaw_tui.models import ToolCall
    from smallclaw_tui.tools.base import ToolResult


StopReason = Literal["done", "round_cap", "stuck", "approval"]


@dataclass(frozen=True, slots=True)
class TurnStarted:
    session_key: str
    user_text: str | None  # None when the turn continues the history without a new message


@dataclass(frozen=True, slots=True)
class TextChunk:
    session_key: str
    text: str
    round: int


@dataclass(frozen=True, slots=True)
class ThinkingChunk:
    session_key: str
    text: str
    round: int


@dataclass(frozen=True, slots=True)
class AssistantReply:
    """One model reply, settled: the visible text once tool calls written as text are removed.

    The streamed :class:`TextChunk` values may have shown such calls; a renderer that cares
    replaces the streamed text of this round with ``text``.
    """

    session_key: str
    text: str
    round: int
    tool_calls: tuple[ToolCall, ...]
    calls_from_text: bool


@dataclass(frozen=True, slots=True)
class ToolStarted:
    """Sent for every call the model made, also those the loop guard refuses (their
    :class:`ToolFinished` then carries ``ok=False`` and the refusal)."""

    session_key: str
    call: ToolCall
    round: int


@dataclass(frozen=True, slots=True)
class ToolFinished:
    session_key: str
    call: ToolCall
    result: ToolResult
    round: int
    # The text the model will see (clipped, possibly with loop guidance appended).
    sent_to_model: str


@dataclass(frozen=True, slots=True)
class LoopNotice:
    """The loop guard spoke: a warning attached to a result, a refused call, or a stuck turn."""

    session_key: str
    call: ToolCall
    action: Literal["warn", "block", "stuck"]
    pattern: str
    message: str
    round: int


@dataclass(frozen=True, slots=True)
class ContextInfo:
    session_key: str
    prompt_tokens: int
    num_ctx: int
    # The server counted a prompt at the limit: it cut something we did not choose.
    truncated: bool
    # History messages this session left out to fit, before sending.
    dropped_messages: int
    # False when prompt_tokens is this session's estimate: the server gave no count, or counted
    # only the part of the prompt that was not already in its cache.
    measured: bool


@dataclass(frozen=True, slots=True)
class UsageInfo:
    session_key: str
    prompt_tokens: int
    completion_tokens: int
    tokens_per_s: float | None
    load_s: float | None


@dataclass(frozen=True, slots=True)
class Nudged:
    """The model answered without calling a tool; ``nudge`` went back to it once, same turn."""

    session_key: str
    reply: str
    nudge: str
    round: int


@dataclass(frozen=True, slots=True)
class TurnFinished:
    session_key: str
    stop_reason: StopReason
    text: str
    stuck_reason: str | None
    pending_command: str | None


TurnEvent = (
    TurnStarted
    | TextChunk
    | ThinkingChunk
    | AssistantReply
    | ToolStarted
    | ToolFinished
    | LoopNotice
    | Nudged
    | ContextInfo
    | UsageInfo
    | TurnFinished
)
