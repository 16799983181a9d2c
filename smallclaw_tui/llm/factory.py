"""Pick the client for `settings.api`; the one place that knows both classes."""

from __future__ import annotations

import httpx

from smallclaw_tui.config import LLMSettings
from smallclaw_tui.llm.base import ModelClient
from smallclaw_tui.llm.ollama import OllamaClient
from smallclaw_tui.llm.openai import OpenAIClient


def make_client(settings: LLMSettings, *, transport: httpx.AsyncBaseTransport | None = None) -> ModelClient:
    if settings.api == "openai":
        return OpenAIClient(settings, transport=transport)
    return OllamaClient(settings, transport=transport)
