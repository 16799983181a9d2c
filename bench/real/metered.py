"""A model client that records every request the runner makes: its kind, time and token counts."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bench.real.serverlog import Completion, ServerLog
from smallclaw_tui.agent.budget import TokenEstimator
from smallclaw_tui.llm.base import (
    ChatResult,
    JsonSchema,
    LLMEvent,
    ModelClient,
    ModelInfo,
    ToolCallEvent,
    ToolSpec,
)
from smallclaw_tui.models import ChatMessage, Role
from smallclaw_tui.runner import one_file_plan, planner, verifier, whole_file
from smallclaw_tui.runner.prompts import TASK_SYSTEM


def kind_of(messages: list[ChatMessage]) -> str:
    """step | verify | plan | summary | other, from the system prompt the runner sent."""
    system = messages[0].content if messages else ""
    if verifier.asked_after_worker(m.content for m in messages if m.role == Role.USER):
        return "verify"
    # A step answered as a whole file is a step call too, and the one-word question about a goal
    # with one file stands in for a plan.
    if system in (TASK_SYSTEM, whole_file.SYSTEM):
        return "step"
    if system == verifier.SYSTEM:
        return "verify"
    if system in (planner.SYSTEM, one_file_plan.ASK_SYSTEM):
        return "plan"
    if "summar" in system:
        return "summary"
    return "other"


@dataclass(slots=True)
class Call:
    kind: str
    seconds: float
    estimated_prompt_tokens: int
    native_tool_calls: int
    server: Completion | None  # None when no server log is read (an external server)
    error: str = ""


class MeteredClient:
    """Wraps the real client; the runner sees no difference."""

    def __init__(self, inner: ModelClient, log: ServerLog | None) -> None:
        self.inner = inner
        self.log = log
        self.calls: list[Call] = []
        self._estimator = TokenEstimator()

    @property
    def base_url(self) -> str:
        return self.inner.base_url

    @property
    def model(self) -> str:
        return self.inner.model

    @property
    def num_ctx(self) -> int:
        return self.inner.num_ctx

    def _record(
        self, messages: list[ChatMessage], tools: list[ToolSpec] | None, t0: float, native: int, error: str
    ) -> None:
        taken = self.log.take() if self.log is not None else []
        self.calls.append(
            Call(
                kind=kind_of(messages),
                seconds=time.perf_counter() - t0,
                estimated_prompt_tokens=self._estimator.prompt(messages, tools),
                native_tool_calls=native,
                server=taken[-1] if taken else None,
                error=error,
            )
        )

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
        t0 = time.perf_counter()
        native = 0
        error = ""
        try:
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
                if isinstance(event, ToolCallEvent):
                    native += 1
                yield event
        except Exception as e:
            error = f"{type(e).__name__}: {e}"
            raise
        finally:
            self._record(messages, tools, t0, native, error)

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
        t0 = time.perf_counter()
        error = ""
        result: ChatResult | None = None
        try:
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
            return result
        except Exception as e:
            error = f"{type(e).__name__}: {e}"
            raise
        finally:
            self._record(messages, tools, t0, len(result.tool_calls) if result else 0, error)

    async def list_models(self) -> list[str]:
        return await self.inner.list_models()

    async def show_model(self, name: str | None = None) -> ModelInfo:
        return await self.inner.show_model(name)

    async def aclose(self) -> None:
        await self.inner.aclose()
