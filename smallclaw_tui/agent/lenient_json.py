"""JSON as small models write it: found in text by its brackets, and decoded even when broken
(trailing chatter, missing closers, Python literals), but never at the price of a changed string."""

from __future__ import annotations

import ast
import json
from typing import Any

import json_repair


def balanced_end(text: str, start: int, end: int) -> int | None:
    """Index just past the bracket closing the one at ``start``; None if it never closes.

    Tracks double-quoted strings, and single-quoted ones where a JSON token could begin (broken
    JSON with Python-style quotes); an apostrophe inside a word is not a quote.
    """
    depth = 0
    quote: str | None = None
    escaped = False
    prev_sig = ""
    for i in range(start, end):
        c = text[i]
        if quote is not None:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == quote:
                quote = None
                prev_sig = c
            continue
        if c == '"' or (c == "'" and prev_sig in ("{", "[", ",", ":")):
            quote = c
        elif c in "{[":
            depth += 1
        elif c in "}]":
            depth -= 1
            if depth == 0:
                return i + 1
        if not c.isspace():
            prev_sig = c
    return None


def load_json(chunk: str) -> Any:
    """Decode JSON, repairing it when needed, but never at the price of changing a string value.

    Lossless repairs come first (trailing garbage, missing closers, Python literals). json_repair
    is the last resort, and its result is kept only when every string in it appears verbatim in
    the raw text: it silently strips trailing whitespace from values, and a file written with
    different bytes than the model meant is worse than asking the model again.
    """
    for attempt in (_plain, _prefix, _closed, _python_literal):
        value = attempt(chunk)
        if value is not None:
            return value
    try:
        value = json_repair.repair_json(chunk, return_objects=True)
    except Exception:  # json_repair has no documented error type; a failed repair is just "no JSON"
        return None
    return value if all(_verbatim(s, chunk) for s in _strings(value)) else None


def _plain(chunk: str) -> Any:
    try:
        return json.loads(chunk, strict=False)
    except ValueError:
        return None


def _prefix(chunk: str) -> Any:
    """A complete JSON value followed by garbage (a model's chatter after the object)."""
    try:
        value, _end = json.JSONDecoder(strict=False).raw_decode(chunk)
    except ValueError:
        return None
    return value if isinstance(value, dict | list) else None


def _closed(chunk: str) -> Any:
    """The same text with the quotes and brackets it left open closed, in order."""
    stack: list[str] = []
    in_string = escaped = False
    for c in chunk:
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "{[":
            stack.append("}" if c == "{" else "]")
        elif c in "}]" and (not stack or stack.pop() != c):
            return None
    if not stack and not in_string:
        return None
    tail = ('"' if in_string else "") + "".join(reversed(stack))
    return _plain(chunk + tail)


def _python_literal(chunk: str) -> Any:
    """{'path': 'a.txt'}: a Python dict, as small models trained on code often write."""
    try:
        value = ast.literal_eval(chunk.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, dict | list) else None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _verbatim(text: str, raw: str) -> bool:
    if text in raw:
        return True
    escaped = json.dumps(text, ensure_ascii=False)[1:-1]
    return escaped in raw or escaped.replace("\\'", "'") in raw
