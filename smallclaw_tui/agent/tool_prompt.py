"""Text and schema modes: tools described in the system prompt, history sent as plain text.

Neither mode sends a `tools` field (Ollama ignores it when `format` is set, and in text mode the
point is not to depend on the server's tool template), so the model learns the tools from the
system prompt, and earlier calls and results go back as ordinary assistant and user messages: a
server may reject `role: tool` messages, or assistant `tool_calls`, in a request without tools.
The history itself stays in the native shape; only what is sent is rewritten.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from smallclaw_tui.agent.action_schema import action_text
from smallclaw_tui.config import ToolMode
from smallclaw_tui.llm.base import ToolSpec
from smallclaw_tui.models import ChatMessage, Role, ToolCall

# Qwen's own template writes calls and results with these tags, so small Qwen models know them,
# and the text parser reads them.
TEXT_CALL_FORMAT = (
    "To call a tool, reply with only this, one call per reply:\n"
    "<tool_call>\n"
    '{"name": "TOOL", "arguments": {"ARGUMENT": "VALUE"}}\n'
    "</tool_call>\n"
    "Each result comes back inside <tool_response></tool_response>."
)
SCHEMA_FINAL_FORMAT = (
    'Reply with one JSON object: {"done": "your answer"}, or {"blocked": "why"} if you cannot answer.'
)
SCHEMA_CALL_FORMAT = (
    "Reply with one JSON object and nothing else:\n"
    '{"tool": "TOOL", "args": {"ARGUMENT": "VALUE"}} to call a tool;\n'
    '{"done": "what you did, citing the results"} when the work is done;\n'
    '{"blocked": "why"} if it cannot be done.\n'
    "Each result comes back inside <tool_response></tool_response>."
)


def describe_tools(specs: Sequence[ToolSpec]) -> str:
    """One line per tool: ``- name(arg, optional?): what it does. arg: what it is.``"""
    lines: list[str] = []
    for spec in specs:
        fn = spec.get("function", spec)
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            continue
        params = _dict(fn.get("parameters"))
        props = _dict(params.get("properties"))
        required = set(params.get("required") or [])
        args = ", ".join(p if p in required else f"{p}?" for p in props)
        notes = [
            f"{p}: {str(v.get('description')).rstrip('.')}."
            for p, v in props.items()
            if isinstance(v, dict) and v.get("description")
        ]
        description = str(fn.get("description") or "").strip()
        lines.append(" ".join(part for part in (f"- {fn['name']}({args}):", description, *notes) if part))
    return "\n".join(lines)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def system_prompt_for(mode: ToolMode, base: str, specs: Sequence[ToolSpec]) -> str:
    """The system prompt for `mode`: the base prompt, then (text and schema) tools and format.

    Stable for a given tool list, so the prompt cache keeps it from one request to the next."""
    if mode == "native" or (mode == "text" and not specs):
        return base
    if not specs:
        return f"{base}\n\n{SCHEMA_FINAL_FORMAT}"
    how = TEXT_CALL_FORMAT if mode == "text" else SCHEMA_CALL_FORMAT
    return f"{base}\n\nTools:\n{describe_tools(specs)}\n\n{how}"


def _call_text(call: ToolCall, mode: ToolMode) -> str:
    if mode == "schema":
        return action_text(call=call)
    body = json.dumps({"name": call.name, "arguments": call.arguments}, ensure_ascii=False)
    return f"<tool_call>\n{body}\n</tool_call>"


def plain_history(messages: Sequence[ChatMessage], mode: ToolMode) -> list[ChatMessage]:
    """`messages` with calls written as the model writes them in `mode` and results as user
    messages; user messages that end up next to each other are joined (some chat templates
    insist that roles alternate)."""
    if mode == "native":
        return list(messages)
    out: list[ChatMessage] = []
    for m in messages:
        if m.role is Role.ASSISTANT:
            if m.tool_calls:
                parts = [m.content.strip()] if m.content.strip() and mode == "text" else []
                parts += [_call_text(c, mode) for c in m.tool_calls]
                content = "\n".join(parts)
            else:
                content = action_text(final=m.content) if mode == "schema" else m.content
            out.append(ChatMessage(role=Role.ASSISTANT, content=content))
            continue
        if m.role is Role.TOOL:
            m = ChatMessage(role=Role.USER, content=f"<tool_response>\n{m.content}\n</tool_response>")
        if m.role is Role.USER and out and out[-1].role is Role.USER:
            out[-1] = out[-1].model_copy(update={"content": f"{out[-1].content}\n\n{m.content}"})
        else:
            out.append(m)
    return out
