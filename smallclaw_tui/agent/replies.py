"""A model reply, read into tool calls and the text the user sees, whatever the tool mode.

Native calls win whenever the server sent some (in any mode: a server may ignore the request's
shape). In schema mode the text is one JSON action; text that is not one (the server ignored the
schema, or thinking-off broke it) is read like a text-mode reply instead of being lost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from smallclaw_tui.agent.action_schema import read_action
from smallclaw_tui.agent.toolparse import canonical_tool_name, parse_reply, repair_arguments, split_thinking
from smallclaw_tui.config import ToolMode
from smallclaw_tui.llm.base import ChatResult
from smallclaw_tui.llm.stream import RAW_ARGUMENTS_KEY
from smallclaw_tui.models import ToolCall

CUT_ACTION = (
    "(the reply reached the output limit before its JSON action was complete, so nothing ran; "
    "write long content in smaller parts)"
)


@dataclass(frozen=True, slots=True)
class ReadReply:
    calls: list[ToolCall]
    visible: str
    thinking: str
    # The calls, or the final answer, were read out of the text: the streamed text of this
    # round is not what the user should keep seeing.
    from_text: bool


def read_reply(reply: ChatResult, names: list[str], mode: ToolMode) -> ReadReply:
    if reply.tool_calls:
        visible, inline_thinking = split_thinking(reply.text)
        calls = [repaired(renamed(c, names)) for c in reply.tool_calls]
        return ReadReply(calls, visible.strip(), join(reply.thinking, inline_thinking), False)
    if mode == "schema":
        visible, inline_thinking = split_thinking(reply.text)
        if reply.finish_reason == "length" and not _whole_json(visible):
            # Cut at the output cap mid-action: repairing it would run a call with half its
            # arguments (a file written half). Nothing runs; the text says why.
            return ReadReply([], CUT_ACTION, join(reply.thinking, inline_thinking), True)
        action = read_action(visible, names)
        if action is not None:
            calls = [repaired(action.call)] if action.call is not None else []
            return ReadReply(calls, action.final or "", join(reply.thinking, inline_thinking), True)
    parsed = parse_reply(reply.text, names)
    calls = [repaired(c) for c in parsed.calls]
    return ReadReply(calls, parsed.text, join(reply.thinking, parsed.thinking), bool(calls))


def _whole_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def repaired(call: ToolCall) -> ToolCall:
    """Native or parsed arguments that came as a broken JSON string, repaired when possible."""
    raw = call.arguments.get(RAW_ARGUMENTS_KEY)
    if not isinstance(raw, str) or len(call.arguments) != 1:
        return call
    fixed = repair_arguments(raw)
    return call if fixed is None else call.model_copy(update={"arguments": fixed})


def renamed(call: ToolCall, names: list[str]) -> ToolCall:
    """A native call to ``Read_File`` or ``functions.read_file`` meant ``read_file``."""
    if call.name in names:
        return call
    known = canonical_tool_name(call.name, names)
    return call if known is None else call.model_copy(update={"name": known})


def join(*parts: str) -> str:
    return "\n".join(p.strip() for p in parts if p and p.strip())
