"""The fake server's replies as wire frames: Ollama NDJSON / one body, OpenAI SSE / one body."""

from __future__ import annotations

import json
import math
from typing import Any

from smallclaw_tui.testing.fake_script import ChatRequest, FakeToolCall, Reply


def now_iso() -> str:
    return "2025-01-01T00:00:00Z"


def _split(text: str, reply: Reply) -> list[str]:
    if not text:
        return []
    size = math.ceil(len(text) / reply.chunk_count) if reply.chunk_count else max(1, reply.chunk_size)
    return [text[i : i + size] for i in range(0, len(text), size)]


def args_text(call: FakeToolCall) -> str:
    return call.arguments if isinstance(call.arguments, str) else json.dumps(call.arguments)


def _estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4)


class _Frames:
    def __init__(self, request: ChatRequest, reply: Reply) -> None:
        self.request = request
        self.reply = reply
        self.prompt_tokens = (
            reply.prompt_eval_count
            if reply.prompt_eval_count is not None
            else _estimate_tokens(json.dumps(request.messages) + json.dumps(request.tools))
        )
        produced = reply.text + reply.thinking + "".join(args_text(c) for c in reply.tool_calls)
        self.completion_tokens = (
            reply.eval_count if reply.eval_count is not None else _estimate_tokens(produced)
        )

    @property
    def content(self) -> str:
        if self.reply.think_tags and self.reply.thinking:
            return f"<think>{self.reply.thinking}</think>\n\n{self.reply.text}"
        return self.reply.text

    @property
    def separate_thinking(self) -> str:
        return "" if self.reply.think_tags else self.reply.thinking


class OllamaFrames(_Frames):
    def _chunk(self, message: dict[str, Any], **extra: Any) -> str:
        obj = {"model": self.request.model, "created_at": now_iso(), "message": message, **extra}
        return json.dumps(obj) + "\n"

    def _tool_calls(self) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = []
        for i, c in enumerate(self.reply.tool_calls):
            call: dict[str, Any] = {"function": {"index": i, "name": c.name, "arguments": c.arguments}}
            if c.id:
                call["id"] = c.id
            calls.append(call)
        return calls

    def _final_fields(self) -> dict[str, Any]:
        eval_ns = int(self.completion_tokens / max(self.reply.tokens_per_s, 1e-6) * 1e9)
        load_ns = int(self.reply.load_s * 1e9)
        return {
            "done": True,
            "done_reason": self.reply.done_reason or "stop",
            "total_duration": load_ns + eval_ns,
            "load_duration": load_ns,
            "prompt_eval_count": self.prompt_tokens,
            "prompt_eval_duration": 1_000_000,
            "eval_count": self.completion_tokens,
            "eval_duration": eval_ns,
        }

    def stream(self) -> list[str]:
        frames = [
            self._chunk({"role": "assistant", "content": "", "thinking": t}, done=False)
            for t in _split(self.separate_thinking, self.reply)
        ]
        frames += [
            self._chunk({"role": "assistant", "content": t}, done=False)
            for t in _split(self.content, self.reply)
        ]
        if self.reply.tool_calls:
            frames.append(
                self._chunk(
                    {"role": "assistant", "content": "", "tool_calls": self._tool_calls()}, done=False
                )
            )
        if self.reply.error_mid_stream is not None:
            frames.append(json.dumps({"error": self.reply.error_mid_stream}) + "\n")
            return frames
        frames.append(self._chunk({"role": "assistant", "content": ""}, **self._final_fields()))
        return frames

    def whole(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.separate_thinking:
            message["thinking"] = self.separate_thinking
        if self.reply.tool_calls:
            message["tool_calls"] = self._tool_calls()
        return {
            "model": self.request.model,
            "created_at": now_iso(),
            "message": message,
            **self._final_fields(),
        }


class OpenAIFrames(_Frames):
    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> str:
        obj = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": self.request.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
        return f"data: {json.dumps(obj)}\n\n"

    def _call_id(self, i: int, call: FakeToolCall) -> str:
        return call.id or f"call_fake_{self.request.index}_{i}"

    def _finish_reason(self) -> str:
        return self.reply.done_reason or ("tool_calls" if self.reply.tool_calls else "stop")

    def _usage(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }

    def _timings(self) -> dict[str, Any]:
        # llama.cpp's extension; the client prefers it over timing the stream itself.
        return {"predicted_per_second": self.reply.tokens_per_s, "prompt_n": self.prompt_tokens}

    def stream(self) -> list[str]:
        frames = [self._chunk({"reasoning_content": t}) for t in _split(self.separate_thinking, self.reply)]
        frames += [self._chunk({"content": t}) for t in _split(self.content, self.reply)]
        for i, call in enumerate(self.reply.tool_calls):
            head = {
                "index": i,
                "id": self._call_id(i, call),
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            frames.append(self._chunk({"tool_calls": [head]}))
            for frag in _split(args_text(call), self.reply):
                part: dict[str, Any] = {"index": i, "function": {"arguments": frag}}
                if self.reply.repeat_tool_head:
                    part = {**head, "function": {"name": call.name, "arguments": frag}}
                frames.append(self._chunk({"tool_calls": [part]}))
        if self.reply.error_mid_stream is not None:
            err = {"error": {"code": 500, "message": self.reply.error_mid_stream, "type": "server_error"}}
            frames.append(f"data: {json.dumps(err)}\n\n")
            return frames
        frames.append(self._chunk({}, self._finish_reason()))
        stream_options = self.request.body.get("stream_options")
        if isinstance(stream_options, dict) and stream_options.get("include_usage"):
            usage = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": self.request.model,
                "choices": [],
                "usage": self._usage(),
                "timings": self._timings(),
            }
            frames.append(f"data: {json.dumps(usage)}\n\n")
        frames.append("data: [DONE]\n\n")
        return frames

    def whole(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": self.content or None}
        if self.separate_thinking:
            message["reasoning_content"] = self.separate_thinking
        if self.reply.tool_calls:
            message["tool_calls"] = [
                {
                    "id": self._call_id(i, c),
                    "type": "function",
                    "function": {"name": c.name, "arguments": args_text(c)},
                }
                for i, c in enumerate(self.reply.tool_calls)
            ]
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 0,
            "model": self.request.model,
            "choices": [{"index": 0, "message": message, "finish_reason": self._finish_reason()}],
            "usage": self._usage(),
            "timings": self._timings(),
        }
