"""The demo's model client: answers from a script, without a server (screenshots, snapshot tests)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from smallclaw_tui.llm.base import (
    ChatResult,
    JsonSchema,
    LLMEvent,
    ModelInfo,
    TextDelta,
    ThinkingDelta,
    ToolSpec,
    Usage,
)
from smallclaw_tui.models import ChatMessage

DEMO_MODEL = "qwen3:4b"


class DemoClient:
    """A model client that answers from a script without a server.

    `stream_chat` sends `chunks` (thinking first) and then, with `hang`, waits forever: the
    reply stays frozen mid-stream for a screenshot.
    """

    base_url = "http://demo.invalid"
    model = DEMO_MODEL
    num_ctx = 8192

    def __init__(
        self, chunks: Sequence[str] = ("ok",), thinking: Sequence[str] = (), *, hang: bool = False
    ) -> None:
        self.chunks = list(chunks)
        self.thinking = list(thinking)
        self.hang = hang
        self.streamed = asyncio.Event()

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
    ) -> AsyncIterator[LLMEvent]:
        for text in self.thinking:
            yield ThinkingDelta(text)
        for text in self.chunks:
            yield TextDelta(text)
        self.streamed.set()
        if self.hang:
            await asyncio.Event().wait()
        yield Usage(prompt_tokens=1800, completion_tokens=40, tokens_per_s=38.0)

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
    ) -> ChatResult:
        return ChatResult(text="".join(self.chunks))

    async def list_models(self) -> list[str]:
        return [DEMO_MODEL]

    async def show_model(self, name: str | None = None) -> ModelInfo:
        return ModelInfo(name=name or DEMO_MODEL, context_length=40960)

    async def aclose(self) -> None:
        return None
