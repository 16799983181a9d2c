"""Schema mode: a step reply constrained to one action, as JSON.

The reply is exactly one of::

    {"tool": "<an offered tool>", "args": {...}}
    {"done": "<what was done, citing results>"}
    {"blocked": "<why it cannot be done>"}

"tool" comes before "args" (both required, and llama.cpp's schema-to-grammar keeps required
keys in declared order) so the model commits to the action before it writes arguments. By
default "args" is any object: shaping it per tool (``shape_args``) makes a long anyOf that, on
Qwen2.5-Coder-1.5B, pulled the choice toward read_file/list_dir or "done" instead of the edit;
wrong argument names are answered by the tool registry, which the model can learn from.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from smallclaw_tui.agent.toolparse import canonical_tool_name, repair_arguments
from smallclaw_tui.llm.base import JsonSchema, ToolSpec
from smallclaw_tui.llm.stream import RAW_ARGUMENTS_KEY
from smallclaw_tui.models import ToolCall

SCHEMA_TITLE = "step_action"
DONE_PREFIX = "DONE: "
BLOCKED_PREFIX = "BLOCKED: "


def tool_names(specs: Sequence[ToolSpec]) -> list[str]:
    names: list[str] = []
    for spec in specs:
        fn = spec.get("function", spec)
        if isinstance(fn, dict) and isinstance(fn.get("name"), str):
            names.append(fn["name"])
    return names


def _final(key: str) -> JsonSchema:
    return {
        "type": "object",
        "properties": {key: {"type": "string"}},
        "required": [key],
        "additionalProperties": False,
    }


def _call(tool: JsonSchema, args: JsonSchema) -> JsonSchema:
    return {
        "type": "object",
        "properties": {"tool": tool, "args": args},
        "required": ["tool", "args"],
        "additionalProperties": False,
    }


def _params(spec: ToolSpec) -> JsonSchema:
    fn = spec.get("function", spec)
    params = fn.get("parameters") if isinstance(fn, dict) else None
    if not isinstance(params, dict):
        return {"type": "object"}
    # Closed, so the grammar ends the object after the tool's own keys.
    return {**params, "type": "object", "additionalProperties": False}


def action_schema(specs: Sequence[ToolSpec], *, shape_args: bool = False) -> JsonSchema:
    """The schema of one step action over the offered tools (see the module docstring)."""
    names = tool_names(specs)
    calls: list[JsonSchema] = []
    if shape_args:
        for spec, name in zip(specs, names, strict=True):
            calls.append(_call({"type": "string", "const": name}, _params(spec)))
    elif names:
        calls.append(_call({"type": "string", "enum": names}, {"type": "object"}))
    return {"title": SCHEMA_TITLE, "anyOf": [*calls, _final("done"), _final("blocked")]}


@dataclass(frozen=True, slots=True)
class Action:
    """A decoded action: a call, or the final text the runner reads ("DONE: …" / "BLOCKED: …")."""

    call: ToolCall | None = None
    final: str | None = None


def read_action(text: str, known_tools: Sequence[str]) -> Action | None:
    """The action in a schema-mode reply; None when the text is not one (the server ignored the
    schema, or thinking-off broke it): the caller then reads the text as a text-mode reply."""
    stripped = text.strip()
    if not stripped.startswith("{"):
        return None
    try:
        obj: Any = json.loads(stripped)
    except ValueError:
        obj = repair_arguments(stripped)
    if not isinstance(obj, dict):
        return None
    tool = obj.get("tool")
    if isinstance(tool, str) and tool:
        # An unknown name is kept: the registry's "unknown tool" answer teaches the model.
        name = canonical_tool_name(tool, known_tools) or tool
        return Action(call=ToolCall(name=name, arguments=_arguments(obj.get("args"))))
    for key, prefix in (("done", DONE_PREFIX), ("blocked", BLOCKED_PREFIX)):
        if key in obj:
            value = obj[key]
            said = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            return Action(final=(prefix + said.strip()).strip())
    return None


def _arguments(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if value is None:
        return {}
    # A string or list where an object belongs: kept raw so the session says what went wrong.
    return {RAW_ARGUMENTS_KEY: value if isinstance(value, str) else json.dumps(value)}


def action_text(call: ToolCall | None = None, final: str | None = None) -> str:
    """How an earlier action is shown back to the model in schema mode: the JSON it wrote."""
    if call is not None:
        args = call.arguments
        raw = args.get(RAW_ARGUMENTS_KEY)
        shown: Any = raw if isinstance(raw, str) and len(args) == 1 else args
        return json.dumps({"tool": call.name, "args": shown}, ensure_ascii=False)
    said = (final or "").strip()
    for key in ("done", "blocked"):
        head, sep, rest = said.partition(":")
        if sep and head.strip().lower() == key:
            return json.dumps({key: rest.strip()}, ensure_ascii=False)
    return json.dumps({"done": said}, ensure_ascii=False)
