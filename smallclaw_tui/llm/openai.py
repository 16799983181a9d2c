"""OpenAI-compatible chat completions (`/v1/chat/completions`): llama.cpp server, LM Studio, vLLM.

Streams are SSE (``data: {json}`` lines, ending with ``data: [DONE]``). Tool calls arrive as
deltas keyed by index, their arguments as string fragments; they are assembled and emitted once,
when the reply finishes. Arguments that are not a JSON object are passed on as
``{"__raw__": text}`` (see :data:`~smallclaw_tui.llm.stream.RAW_ARGUMENTS_KEY`) so the agent layer
can repair them or ask again; a small model's broken JSON is a reply, not a transport failure.

`num_ctx` cannot be set through this API (the server fixes it at start); ``settings.num_ctx`` is
still used to detect truncation from ``usage.prompt_tokens``.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

from smallclaw_tui.llm._http import HttpClientBase
from smallclaw_tui.llm.base import (
    ChatResult,
    Done,
    LLMError,
    LLMEvent,
    ModelError,
    ModelInfo,
    ResponseParseError,
    ThinkingDelta,
    ToolCallEvent,
    ToolSpec,
    TransportError,
    Usage,
)
from smallclaw_tui.llm.errors import parse_error, server_error_text, status_error, stream_cut
from smallclaw_tui.llm.stream import RAW_ARGUMENTS_KEY, ThinkTagSplitter, apply_event, parse_tool_arguments
from smallclaw_tui.models import ChatMessage, Role, ToolCall

CHAT_PATH = "/v1/chat/completions"
MODELS_PATH = "/v1/models"
PROPS_PATH = "/props"  # llama.cpp server only


def _arguments_text(call: ToolCall) -> str:
    raw = call.arguments.get(RAW_ARGUMENTS_KEY)
    if len(call.arguments) == 1 and isinstance(raw, str):
        return raw  # send back what the model actually wrote
    return json.dumps(call.arguments, ensure_ascii=False)


def to_openai_messages(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    """OpenAI's message shape. Thinking is never sent back: it would be read as answer text."""
    out: list[dict[str, Any]] = []
    ids_by_name: dict[str, str] = {}
    for msg in messages:
        item: dict[str, Any] = {"role": msg.role.value, "content": msg.content}
        if msg.role == Role.ASSISTANT and msg.tool_calls:
            item["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": _arguments_text(c)},
                }
                for c in msg.tool_calls
            ]
            ids_by_name.update((c.name, c.id) for c in msg.tool_calls)
        elif msg.role == Role.TOOL:
            item["tool_call_id"] = msg.tool_call_id or ids_by_name.get(msg.name or "", "call_0")
        out.append(item)
    return out


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


class _ReplyReader:
    """Folds completion chunks (or the one non-streamed body) into events."""

    def __init__(self, client: OpenAIClient, url: str) -> None:
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


