"""OpenAI-compatible chat completions (`/v1/chat/completions`): llama.cpp server, LM Studio, vLLM.

Streams are SSE (``data: {json}`` lines, ending with ``data: [DONE]``), read by
:mod:`~smallclaw_tui.llm.openai_reply`. Arguments that are not a JSON object are passed on as
``{"__raw__": text}`` (see :data:`~smallclaw_tui.llm.stream.RAW_ARGUMENTS_KEY`) so the agent layer
can repair them or ask again; a small model's broken JSON is a reply, not a transport failure.

`num_ctx` cannot be set through this API (the server fixes it at start); ``settings.num_ctx`` is
still used to detect truncation from ``usage.prompt_tokens``.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

import httpx

from smallclaw_tui.config import LLMSettings
from smallclaw_tui.llm._http import HttpClientBase
from smallclaw_tui.llm.base import (
    ChatResult,
    JsonSchema,
    LLMEvent,
    ModelError,
    ModelInfo,
    ResponseParseError,
    ToolSpec,
)
from smallclaw_tui.llm.errors import parse_error, stream_cut
from smallclaw_tui.llm.openai_reply import ReplyReader, sse_data
from smallclaw_tui.llm.stream import RAW_ARGUMENTS_KEY, apply_event
from smallclaw_tui.models import ChatMessage, Role, ToolCall

CHAT_PATH = "/v1/chat/completions"
MODELS_PATH = "/v1/models"
PROPS_PATH = "/props"  # llama.cpp server only


def schema_response_format(schema: JsonSchema, *, legacy: bool = False) -> dict[str, Any]:
    """`response_format` for a schema: OpenAI's shape (also llama-server's, vLLM's, LM Studio's),
    or with `legacy` the older ``json_object`` + ``schema`` shape, the only one llama-cpp-python's
    server accepts (it answers 422 to the other)."""
    if legacy:
        return {"type": "json_object", "schema": schema}
    title = schema.get("title")
    # OpenAI requires a name of letters, digits, _ and -.
    name = re.sub(r"[^A-Za-z0-9_-]", "_", title)[:64] if isinstance(title, str) and title else "reply"
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}


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


class OpenAIClient(HttpClientBase):
    """:class:`ModelClient` for OpenAI-compatible servers."""

    api = "openai"
    protocol_name = "OpenAI"

    def __init__(self, settings: LLMSettings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(settings, transport=transport)
        # Models whose server refused the json_schema shape of response_format but took the
        # json_object + schema one (llama-cpp-python).
        self._schema_as_object: set[str] = set()

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
        temperature: float | None = None,
        seed: int | None = None,
        response_schema: JsonSchema | None = None,
        stream: bool = True,
    ) -> dict[str, Any]:
        """The exact JSON body sent to `/v1/chat/completions`."""
        body: dict[str, Any] = {
            "model": model or self.model,
            "messages": to_openai_messages(messages),
            "stream": stream,
            "max_tokens": num_predict if num_predict is not None else self.settings.num_predict,
            "temperature": self.settings.temperature if temperature is None else temperature,
        }
        if seed is not None:
            body["seed"] = seed
        if stream:
            body["stream_options"] = {"include_usage": True}
        if tools:
            body["tools"] = tools
        if response_schema is not None:
            legacy = body["model"] in self._schema_as_object
            body["response_format"] = schema_response_format(response_schema, legacy=legacy)
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
        )
        url = self.url(CHAT_PATH)
        response = await self._open(body, stream=True)
        reader = ReplyReader(self, url)
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
                data = sse_data(line)
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
        temperature: float | None = None,
        seed: int | None = None,
        response_schema: JsonSchema | None = None,
        stream: bool = True,
    ) -> ChatResult:
        """The whole reply; streams by default so the read timeout bounds silence, not length."""
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
        try:
            data = response.json()
        except ValueError:
            raise parse_error(self.url(CHAT_PATH), "OpenAI", response.text) from None
        if not isinstance(data, dict):
            raise parse_error(self.url(CHAT_PATH), "OpenAI", str(data))
        reader = ReplyReader(self, self.url(CHAT_PATH))
        for event in [*reader.feed(data), *reader.finish()]:
            apply_event(result, event)
        return result

    async def _open(self, body: dict[str, Any], *, stream: bool) -> httpx.Response:
        model = str(body["model"])
        try:
            return await self._send("POST", CHAT_PATH, body=body, model=model, stream=stream)
        except ModelError as e:
            fmt = body.get("response_format")
            if not (isinstance(fmt, dict) and fmt.get("type") == "json_schema" and e.status in (400, 422)):
                raise
            schema = fmt["json_schema"]["schema"]
            retry = {**body, "response_format": schema_response_format(schema, legacy=True)}
            try:
                response = await self._send("POST", CHAT_PATH, body=retry, model=model, stream=stream)
            except ModelError:
                raise e from None  # the refusal was about something else: report the first answer
            self._schema_as_object.add(model)
            return response

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
