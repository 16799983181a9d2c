"""Reading OpenAI-compatible replies: SSE chunks or one JSON body, folded into events.

Tool calls arrive as deltas keyed by index, their arguments as string fragments; they are
assembled and emitted once, when the reply finishes.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from smallclaw_tui.llm._http import HttpClientBase
from smallclaw_tui.llm.base import (
    Done,
    LLMError,
    LLMEvent,
    ThinkingDelta,
    ToolCallEvent,
    TransportError,
    Usage,
)
from smallclaw_tui.llm.errors import parse_error, server_error_text, status_error
from smallclaw_tui.llm.stream import ThinkTagSplitter, parse_tool_arguments
from smallclaw_tui.models import ToolCall


@dataclass
class _PartialCall:
    id: str | None = None
    name: str = ""
    arguments: list[str] = field(default_factory=list)

    def build(self) -> ToolCall:
        args = parse_tool_arguments("".join(self.arguments))
        if self.id:
            return ToolCall(id=self.id, name=self.name, arguments=args)
        return ToolCall(name=self.name, arguments=args)


def _error_from_body(url: str, obj: dict[str, Any]) -> LLMError:
    """An error object sent inside a 200 stream (llama.cpp does this)."""
    err = obj.get("error")
    code = err.get("code") if isinstance(err, dict) else None
    text = json.dumps(obj)
    if isinstance(code, int) and 400 <= code < 500:
        return status_error(code, text, url=url, model=str(obj.get("model", "?")), api="openai")
    return TransportError(f"{url}: server error mid-reply: {server_error_text(text)}")


class ReplyReader:
    """Folds completion chunks (or the one non-streamed body) into events."""

    def __init__(self, client: HttpClientBase, url: str) -> None:
        self._client = client
        self._url = url
        self._splitter = ThinkTagSplitter()
        self._calls: dict[int, _PartialCall] = {}
        self._usage: dict[str, Any] | None = None
        self._timings: dict[str, Any] | None = None
        self._first_token_at: float | None = None
        self.finish_reason: str | None = None

    def feed(self, obj: dict[str, Any]) -> list[LLMEvent]:
        if "error" in obj:
            raise _error_from_body(self._url, obj)
        choices = obj.get("choices")
        if not isinstance(choices, list):
            if "usage" not in obj:
                raise parse_error(self._url, "OpenAI", json.dumps(obj))
            choices = []
        events: list[LLMEvent] = []
        for choice in choices:
            if not isinstance(choice, dict):
                raise parse_error(self._url, "OpenAI", json.dumps(obj))
            part = choice.get("delta") if "delta" in choice else choice.get("message")
            if isinstance(part, dict):
                events.extend(self._part(part))
            reason = choice.get("finish_reason")
            if isinstance(reason, str) and reason:
                self.finish_reason = reason
        if isinstance(obj.get("usage"), dict):
            self._usage = obj["usage"]
        if isinstance(obj.get("timings"), dict):
            self._timings = obj["timings"]
        # Any delta counts as "first token": tool-call fragments produce no events until the end.
        if choices and self._first_token_at is None:
            self._first_token_at = time.monotonic()
        return events

    def _part(self, part: dict[str, Any]) -> list[LLMEvent]:
        events: list[LLMEvent] = []
        # llama.cpp and vLLM use reasoning_content; some newer servers use reasoning.
        for key in ("reasoning_content", "reasoning"):
            value = part.get(key)
            if isinstance(value, str) and value:
                events.append(ThinkingDelta(value))
        content = part.get("content")
        if isinstance(content, str) and content:
            events.extend(self._splitter.feed(content))
        for position, raw in enumerate(part.get("tool_calls") or []):
            if not isinstance(raw, dict):
                raise parse_error(self._url, "OpenAI", f"tool call {raw!r}")
            index = raw.get("index", position)
            call = self._calls.setdefault(index if isinstance(index, int) else position, _PartialCall())
            if isinstance(raw.get("id"), str) and raw["id"]:
                call.id = raw["id"]
            fn = raw.get("function")
            if isinstance(fn, dict):
                name = fn.get("name")
                # Most servers send the name once; llama-cpp-python repeats it in every fragment.
                # A fragment equal to the whole name so far is such a repeat, not more of the name.
                if isinstance(name, str) and name != call.name:
                    call.name += name
                args = fn.get("arguments")
                if isinstance(args, str):
                    call.arguments.append(args)
                elif args is not None:  # a few servers send an object instead of a string
                    call.arguments.append(json.dumps(args))
        return events

    def finish(self) -> list[LLMEvent]:
        events: list[LLMEvent] = list(self._splitter.flush())
        calls = (self._calls[i] for i in sorted(self._calls))
        events.extend(ToolCallEvent(c.build()) for c in calls if c.name)
        if self._usage is not None:
            prompt = self._usage.get("prompt_tokens")
            completion = self._usage.get("completion_tokens")
            prompt_n = prompt if isinstance(prompt, int) else 0
            completion_n = completion if isinstance(completion, int) else 0
            events.append(Usage(prompt_n, completion_n, tokens_per_s=self._speed(completion_n)))
            cut = self._client.truncation_for(prompt_n)
            if cut is not None:
                events.append(cut)
        reason = self.finish_reason or "stop"
        if self._calls and reason == "stop":
            reason = "tool_calls"
        events.append(Done(reason))
        return events

    def _speed(self, completion_tokens: int) -> float | None:
        reported = (self._timings or {}).get("predicted_per_second")
        if isinstance(reported, int | float) and reported > 0:
            return float(reported)
        if self._first_token_at is None or completion_tokens <= 1:
            return None
        elapsed = time.monotonic() - self._first_token_at
        # Tokens after the first one, over the time they took: decode speed without prefill.
        return (completion_tokens - 1) / elapsed if elapsed > 0.05 else None


def sse_data(line: str) -> str | None:
    """The payload of a `data:` line; None for comments and other SSE fields."""
    if line.startswith("data:"):
        return line[5:].removeprefix(" ")
    if line.startswith((":", "event:", "id:", "retry:")):
        return None
    # Neither SSE nor blank: maybe a JSON error object written without framing.
    return line
