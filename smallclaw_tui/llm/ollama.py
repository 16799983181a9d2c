"""Ollama's native API (`/api/chat`): the only Ollama endpoint that honours `num_ctx`.

Streaming replies are NDJSON, one object per line, the last one with ``"done": true`` and the
token counts. A body that ends before that line was cut mid-reply and is a
:class:`TransportError`, never a short answer.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

import httpx

from smallclaw_tui.config import LLMSettings
from smallclaw_tui.llm._http import HttpClientBase
from smallclaw_tui.llm.base import (
    ChatResult,
    Done,
    JsonSchema,
    LLMEvent,
    ModelError,
    ModelInfo,
    ThinkingDelta,
    ToolCallEvent,
    ToolSpec,
    TransportError,
    Usage,
)
from smallclaw_tui.llm.errors import parse_error, server_error_text, stream_cut
from smallclaw_tui.llm.stream import ThinkTagSplitter, apply_event, parse_tool_arguments
from smallclaw_tui.models import ChatMessage, Role, ToolCall

CHAT_PATH = "/api/chat"


def to_ollama_messages(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    """Ollama's message shape. Thinking is never sent back: it would be read as answer text."""
    out: list[dict[str, Any]] = []
    names_by_id: dict[str, str] = {}
    for msg in messages:
        item: dict[str, Any] = {"role": msg.role.value, "content": msg.content}
        if msg.role == Role.ASSISTANT and msg.tool_calls:
            item["tool_calls"] = [
                {"function": {"name": c.name, "arguments": c.arguments}} for c in msg.tool_calls
            ]
            names_by_id.update((c.id, c.name) for c in msg.tool_calls)
        elif msg.role == Role.TOOL:
            # Ollama matches a result to its call by tool name, not by id.
            name = msg.name or names_by_id.get(msg.tool_call_id or "")
            if name:
                item["tool_name"] = name
        out.append(item)
    return out


