"""The bookkeeping of one chat turn: what it ends with, what its requests carry, what it cost."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from smallclaw_tui.agent.budget import TokenEstimator
from smallclaw_tui.agent.events import ContextInfo, StopReason, TurnEvent, UsageInfo
from smallclaw_tui.config import ToolMode
from smallclaw_tui.llm.base import ChatResult, JsonSchema, ToolSpec
from smallclaw_tui.llm.stream import RAW_ARGUMENTS_KEY
from smallclaw_tui.models import ChatMessage, ToolCall
from smallclaw_tui.tools.base import ToolResult
from smallclaw_tui.tools.registry import ToolRegistry


@dataclass(slots=True)
class TurnResult:
    text: str
    stop_reason: StopReason
    stuck_reason: str | None = None
    pending_command: str | None = None
    # Every call the model made that ran or was refused by the loop guard, with its result.
    # Calls skipped because the turn stopped first (stuck, approval) are not listed.
    tool_calls: list[tuple[ToolCall, ToolResult]] = field(default_factory=list)
    # Totals over all model calls of the turn, as the server counted them.
    prompt_tokens: int = 0
    completion_tokens: int = 0
    rounds: int = 0
    # Most history messages left out of any one request this turn.
    dropped_messages: int = 0
    # The server counted some request at num_ctx: the model may not have seen all of it.
    truncated: bool = False
    # The model answered without a tool call and was asked once more (``nudge``).
    nudged: bool = False


@dataclass(frozen=True, slots=True)
class Sampling:
    """Per-turn sampling; None keeps the client's default."""

    temperature: float | None = None
    seed: int | None = None


@dataclass(frozen=True, slots=True)
class RequestShape:
    """What this turn's requests carry, by tool mode (see :mod:`smallclaw_tui.agent.tool_prompt`)."""

    mode: ToolMode
    system: str
    tools: list[ToolSpec]  # the `tools` field: empty outside native mode
    schema: JsonSchema | None


def account(
    key: str,
    reply: ChatResult,
    sent: list[ChatMessage],
    specs: list[ToolSpec],
    dropped: int,
    result: TurnResult,
    estimator: TokenEstimator,
    num_ctx: int,
) -> list[TurnEvent]:
    """Add the reply's token counts to `result`, teach `estimator`, and say what to report."""
    events: list[TurnEvent] = []
    estimated = estimator.prompt(sent, specs)
    usage = reply.usage
    # A count far below the estimate is Ollama reporting only the uncached part of the prompt:
    # it is not the context in use, so the estimate stands in for it.
    measured = usage is not None and estimator.plausible(estimated, usage.prompt_tokens)
    if usage is not None:
        result.prompt_tokens += usage.prompt_tokens
        result.completion_tokens += usage.completion_tokens
        events.append(
            UsageInfo(key, usage.prompt_tokens, usage.completion_tokens, usage.tokens_per_s, usage.load_s)
        )
    truncated = reply.truncated is not None
    result.truncated = result.truncated or truncated
    prompt_tokens = estimated
    if usage is not None and truncated:
        # The server filled the whole window; its count is the truth about context use...
        prompt_tokens, measured = usage.prompt_tokens, True
    elif usage is not None and measured:
        # ...but says nothing about the tokenizer, so only uncapped counts are learnt from.
        estimator.correct(estimated, usage.prompt_tokens)
        prompt_tokens = usage.prompt_tokens
    events.append(ContextInfo(key, prompt_tokens, num_ctx, truncated, dropped, measured))
    return events


def bad_arguments(call: ToolCall, tools: ToolRegistry) -> ToolResult | None:
    """The answer to a call whose arguments are not a JSON object, saying what to send instead."""
    raw = call.arguments.get(RAW_ARGUMENTS_KEY)
    if not isinstance(raw, str) or len(call.arguments) != 1:
        return None
    tool = tools.get(call.name)
    # Required parameters only: a small model copies every key it sees ("overwrite": "...").
    required = {p.name: "..." for p in tool.params if p.required} if tool is not None else {"name": "value"}
    example = json.dumps(required)
    shown = raw if len(raw) <= 200 else raw[:199] + "…"
    return ToolResult(
        False,
        f"bad arguments for {call.name}: not a JSON object: {shown}. "
        f"Send the arguments as one JSON object, like {example}",
    )
