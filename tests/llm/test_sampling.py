"""Sampling arguments and the reply schema, as both clients put them on the wire."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from smallclaw_tui.agent.session import ChatSession
from smallclaw_tui.config import AgentSettings, LLMSettings, ToolSettings
from smallclaw_tui.llm.base import ModelClient
from smallclaw_tui.llm.factory import make_client
from smallclaw_tui.models import ChatMessage, Role
from smallclaw_tui.testing import FakeModelServer, Reply, ScriptedHandler
from smallclaw_tui.tools import ToolContext, default_registry

USER = [ChatMessage(role=Role.USER, content="hi")]
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"answer": {"type": "string"}},
    "required": ["answer"],
    "additionalProperties": False,
}


@asynccontextmanager
async def opened(settings: LLMSettings) -> AsyncIterator[ModelClient]:
    client = make_client(settings)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def srv() -> Iterator[FakeModelServer]:
    with FakeModelServer(ScriptedHandler(['{"answer": "x"}'] * 4)) as server:
        yield server


async def test_ollama_sampling_goes_in_options(srv: FakeModelServer) -> None:
    async with opened(srv.llm_settings("ollama", temperature=0.2)) as client:
        await client.chat(USER)
        await client.chat(USER, temperature=0.9, seed=7, stream=False)
    default, chosen = (r.body for r in srv.chat_requests)
    assert default["options"]["temperature"] == 0.2 and "seed" not in default["options"]
    assert chosen["options"]["temperature"] == 0.9 and chosen["options"]["seed"] == 7


async def test_openai_sampling_is_top_level(srv: FakeModelServer) -> None:
    async with opened(srv.llm_settings("openai", temperature=0.2)) as client:
        await client.chat(USER)
        await client.chat(USER, temperature=0.0, seed=3, stream=False)
    default, chosen = (r.body for r in srv.chat_requests)
    assert default["temperature"] == 0.2 and "seed" not in default
    assert chosen["temperature"] == 0.0 and chosen["seed"] == 3


async def test_ollama_schema_is_format(srv: FakeModelServer) -> None:
    async with opened(srv.llm_settings("ollama")) as client:
        result = await client.chat(USER, response_schema=SCHEMA)
        await client.chat(USER)
    constrained, free = (r.body for r in srv.chat_requests)
    assert constrained["format"] == SCHEMA and "format" not in free
    assert result.text == '{"answer": "x"}'


async def test_openai_schema_is_response_format(srv: FakeModelServer) -> None:
    async with opened(srv.llm_settings("openai")) as client:
        await client.chat(USER, response_schema={**SCHEMA, "title": "step reply"}, stream=False)
        await client.chat(USER, response_schema=SCHEMA)
    named, plain = (r.body for r in srv.chat_requests)
    assert named["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "step_reply", "schema": {**SCHEMA, "title": "step reply"}, "strict": True},
    }
    assert plain["response_format"]["json_schema"]["name"] == "reply"


async def test_openai_falls_back_to_the_json_object_shape_and_remembers(srv: FakeModelServer) -> None:
    # llama-cpp-python's server validates response_format.type as "text" | "json_object": 422.
    srv.openai_response_formats = ("json_object",)
    async with opened(srv.llm_settings("openai")) as client:
        first = await client.chat(USER, response_schema=SCHEMA)
        await client.chat(USER, response_schema=SCHEMA, stream=False)
    assert first.text == '{"answer": "x"}'
    shapes = [r.body["response_format"]["type"] for r in srv.chat_requests]
    assert shapes == ["json_schema", "json_object", "json_object"]
    assert srv.chat_requests[1].body["response_format"]["schema"] == SCHEMA


async def test_a_turn_passes_sampling_to_every_model_call(srv: FakeModelServer, tmp_path: Path) -> None:
    srv.handler = ScriptedHandler([Reply.tool("list_dir", {"path": "."}), "done", "bye"])
    async with opened(srv.llm_settings("ollama")) as client:
        ctx = ToolContext(workspace=tmp_path, settings=ToolSettings())
        session = ChatSession("k", client, default_registry(), ctx, AgentSettings())
        await session.run_turn("look", temperature=0.7, seed=11)
        await session.run_turn("again?")
    bodies = [r.body["options"] for r in srv.chat_requests]
    assert [(o["temperature"], o.get("seed")) for o in bodies[:2]] == [(0.7, 11), (0.7, 11)]
    assert bodies[2]["temperature"] == srv.llm_settings().temperature and "seed" not in bodies[2]