class _ReplyReader:
    """Turns Ollama chunks (streamed or the one non-streamed body) into events."""

    def __init__(self, client: OllamaClient, url: str) -> None:
        self._client = client
        self._url = url
        self._splitter = ThinkTagSplitter()
        self._tool_calls = 0
        self.done = False

    def feed(self, obj: dict[str, Any]) -> list[LLMEvent]:
        if "error" in obj:
            # Ollama reports failures after the 200 header inside the stream (runner crashed,
            # out of memory): the server side broke, so a retry may succeed.
            raise TransportError(f"{self._url}: server error mid-reply: {server_error_text(json.dumps(obj))}")
        message = obj.get("message")
        if message is None and "done" not in obj:
            raise parse_error(self._url, "Ollama", str(obj))
        events: list[LLMEvent] = []
        if isinstance(message, dict):
            thinking = message.get("thinking")
            if isinstance(thinking, str) and thinking:
                events.append(ThinkingDelta(thinking))
            content = message.get("content")
            if isinstance(content, str) and content:
                events.extend(self._splitter.feed(content))
            for raw in message.get("tool_calls") or []:
                events.append(ToolCallEvent(self._tool_call(raw)))
        elif message is not None:
            raise parse_error(self._url, "Ollama", str(obj))
        if obj.get("done") is True:
            self.done = True
            events.extend(self._splitter.flush())
            events.extend(self._finish(obj))
        return events

    def _tool_call(self, raw: Any) -> ToolCall:
        fn = raw.get("function") if isinstance(raw, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise parse_error(self._url, "Ollama", f"tool call {raw!r}")
        self._tool_calls += 1
        args = parse_tool_arguments(fn.get("arguments"))
        call_id = raw.get("id")
        if isinstance(call_id, str) and call_id:
            return ToolCall(id=call_id, name=fn["name"], arguments=args)
        return ToolCall(name=fn["name"], arguments=args)

    def _finish(self, obj: dict[str, Any]) -> list[LLMEvent]:
        events: list[LLMEvent] = []
        prompt = obj.get("prompt_eval_count")
        completion = obj.get("eval_count")
        if isinstance(prompt, int) or isinstance(completion, int):
            prompt_n = prompt if isinstance(prompt, int) else 0
            completion_n = completion if isinstance(completion, int) else 0
            eval_ns = obj.get("eval_duration")
            load_ns = obj.get("load_duration")
            tps = completion_n / (eval_ns / 1e9) if isinstance(eval_ns, int) and eval_ns > 0 else None
            load_s = load_ns / 1e9 if isinstance(load_ns, int) else None
            events.append(Usage(prompt_n, completion_n, tokens_per_s=tps, load_s=load_s))
            cut = self._client.truncation_for(prompt_n)
            if cut is not None:
                events.append(cut)
        reason = obj.get("done_reason")
        reason = reason if isinstance(reason, str) and reason else "stop"
        # Ollama says "stop" after tool calls; callers branch on "tool_calls" like with OpenAI.
        if self._tool_calls and reason == "stop":
            reason = "tool_calls"
        events.append(Done(reason))
        return events


class OllamaClient(HttpClientBase):
    """:class:`ModelClient` for Ollama's native API."""

    api = "ollama"
    protocol_name = "Ollama"

    def __init__(self, settings: LLMSettings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(settings, transport=transport)
        # Models that answered 400 "does not support thinking": `think` is left out for them.
        self._no_think: set[str] = set()

    @staticmethod
    def _normalize_base_url(url: str) -> str:
        url = url.strip().rstrip("/")
        return url.removesuffix("/api")

    def build_request(
        self,
        messages: list[ChatMessage],
        tools: list[ToolSpec] | None = None,
        *,
        model: str | None = None,
        num_predict: int | None = None,
        think: bool | None = None,
        temperature: float | None = None,
        seed: int | None = None,
        response_schema: JsonSchema | None = None,
        stream: bool = True,
    ) -> dict[str, Any]:
        """The exact JSON body sent to `/api/chat`."""
        name = model or self.model
        body: dict[str, Any] = {
            "model": name,
            "messages": to_ollama_messages(messages),
            "stream": stream,
            # Ollama's default context is small and it truncates silently: always say it.
            "options": {
                "num_ctx": self.num_ctx,
                "num_predict": num_predict if num_predict is not None else self.settings.num_predict,
                "temperature": self.settings.temperature if temperature is None else temperature,
            },
        }
        if seed is not None:
            body["options"]["seed"] = seed
        if name not in self._no_think:
            body["think"] = self.settings.think if think is None else think
        if tools:
            body["tools"] = tools
        if response_schema is not None:
            body["format"] = response_schema
        return body

    async def _open(self, body: dict[str, Any], *, stream: bool) -> httpx.Response:
        model = str(body["model"])
        try:
            return await self._send("POST", CHAT_PATH, body=body, model=model, stream=stream)
        except ModelError as e:
            if not (body.get("think") and e.status == 400 and "thinking" in str(e).lower()):
                raise
            self._no_think.add(model)
            retry = {k: v for k, v in body.items() if k != "think"}
            return await self._send("POST", CHAT_PATH, body=retry, model=model, stream=stream)

    async def stream_chat(
        self,
        messages: list[ChatMessage],
        tools: list[ToolSpec] | None = None,
        *,
        model: str | None = None,
        num_predict: int | None = None,
        think: bool | None = None,
        temperature: float | None = None,
        seed: int | None = None,
        response_schema: JsonSchema | None = None,
    ) -> AsyncGenerator[LLMEvent, None]:
        body = self.build_request(
            messages,
            tools,
            model=model,
            num_predict=num_predict,
            think=think,
            temperature=temperature,
            seed=seed,
            response_schema=response_schema,
            stream=True,
        )
        response = await self._open(body, stream=True)
        reader = _ReplyReader(self, self.url(CHAT_PATH))
        async with aclosing(self._lines(response, CHAT_PATH)) as lines:
            async for line in lines:
                for event in reader.feed(self._decode(line, CHAT_PATH)):
                    yield event
                if reader.done:
                    return
        raise stream_cut(self.url(CHAT_PATH))

    async def chat(
        self,
        messages: list[ChatMessage],
        tools: list[ToolSpec] | None = None,
        *,
        model: str | None = None,
        num_predict: int | None = None,
        think: bool | None = None,
        temperature: float | None = None,
        seed: int | None = None,
        response_schema: JsonSchema | None = None,
        stream: bool = True,
    ) -> ChatResult:
        """The whole reply. Streams by default: the read timeout then bounds the silence between
        tokens rather than the whole generation, which a slow box can take minutes over."""
        result = ChatResult()
        if stream:
            events = self.stream_chat(
                messages,
                tools,
                model=model,
                num_predict=num_predict,
                think=think,
                temperature=temperature,
                seed=seed,
                response_schema=response_schema,
            )
            async with aclosing(events) as it:
                async for event in it:
                    apply_event(result, event)
            return result
        body = self.build_request(
            messages,
            tools,
            model=model,
            num_predict=num_predict,
            think=think,
            temperature=temperature,
            seed=seed,
            response_schema=response_schema,
            stream=False,
        )
        response = await self._open(body, stream=False)
        reader = _ReplyReader(self, self.url(CHAT_PATH))
        for event in reader.feed(self._decode(response.text, CHAT_PATH)):
            apply_event(result, event)
        if not reader.done:
            raise stream_cut(self.url(CHAT_PATH))
        return result

    async def list_models(self) -> list[str]:
        data = await self._json("GET", "/api/tags")
        models = data.get("models") if isinstance(data, dict) else None
        if not isinstance(models, list):
            raise parse_error(self.url("/api/tags"), "Ollama", str(data))
        names: list[str] = []
        for m in models:
            if isinstance(m, dict):
                name = m.get("name") or m.get("model")
                if isinstance(name, str):
                    names.append(name)
        return names

    async def show_model(self, name: str | None = None) -> ModelInfo:
        model = name or self.model
        data = await self._json("POST", "/api/show", body={"model": model}, model=model)
        if not isinstance(data, dict):
            raise parse_error(self.url("/api/show"), "Ollama", str(data))
        raw_details = data.get("details")
        details: dict[str, Any] = raw_details if isinstance(raw_details, dict) else {}
        caps = data.get("capabilities")
        return ModelInfo(
            name=model,
            context_length=_context_length(data.get("model_info")),
            parameter_size=_str_or_none(details.get("parameter_size")),
            quantization=_str_or_none(details.get("quantization_level")),
            capabilities=tuple(c for c in caps if isinstance(c, str)) if isinstance(caps, list) else (),
        )

    async def version(self) -> str | None:
        """Ollama's version string, or None when the server does not say."""
        data = await self._json("GET", "/api/version")
        value = data.get("version") if isinstance(data, dict) else None
        return value if isinstance(value, str) else None


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _context_length(model_info: Any) -> int | None:
    if not isinstance(model_info, dict):
        return None
    arch = model_info.get("general.architecture")
    preferred = model_info.get(f"{arch}.context_length") if isinstance(arch, str) else None
    if isinstance(preferred, int):
        return preferred
    for key, value in model_info.items():
        if key.endswith(".context_length") and isinstance(value, int):
            return value
    return None
