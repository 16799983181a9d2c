"""The one interface every model client speaks: a stream of typed events.

Callers never see the wire format; they see :data:`LLMEvent` values and :class:`LLMError`
subclasses that say whether retrying can help.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from smallclaw_tui.models import ChatMessage, ToolCall


ToolSpec = dict[str, Any]
"""A tool in OpenAI function format: {"type": "function", "function": {name, description, parameters}}."""

JsonSchema = dict[str, Any]
"""A JSON schema the reply must match (Ollama `format`, OpenAI `response_format`)."""


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ThinkingDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ToolCallEvent:
    call: ToolCall


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int
    # Decode speed when the server reports it (Ollama eval_duration) or we can time it.
    tokens_per_s: float | None = None
    # Seconds the server spent loading the model (Ollama load_duration), when reported.
    load_s: float | None = None


@dataclass(frozen=True, slots=True)
class ContextTruncated:
    """The server counted a prompt at or near num_ctx: the model likely did not see all of it."""

    prompt_tokens: int
    num_ctx: int


@dataclass(frozen=True, slots=True)
class Done:
    finish_reason: str = "stop"


LLMEvent = TextDelta | ThinkingDelta | ToolCallEvent | Usage | ContextTruncated | Done


@dataclass(slots=True)
class ChatResult:
    """A whole reply, collected from the stream."""

    text: str = ""
    thinking: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage | None = None
    truncated: ContextTruncated | None = None
    finish_reason: str = "stop"


@dataclass(frozen=True, slots=True)
class ModelInfo:
    name: str
    context_length: int | None = None
    parameter_size: str | None = None
    quantization: str | None = None
    capabilities: tuple[str, ...] = ()


class LLMError(Exception):
    """Base of every client error. `retryable` says whether trying again can help."""

    retryable: bool = False

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TransportError(LLMError):
    """Refused, timed out, reset, cut mid-stream, or a 5xx: the server may come back."""

    retryable = True


class ModelError(LLMError):
    """The server answered but refused the request (404 model not found, 400 bad request)."""


class ResponseParseError(LLMError):
    """The server sent something that is not the protocol."""


class ModelClient(Protocol):
    """Sampling arguments left None keep the settings' value (temperature) or the server's
    default (seed). `response_schema` constrains the reply text to JSON valid under it; servers
    ignore `tools` when it is set, so callers send one or the other."""

    @property
    def base_url(self) -> str: ...

    @property
    def model(self) -> str: ...

    @property
    def num_ctx(self) -> int: ...

    def stream_chat(
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
    ) -> AsyncIterator[LLMEvent]: ...

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
    ) -> ChatResult: ...

    async def list_models(self) -> list[str]: ...

    async def show_model(self, name: str | None = None) -> ModelInfo: ...

    async def aclose(self) -> None: ...