class OpenAIClient(HttpClientBase):
    """:class:`ModelClient` for OpenAI-compatible servers."""

    api = "openai"
    protocol_name = "OpenAI"

    @staticmethod
    def _normalize_base_url(url: str) -> str:
        url = url.strip().rstrip("/")
        return url.removesuffix("/v1")

    def build_request(
        self,
        messages: list[ChatMessage],
        tools: list[ToolSpec] | None = None,
        *,
        model: str | None = None,
        num_predict: int | None = None,
        think: bool | None = None,
        stream: bool = True,
    ) -> dict[str, Any]:
        """The exact JSON body sent to `/v1/chat/completions`."""
        body: dict[str, Any] = {
            "model": model or self.model,
            "messages": to_openai_messages(messages),
            "stream": stream,
            "max_tokens": num_predict if num_predict is not None else self.settings.num_predict,
            "temperature": self.settings.temperature,
        }
        if stream:
            body["stream_options"] = {"include_usage": True}
        if tools:
            body["tools"] = tools
        if (self.settings.think if think is None else think) is False:
            # Understood by qwen3 templates on llama.cpp and vLLM; only sent to turn thinking off,
            # so servers that reject unknown fields still work with the default.
            body["chat_template_kwargs"] = {"enable_thinking": False}
        return body

    async def stream_chat(
        self,
        messages: list[ChatMessage],
        tools: list[ToolSpec] | None = None,
        *,
        model: str | None = None,
        num_predict: int | None = None,
        think: bool | None = None,
    ) -> AsyncGenerator[LLMEvent, None]:
        body = self.build_request(messages, tools, model=model, num_predict=num_predict, think=think)
        url = self.url(CHAT_PATH)
        response = await self._send("POST", CHAT_PATH, body=body, model=body["model"], stream=True)
        reader = _ReplyReader(self, url)
        if response.headers.get("content-type", "").startswith("application/json"):
            # Some servers ignore "stream" and answer with one JSON body.
            with self._wire(CHAT_PATH):
                try:
                    text = (await response.aread()).decode("utf-8", "replace")
                finally:
                    await response.aclose()
            for event in reader.feed(self._decode(text, CHAT_PATH)):
                yield event
            for event in reader.finish():
                yield event
            return
        async with aclosing(self._lines(response, CHAT_PATH)) as lines:
            async for line in lines:
                data = _sse_data(line)
                if data is None:
                    continue
                if data.strip() == "[DONE]":
                    for event in reader.finish():
                        yield event
                    return
                for event in reader.feed(self._decode(data, CHAT_PATH)):
                    yield event
        if reader.finish_reason is None:
            raise stream_cut(url)
        # Finished but no [DONE]: a few servers omit it; the reply itself is complete.
        for event in reader.finish():
            yield event

    async def chat(
        self,
        messages: list[ChatMessage],
        tools: list[ToolSpec] | None = None,
        *,
        model: str | None = None,
        num_predict: int | None = None,
        think: bool | None = None,
        stream: bool = True,
    ) -> ChatResult:
        """The whole reply; streams by default so the read timeout bounds silence, not length."""
        result = ChatResult()
        if stream:
            events = self.stream_chat(messages, tools, model=model, num_predict=num_predict, think=think)
            async with aclosing(events) as it:
                async for event in it:
                    apply_event(result, event)
            return result
        body = self.build_request(
            messages, tools, model=model, num_predict=num_predict, think=think, stream=False
        )
        data = await self._json("POST", CHAT_PATH, body=body, model=body["model"])
        if not isinstance(data, dict):
            raise parse_error(self.url(CHAT_PATH), "OpenAI", str(data))
        reader = _ReplyReader(self, self.url(CHAT_PATH))
        for event in [*reader.feed(data), *reader.finish()]:
            apply_event(result, event)
        return result

    async def _model_entries(self) -> list[dict[str, Any]]:
        data = await self._json("GET", MODELS_PATH)
        entries = data.get("data") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise parse_error(self.url(MODELS_PATH), "OpenAI", str(data))
        return [e for e in entries if isinstance(e, dict) and isinstance(e.get("id"), str)]

    async def list_models(self) -> list[str]:
        return [e["id"] for e in await self._model_entries()]

    async def show_model(self, name: str | None = None) -> ModelInfo:
        """What the server tells; fields it does not report stay None."""
        model = name or self.model
        entries = await self._model_entries()
        match = next((e for e in entries if e["id"] == model), None)
        if match is None and len(entries) == 1:
            match = entries[0]  # llama.cpp serves one model whatever name is asked for
        context: int | None = None
        params: str | None = None
        if match is not None:
            raw_meta = match.get("meta")
            meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
            for value in (match.get("max_model_len"), match.get("context_length"), meta.get("n_ctx_train")):
                if isinstance(value, int) and value > 0:
                    context = value
                    break
            n_params = meta.get("n_params")
            if isinstance(n_params, int) and n_params > 0:
                params = f"{n_params / 1e9:.1f}B"
        runtime_ctx = await self._props_n_ctx()
        return ModelInfo(name=model, context_length=runtime_ctx or context, parameter_size=params)

    async def _props_n_ctx(self) -> int | None:
        """llama.cpp's runtime context size (what the server really allocated), if it says."""
        try:
            props = await self._json("GET", PROPS_PATH)
        except (ModelError, ResponseParseError):
            return None  # not llama.cpp
        if not isinstance(props, dict):
            return None
        settings = props.get("default_generation_settings")
        for value in (settings.get("n_ctx") if isinstance(settings, dict) else None, props.get("n_ctx")):
            if isinstance(value, int) and value > 0:
                return value
        return None


def _sse_data(line: str) -> str | None:
    """The payload of a `data:` line; None for comments and other SSE fields."""
    if line.startswith("data:"):
        return line[5:].removeprefix(" ")
    if line.startswith((":", "event:", "id:", "retry:")):
        return None
    # Neither SSE nor blank: maybe a JSON error object written without framing.
    return line
