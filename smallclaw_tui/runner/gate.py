"""One model, one request at a time — and the person at the keyboard goes first.

Background rounds and interactive chat both take the gate before each model request; when it is
released, a waiting interactive request always wins over waiting background ones.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from smallclaw_tui.llm.base import (
    ChatResult,
    JsonSchema,
    LLMEvent,
    ModelClient,
    ModelInfo,
    TextDelta,
    ThinkingDelta,
    ToolCallEvent,
    ToolSpec,
)
from smallclaw_tui.models import ChatMessage


class ModelGate:
    INTERACTIVE = 0
    BACKGROUND = 1

    def __init__(self, capacity: int = 1) -> None:
        self._capacity = capacity
        self._busy = 0
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    @property
    def busy(self) -> int:
        return self._busy

    def waiting(self, priority: int | None = None) -> int:
        return sum(1 for p, _, _ in self._waiters if priority is None or p == priority)

    async def acquire(self, priority: int) -> None:
        if self._busy < self._capacity and not self._waiters:
            self._busy += 1
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (priority, next(self._seq), fut)
        self._waiters.append(entry)
        self._waiters.sort(key=lambda e: (e[0], e[1]))
        try:
            await fut
        except asyncio.CancelledError:
            if entry in self._waiters:
                self._waiters.remove(entry)
            elif fut.done() and not fut.cancelled():
                self.release()  # we were handed the slot as we were cancelled: pass it on
            raise

    def release(self) -> None:
        while self._waiters:
            _, _, fut = self._waiters.pop(0)
            if not fut.done():
                fut.set_result(None)  # the slot passes straight to the waiter
                return
        self._busy -= 1

    @asynccontextmanager
    async def hold(self, priority: int) -> AsyncIterator[None]:
        await self.acquire(priority)
        try:
            yield
        finally:
            self.release()


_WRITTEN = (TextDelta, ThinkingDelta, ToolCallEvent)


class GatedClient:
    """A model client whose every request first takes the gate at a fixed priority.

    `on_tokens`, when given, hears how many tokens the model wrote: as they stream, or all at once
    when a whole reply comes back. Every background request passes here, so this is where a
    running task's progress counts them.
    """

    def __init__(
        self,
        inner: ModelClient,
        gate: ModelGate,
        priority: int,
        *,
        on_tokens: Callable[[int], None] | None = None,
    ) -> None:
        self.inner = inner
        self.gate = gate
        self.priority = priority
        self.on_tokens = on_tokens

    @property
    def base_url(self) -> str:
        return self.inner.base_url

    @property
    def model(self) -> str:
        return self.inner.model

    @property
    def num_ctx(self) -> int:
        return self.inner.num_ctx

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
        async with self.gate.hold(self.priority):
            async for event in self.inner.stream_chat(
                messages,
                tools,
                model=model,
                num_predict=num_predict,
                think=think,
                temperature=temperature,
                seed=seed,
                response_schema=response_schema,
            ):
                if self.on_tokens is not None and isinstance(event, _WRITTEN):
                    self.on_tokens(1)  # a streamed delta is about one token
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
    ) -> ChatResult:
        async with self.gate.hold(self.priority):
            result = await self.inner.chat(
                messages,
                tools,
                model=model,
                num_predict=num_predict,
                think=think,
                temperature=temperature,
                seed=seed,
                response_schema=response_schema,
            )
        if self.on_tokens is not None and result.usage is not None:
            self.on_tokens(result.usage.completion_tokens)
        return result

    async def list_models(self) -> list[str]:
        return await self.inner.list_models()

    async def show_model(self, name: str | None = None) -> ModelInfo:
        return await self.inner.show_model(name)

    async def aclose(self) -> None:
        await self.inner.aclose()
