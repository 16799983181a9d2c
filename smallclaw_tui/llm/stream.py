"""Wire-independent pieces of a reply stream: think-tag splitting, tool arguments, collecting.

Thinking is never part of the answer: qwen3 and friends sometimes inline it as
``<think>…</think>`` in the content (llama.cpp without a reasoning parser, older Ollama, custom
templates). :class:`ThinkTagSplitter` routes that text to :class:`ThinkingDelta` even when a tag is
split across chunks.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from smallclaw_tui.llm.base import (
    ChatResult,
    ContextTruncated,
    Done,
    LLMEvent,
    TextDelta,
    ThinkingDelta,
    ToolCallEvent,
    Usage,
)

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"

RAW_ARGUMENTS_KEY = "__raw__"
"""Key of the one entry a ToolCall's arguments hold when the model sent arguments that are not a
JSON object. The agent layer repairs or re-asks; the client never guesses."""


def _held_prefix(buf: str, tags: tuple[str, ...]) -> int:
    """Length of the longest tail of `buf` that could be the start of one of `tags`."""
    best = 0
    for tag in tags:
        for k in range(min(len(tag) - 1, len(buf)), best, -1):
            if buf.endswith(tag[:k]):
                best = k
                break
    return best


class ThinkTagSplitter:
    """Split streamed content into answer text and ``<think>`` text.

    A stray ``</think>`` without an opening tag (templates that put ``<think>`` in the prompt) is
    dropped; what came before it was already streamed as text and cannot be taken back. Leading
    whitespace right after a think block is dropped so the answer does not start with blank lines.
    """

    def __init__(self) -> None:
        self._buf = ""
        self._in_think = False
        self._strip_leading = False

    def feed(self, text: str) -> list[TextDelta | ThinkingDelta]:
        self._buf += text
        out: list[TextDelta | ThinkingDelta] = []
        while True:
            if self._in_think:
                i = self._buf.find(CLOSE_TAG)
                if i == -1:
                    break
                self._emit(out, self._buf[:i])
                self._buf = self._buf[i + len(CLOSE_TAG) :]
                self._in_think = False
                self._strip_leading = True
                continue
            i_open = self._buf.find(OPEN_TAG)
            i_close = self._buf.find(CLOSE_TAG)
            if i_close != -1 and (i_open == -1 or i_close < i_open):
                self._emit(out, self._buf[:i_close])
                self._buf = self._buf[i_close + len(CLOSE_TAG) :]
                self._strip_leading = True
                continue
            if i_open == -1:
                break
            self._emit(out, self._buf[:i_open])
            self._buf = self._buf[i_open + len(OPEN_TAG) :]
            self._in_think = True
        tags = (CLOSE_TAG,) if self._in_think else (OPEN_TAG, CLOSE_TAG)
        keep = _held_prefix(self._buf, tags)
        ready, self._buf = self._buf[: len(self._buf) - keep], self._buf[len(self._buf) - keep :]
        self._emit(out, ready)
        return out

    def flush(self) -> list[TextDelta | ThinkingDelta]:
        """End of stream: whatever is held back is plain text (or thinking, inside an open block)."""
        out: list[TextDelta | ThinkingDelta] = []
        rest, self._buf = self._buf, ""
        self._emit(out, rest)
        return out

    def _emit(self, out: list[TextDelta | ThinkingDelta], text: str) -> None:
        if self._in_think:
            if text:
                out.append(ThinkingDelta(text))
            return
        if self._strip_leading:
            text = text.lstrip()
            if not text:
                return
            self._strip_leading = False
        if text:
            out.append(TextDelta(text))


def parse_tool_arguments(raw: Any) -> dict[str, Any]:
    """Arguments as a dict. A JSON object string is decoded; anything else is kept under
    :data:`RAW_ARGUMENTS_KEY` as text so the agent layer can repair it or ask again."""
    if isinstance(raw, dict):
        return raw
    if raw is None:
        return {}
    text = raw if isinstance(raw, str) else json.dumps(raw)
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {RAW_ARGUMENTS_KEY: text}
    if isinstance(value, dict):
        return value
    return {RAW_ARGUMENTS_KEY: text}


def apply_event(result: ChatResult, event: LLMEvent) -> None:
    """Fold one event into a :class:`ChatResult` (what :func:`collect` does for a whole stream)."""
    if isinstance(event, TextDelta):
        result.text += event.text
    elif isinstance(event, ThinkingDelta):
        result.thinking += event.text
    elif isinstance(event, ToolCallEvent):
        result.tool_calls.append(event.call)
    elif isinstance(event, Usage):
        result.usage = event
    elif isinstance(event, ContextTruncated):
        result.truncated = event
    elif isinstance(event, Done):
        result.finish_reason = event.finish_reason


async def collect(events: AsyncIterator[LLMEvent]) -> ChatResult:
    result = ChatResult()
    async for event in events:
        apply_event(result, event)
    return result


def truncation(prompt_tokens: int, num_ctx: int, margin: float) -> ContextTruncated | None:
    """Servers cut an over-long prompt silently from the front; a count at the limit is the tell."""
    if prompt_tokens > 0 and prompt_tokens >= num_ctx * margin:
        return ContextTruncated(prompt_tokens=prompt_tokens, num_ctx=num_ctx)
    return None
