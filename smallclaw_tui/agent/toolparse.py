"""Tool calls that a model wrote as text instead of using the native tool-call channel.

Small models often answer with ``<tool_call>{...}</tool_call>`` (the Qwen template leaking
through), a fenced ```json block, or a bare JSON object, and the JSON is often broken
(single quotes, trailing garbage, missing braces). This module turns such text back into
:class:`ToolCall` values plus the text the user should still see.

Two rules keep prose safe:

* thinking (``<think>...</think>``) is removed first and never parsed: a model that muses
  about a call has not made it;
* outside explicit ``<tool_call>`` tags only objects naming a *known* tool become calls, so
  a reply that merely shows some JSON or contains braces stays text. Inside the tags the
  model clearly meant a call, so an unknown name is kept and the registry answers it with
  an "unknown tool" error the model can learn from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from smallclaw_tui.agent.lenient_json import balanced_end, load_json
from smallclaw_tui.llm.stream import RAW_ARGUMENTS_KEY
from smallclaw_tui.models import ToolCall

_THINK_OPEN = re.compile(r"<think(?:ing)?>", re.IGNORECASE)
_THINK_CLOSE = re.compile(r"</think(?:ing)?>", re.IGNORECASE)
# `<tools>` too: the chat template lists the tools inside <tools></tools>, and small Qwen models
# echo that tag around their call instead of writing <tool_call>.
_TAG_NAMES = r"(?:tool_?calls?|function_?calls?|tools)"
_TAG_OPEN = re.compile(rf"<\|?{_TAG_NAMES}\|?>", re.IGNORECASE)
_TAG_CLOSE = re.compile(rf"<\|?/{_TAG_NAMES}\|?>|</{_TAG_NAMES}>", re.IGNORECASE)
_FENCE = re.compile(r"```[ \t]*([A-Za-z_-]*)[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)

_NAME_KEYS = ("name", "tool", "tool_name", "function", "action")
_ARG_KEYS = ("arguments", "parameters", "args", "input", "action_input", "params", "tool_input")
_META_KEYS = frozenset({"type", "id", "call_id", "index"})

# json_repair is slow on long inputs and a reply can hold many braces; past these limits the
# rest of the reply is left as text rather than stalling the turn.
_MAX_CANDIDATES = 64
_MAX_SCAN_CHARS = 200_000


@dataclass(frozen=True, slots=True)
class ParsedReply:
    calls: list[ToolCall]
    # What is left for the user: no thinking, no call markup, whitespace tidied.
    text: str
    thinking: str


def split_thinking(text: str) -> tuple[str, str]:
    """Return ``(visible, thinking)``.

    Handles closed blocks, an unclosed ``<think>`` (the rest is thinking, since the model never
    came back out of it) and a ``</think>`` with no opener (Qwen's template opens the block in
    the prompt, so the reply may start inside it).
    """
    visible: list[str] = []
    thinking: list[str] = []
    pos = 0
    first_open = _THINK_OPEN.search(text)
    first_close = _THINK_CLOSE.search(text)
    if first_close and (first_open is None or first_close.start() < first_open.start()):
        thinking.append(text[: first_close.start()])
        pos = first_close.end()
    while True:
        opened = _THINK_OPEN.search(text, pos)
        if opened is None:
            visible.append(text[pos:])
            break
        visible.append(text[pos : opened.start()])
        closed = _THINK_CLOSE.search(text, opened.end())
        if closed is None:
            thinking.append(text[opened.end() :])
            break
        thinking.append(text[opened.end() : closed.start()])
        pos = closed.end()
    return "".join(visible), "\n".join(t.strip() for t in thinking if t.strip())


def parse_reply(text: str, known_tools: Iterable[str]) -> ParsedReply:
    """Find the tool calls written in ``text``; return them with the remaining visible text."""
    known = list(known_tools)
    visible, thinking = split_thinking(text)
    spans: list[tuple[int, int, list[ToolCall]]] = []

    for start, end, inner_start, inner_end, closed in _tag_blocks(visible):
        calls = _scan(visible, inner_start, inner_end, known, accept_unknown=True)
        # A closed block is markup even when nothing in it reads as a call; an unclosed one
        # without a call may just be prose mentioning the tag, so it stays visible.
        if calls or closed:
            spans.append((start, end, calls))

    for match in _FENCE.finditer(visible):
        if _overlaps(spans, match.start(), match.end()):
            continue
        calls = _scan(visible, match.start(2), match.end(2), known, accept_unknown=False)
        if calls:
            spans.append((match.start(), match.end(), calls))

    # A reply that is nothing but {"name": …, "arguments": {…}}, bare or in one fenced block, is a
    # call even when the name is not a tool (Qwen2.5-Coder-1.5B: "count_words"; "copy_file" for
    # "copy a to b"): the model should hear "unknown tool; available: …", not have its call taken
    # as prose and the step as done.
    whole = visible.strip()
    start = visible.find(whole) if whole else -1
    end = start + len(whole)
    fence = _FENCE.fullmatch(whole)
    obj_text = fence.group(2).strip() if fence is not None else whole
    at = visible.find(obj_text, start) if obj_text else -1
    single = (
        at >= 0 and obj_text.startswith("{") and balanced_end(visible, at, len(visible)) == at + len(obj_text)
    )
    if not spans and single:
        obj = load_json(obj_text)
        args = obj.get("arguments", obj.get("parameters")) if isinstance(obj, dict) else None
        if isinstance(obj, dict) and isinstance(obj.get("name"), str) and isinstance(args, dict):
            calls = _calls_from_obj(obj, known, True)
            if calls:
                spans.append((start, end, calls))

    for gap_start, gap_end in _gaps(spans, len(visible)):
        for start, end, calls in _scan_spans(visible, gap_start, gap_end, known, accept_unknown=False):
            spans.append((start, end, calls))

    spans.sort(key=lambda s: s[0])
    calls_out = [c for _, _, calls in spans for c in calls]
    pieces = [visible[a:b] for a, b in _gaps(spans, len(visible))]
    rest = _TAG_CLOSE.sub("", _join(pieces))
    return ParsedReply(calls=calls_out, text=_tidy(rest), thinking=thinking)


def repair_arguments(raw: str) -> dict[str, Any] | None:
    """Read tool arguments that arrived as a (possibly broken) JSON string; None if hopeless."""
    s = raw.strip()
    if s.startswith("```"):
        s = s.split("\n", 1)[1] if "\n" in s else ""
        s = s.removesuffix("```").strip()
    if not s:
        return {}
    value = load_json(s)
    # Some models double-encode: the arguments are a JSON string holding a JSON object.
    if isinstance(value, str) and value.strip().startswith("{"):
        value = load_json(value.strip())
    return value if isinstance(value, dict) else None


def canonical_tool_name(name: str, known_tools: Iterable[str]) -> str | None:
    """The known tool a model meant by ``name`` (``Read-File``, ``functions.read_file``), or None."""
    return _canonical_name(name, list(known_tools), accept_unknown=False)


def calls_from_object(
    obj: Any, known_tools: Iterable[str], *, accept_unknown: bool = False
) -> list[ToolCall]:
    """The calls in one decoded JSON value, in any of the shapes small models use."""
    return _calls_from_obj(obj, list(known_tools), accept_unknown)


# --- internals ---------------------------------------------------------------------------------


def _join(pieces: list[str]) -> str:
    """Join the text around removed calls without leaving double spaces where a call was."""
    out = ""
    for piece in pieces:
        if out.endswith(" ") and piece.startswith(" "):
            piece = piece.lstrip(" ")
        out += piece
    return out


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _tag_blocks(text: str) -> list[tuple[int, int, int, int, bool]]:
    """(start, end, inner_start, inner_end, closed) of each tool-call tag block.

    An unclosed block runs to the next opening tag or the end of the text."""
    blocks: list[tuple[int, int, int, int, bool]] = []
    pos = 0
    while True:
        opened = _TAG_OPEN.search(text, pos)
        if opened is None:
            return blocks
        closed = _TAG_CLOSE.search(text, opened.end())
        # A second opener before any closer means the first block was never closed.
        nxt = _TAG_OPEN.search(text, opened.end())
        if closed is not None and (nxt is None or closed.start() < nxt.start()):
            blocks.append((opened.start(), closed.end(), opened.end(), closed.start(), True))
            pos = closed.end()
        else:
            inner_end = nxt.start() if nxt is not None else len(text)
            blocks.append((opened.start(), inner_end, opened.end(), inner_end, False))
            pos = inner_end


def _overlaps(spans: list[tuple[int, int, list[ToolCall]]], start: int, end: int) -> bool:
    return any(start < b and a < end for a, b, _ in spans)


def _gaps(spans: list[tuple[int, int, list[ToolCall]]], length: int) -> list[tuple[int, int]]:
    gaps: list[tuple[int, int]] = []
    pos = 0
    for a, b, _ in sorted(spans, key=lambda s: s[0]):
        if a > pos:
            gaps.append((pos, a))
        pos = max(pos, b)
    if pos < length:
        gaps.append((pos, length))
    return gaps


def _scan(text: str, start: int, end: int, known: list[str], *, accept_unknown: bool) -> list[ToolCall]:
    spans = _scan_spans(text, start, end, known, accept_unknown=accept_unknown)
    return [c for _, _, calls in spans for c in calls]


def _mentions_a_tool(text: str, known: list[str]) -> bool:
    low = text.lower().replace("-", "_")
    return any(name.lower() in low for name in known)


def _scan_spans(
    text: str, start: int, end: int, known: list[str], *, accept_unknown: bool
) -> list[tuple[int, int, list[ToolCall]]]:
    """Calls found as JSON objects/lists between start and end, with the span each came from."""
    end = min(end, start + _MAX_SCAN_CHARS)
    if not accept_unknown and not _mentions_a_tool(text[start:end], known):
        return []
    found: list[tuple[int, int, list[ToolCall]]] = []
    i = start
    tried = 0
    while i < end and tried < _MAX_CANDIDATES:
        ch = text[i]
        if ch not in "{[":
            i += 1
            continue
        close = balanced_end(text, i, end)
        chunk_end = close if close is not None else end
        chunk = text[i:chunk_end]
        if accept_unknown or _mentions_a_tool(chunk, known):
            tried += 1
            calls = _calls_from_obj(load_json(chunk), known, accept_unknown)
            if calls:
                found.append((i, chunk_end, calls))
                i = chunk_end
                continue
        i += 1
    return found


def _canonical_name(name: str, known: list[str], accept_unknown: bool) -> str | None:
    raw = name.strip()
    if raw in known:
        return raw
    simple = raw.removeprefix("functions.").strip().lower().replace("-", "_").replace(" ", "_")
    for k in known:
        if k.lower() == simple:
            return k
    if accept_unknown and raw and len(raw) <= 64 and "\n" not in raw:
        return raw
    return None


def _arguments(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        repaired = repair_arguments(value)
        return repaired if repaired is not None else {RAW_ARGUMENTS_KEY: value}
    return {RAW_ARGUMENTS_KEY: json.dumps(value)}


def _looks_like_schema(args: dict[str, Any]) -> bool:
    return args.get("type") == "object" and isinstance(args.get("properties"), dict)


def _calls_from_obj(obj: Any, known: list[str], accept_unknown: bool) -> list[ToolCall]:
    if isinstance(obj, list):
        return [c for item in obj for c in _calls_from_obj(item, known, accept_unknown)]
    if not isinstance(obj, dict):
        return []
    if isinstance(obj.get("tool_calls"), list):
        return _calls_from_obj(obj["tool_calls"], known, accept_unknown)
    fn = obj.get("function")
    if isinstance(fn, dict) and isinstance(fn.get("name"), str):
        # OpenAI's shape: {"type": "function", "function": {"name", "arguments"}}
        return _calls_from_obj(fn, known, accept_unknown)
    for name_key in _NAME_KEYS:
        name_val = obj.get(name_key)
        if not isinstance(name_val, str):
            continue
        name = _canonical_name(name_val, known, accept_unknown)
        if name is None:
            continue
        arg_key = next((k for k in _ARG_KEYS if k in obj), None)
        if arg_key is not None:
            args = _arguments(obj[arg_key])
            if _looks_like_schema(args):
                # The model echoed a tool's definition back; that is not a call.
                return []
        elif "description" in obj:
            return []
        else:
            # Flat shape {"name": "read_file", "path": "a.txt"}: the other keys are the arguments.
            args = {k: v for k, v in obj.items() if k != name_key and k not in _META_KEYS}
        return [ToolCall(name=name, arguments=args)]
    return []
