"""Which tool modes a server honours, found by two tiny requests, and the mode `auto` picks.

* native: asked plainly to call the one offered tool, does the reply carry a native tool call?
* schema: asked the same with the step-action schema and no tools, is the reply JSON valid under
  the schema? An unconstrained model asked to call a tool it was not given writes prose, or
  ``{"name": …}``, which the schema does not allow, so a pass means the server constrained it.
* text: always available (the text parser reads whatever comes).

Both probes run with thinking off and a small output cap, so they take seconds even on a CPU.
The result is kept per (base URL, model) for the life of the process; until a probe has run,
`auto` means native, which is what the app did before modes existed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from smallclaw_tui.agent.action_schema import action_schema
from smallclaw_tui.agent.toolparse import split_thinking
from smallclaw_tui.config import ToolMode, ToolModeSetting
from smallclaw_tui.llm.base import ChatResult, LLMError, ModelClient, ToolSpec
from smallclaw_tui.llm.errors import one_line
from smallclaw_tui.llm.schema_check import schema_errors
from smallclaw_tui.models import ChatMessage, Role

ECHO_TOOL: ToolSpec = {
    "type": "function",
    "function": {
        "name": "echo",
        "description": "Repeat the given text back.",
        "parameters": {
            "type": "object",
            "properties": {"text": {"type": "string", "description": "text to repeat"}},
            "required": ["text"],
        },
    },
}
PROBE_MESSAGES = [
    ChatMessage(role=Role.SYSTEM, content="You call tools when asked. Answer briefly."),
    ChatMessage(role=Role.USER, content='Call the echo tool with text "ping".'),
]
# Enough for the call or the JSON action (~20 tokens) and a little slack.
NATIVE_PROBE_TOKENS = 96
SCHEMA_PROBE_TOKENS = 64

# What auto prefers among the modes that work. Native first: it is what the app always did;
# reorder when the real-model benchmark says another mode finishes more tasks.
AUTO_PREFERENCE: tuple[ToolMode, ...] = ("native", "schema", "text")


@dataclass(frozen=True, slots=True)
class ModeCheck:
    ok: bool
    detail: str
    # The request failed in a way that may pass later (a model still loading).
    retryable: bool = False


@dataclass(frozen=True, slots=True)
class ModeProbe:
    native: ModeCheck
    schema: ModeCheck
    # The native probe's reply (doctor reports its speed); None when the request failed.
    native_reply: ChatResult | None = None

    def works(self, mode: ToolMode) -> bool:
        return mode == "text" or (self.native.ok if mode == "native" else self.schema.ok)

    @property
    def pick(self) -> ToolMode:
        return next(m for m in AUTO_PREFERENCE if self.works(m))


_picked: dict[tuple[str, str], ToolMode] = {}


def remember(base_url: str, model: str, probe: ModeProbe) -> None:
    _picked[(base_url, model)] = probe.pick


def forget_all() -> None:
    """Drop every remembered pick (tests; a server that was upgraded)."""
    _picked.clear()


def cached_pick(base_url: str, model: str) -> ToolMode | None:
    return _picked.get((base_url, model))


def resolve_tool_mode(setting: ToolModeSetting, base_url: str, model: str) -> ToolMode:
    """The mode to use now: the setting, or for auto the probed pick (native until probed)."""
    if setting != "auto":
        return setting
    return cached_pick(base_url, model) or "native"


async def probe_native(
    client: ModelClient, *, model: str | None = None
) -> tuple[ChatResult | None, ModeCheck]:
    try:
        result = await client.chat(
            PROBE_MESSAGES, [ECHO_TOOL], model=model, num_predict=NATIVE_PROBE_TOKENS, think=False
        )
    except LLMError as e:
        return None, ModeCheck(False, str(e), e.retryable)
    for call in result.tool_calls:
        args = json.dumps(call.arguments, ensure_ascii=False)
        return result, ModeCheck(True, f"native tool call {call.name}({args})")
    said = one_line(result.text, 80) or "(nothing)"
    return result, ModeCheck(False, f"no native tool call; the model replied: {said}")


async def probe_schema(client: ModelClient, *, model: str | None = None) -> ModeCheck:
    schema = action_schema([ECHO_TOOL])
    try:
        result = await client.chat(
            PROBE_MESSAGES,
            None,
            model=model,
            num_predict=SCHEMA_PROBE_TOKENS,
            think=False,
            response_schema=schema,
        )
    except LLMError as e:
        return ModeCheck(False, str(e), e.retryable)
    visible, _ = split_thinking(result.text)
    said = one_line(visible, 80) or "(nothing)"
    try:
        value = json.loads(visible)
    except ValueError:
        cut = " (cut at the output cap)" if result.finish_reason == "length" else ""
        return ModeCheck(False, f"reply is not JSON{cut}: {said}")
    problems = schema_errors(value, schema)
    if problems:
        return ModeCheck(False, f"reply does not follow the schema ({problems[0]}): {said}")
    return ModeCheck(True, f"constrained reply {said}")


async def probe_tool_modes(client: ModelClient, *, model: str | None = None) -> ModeProbe:
    """Run both probes and remember auto's pick for this server and model."""
    reply, native = await probe_native(client, model=model)
    schema = await probe_schema(client, model=model)
    probe = ModeProbe(native, schema, reply)
    remember(client.base_url, model or client.model, probe)
    return probe
