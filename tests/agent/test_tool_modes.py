"""Tool modes (native, text, schema, auto) through ChatSession, both APIs, on the loopback server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import pytest

from smallclaw_tui.agent.events import AssistantReply, TurnEvent
from smallclaw_tui.agent.mode_probe import cached_pick, forget_all, probe_tool_modes
from smallclaw_tui.agent.session import ChatSession
from smallclaw_tui.config import AgentSettings, ConfigError, ToolSettings, load_settings
from smallclaw_tui.llm.base import ModelClient
from smallclaw_tui.llm.factory import make_client
from smallclaw_tui.testing import ChatRequest, FakeModelServer, Reply, ScriptedHandler
from smallclaw_tui.testing.fake_schema import requested_schema
from smallclaw_tui.tools import ToolContext, default_registry

Api = Literal["ollama", "openai"]
APIS: list[Api] = ["ollama", "openai"]
WRITE = {"path": "a.txt", "content": "hi"}

# How a model says "write a.txt" and "done"/"blocked" in each mode.
CALL = {
    "native": Reply.tool("write_file", WRITE),
    "text": Reply(text=f"<tool_call>\n{json.dumps({'name': 'write_file', 'arguments': WRITE})}</tool_call>"),
    "schema": Reply(text=json.dumps({"tool": "write_file", "args": WRITE})),
}
DONE = {"native": "DONE: wrote a.txt", "text": "DONE: wrote a.txt", "schema": '{"done": "wrote a.txt"}'}
BLOCKED = {
    "native": "BLOCKED: no network",
    "text": "BLOCKED: no network",
    "schema": '{"blocked": "no network"}',
}


@pytest.fixture(autouse=True)
def _no_cached_picks() -> Iterator[None]:
    forget_all()
    yield
    forget_all()


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    path.mkdir()
    return path


@pytest.fixture
async def make(ws: Path) -> AsyncIterator[Callable[..., tuple[ChatSession, list[TurnEvent]]]]:
    clients: list[ModelClient] = []

    def factory(
        srv: FakeModelServer, api: Api, tool_mode: str, **llm: Any
    ) -> tuple[ChatSession, list[TurnEvent]]:
        client = make_client(srv.llm_settings(api, **llm))
        clients.append(client)
        events: list[TurnEvent] = []
        ctx = ToolContext(workspace=ws, settings=ToolSettings())
        session = ChatSession(
            "k",
            client,
            default_registry(),
            ctx,
            AgentSettings(),
            on_event=events.append,
            tool_mode=tool_mode,  # type: ignore[arg-type]
        )
        return session, events

    yield factory
    for c in clients:
        await c.aclose()


def assert_shape(request: ChatRequest, mode: str) -> None:
    """What each mode puts on the wire."""
    schema = requested_schema(request)
    if mode == "native":
        assert request.tool_names == default_registry().names() and schema is None
        return
    assert request.tools == [] and "- write_file(path, content" in request.system_text
    if mode == "text":
        assert schema is None and "<tool_call>" in request.system_text
    else:
        assert schema is not None and schema["title"] == "step_action"
        call = schema["anyOf"][0]["properties"]
        assert list(call) == ["tool", "args"] and call["tool"]["enum"] == default_registry().names()


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("mode", ["native", "text", "schema"])
async def test_a_turn_calls_a_tool_then_says_done(make: Any, ws: Path, api: Api, mode: str) -> None:
    with FakeModelServer(ScriptedHandler([CALL[mode], DONE[mode]])) as srv:
        session, events = make(srv, api, mode)
        result = await session.run_turn("write hi to a.txt")
        first, second = srv.chat_requests
    assert (ws / "a.txt").read_text() == "hi"
    assert result.stop_reason == "done" and result.text == "DONE: wrote a.txt"
    assert [(c.name, c.arguments) for c, _ in result.tool_calls] == [("write_file", WRITE)]
    assert_shape(first, mode)
    assert_shape(second, mode)
    roles = [m["role"] for m in second.messages]
    if mode == "native":
        assert roles == ["system", "user", "assistant", "tool"]
    else:
        # No tools field, so no tool messages: the call as the model wrote it, the result as user text.
        assert roles == ["system", "user", "assistant", "user"]
        assert "tool_calls" not in second.messages[2]
        assert "write_file" in second.messages[2]["content"]
        assert second.messages[3]["content"].startswith("<tool_response>\nwrote 2 bytes to a.txt")
    replies = [e for e in events if isinstance(e, AssistantReply)]
    assert replies[-1].text == "DONE: wrote a.txt"
    # The stored history keeps the native shape whatever the mode.
    assert [m.role.value for m in session.messages] == ["user", "assistant", "tool", "assistant"]


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("mode", ["native", "text", "schema"])
async def test_a_turn_that_answers_blocked(make: Any, api: Api, mode: str) -> None:
    with FakeModelServer(ScriptedHandler([BLOCKED[mode]])) as srv:
        session, _ = make(srv, api, mode)
        result = await session.run_turn("fetch the weather")
        (request,) = srv.chat_requests
    assert result.stop_reason == "done" and result.text == "BLOCKED: no network"
    assert result.tool_calls == []
    assert_shape(request, mode)


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("think", [True, False])
async def test_schema_mode_sends_think_as_configured(make: Any, ws: Path, api: Api, think: bool) -> None:
    with FakeModelServer(ScriptedHandler([CALL["schema"], DONE["schema"]])) as srv:
        session, _ = make(srv, api, "schema", think=think)
        result = await session.run_turn("write hi to a.txt")
        requests = srv.chat_requests
    assert result.text == "DONE: wrote a.txt" and (ws / "a.txt").read_text() == "hi"
    for r in requests:
        if api == "ollama":
            assert r.body["think"] is think
        else:
            assert ("chat_template_kwargs" in r.body) is (not think)


@pytest.mark.parametrize("api", APIS)
async def test_schema_broken_by_thinking_off_is_still_read_as_text(make: Any, ws: Path, api: Api) -> None:
    # Qwen3 + think:false + format returned unconstrained text on some Ollama versions.
    script = ScriptedHandler([CALL["text"], "DONE: wrote a.txt"])
    with FakeModelServer(script, schema_support="honour_with_thinking") as srv:
        session, _ = make(srv, api, "schema", think=False)
        result = await session.run_turn("write hi to a.txt")
    assert (ws / "a.txt").read_text() == "hi"
    assert result.text == "DONE: wrote a.txt"


async def test_schema_reply_with_unknown_tool_and_bad_args_gets_answers(make: Any) -> None:
    script = ScriptedHandler(
        ['{"tool": "Read_File", "args": "a.txt"}', '{"tool": "rm", "args": {}}', '{"blocked": "no"}']
    )
    with FakeModelServer(script, schema_support="ignore") as srv:
        session, _ = make(srv, "ollama", "schema")
        result = await session.run_turn("read a.txt")
    (read, first), (rm, second) = result.tool_calls
    assert read.name == "read_file" and not first.ok and "not a JSON object" in first.output
    assert rm.name == "rm" and not second.ok and "unknown tool" in second.output.lower()


@pytest.mark.parametrize("api", APIS)
async def test_auto_is_native_until_probed_then_uses_the_probe(make: Any, ws: Path, api: Api) -> None:
    script = ScriptedHandler(
        [
            "DONE: nothing to do",  # turn before probing: native
            "I am a model without tools.",  # native probe: no call
            '{"tool": "echo", "args": {"text": "ping"}}',  # schema probe: honoured
            CALL["schema"],
            DONE["schema"],
        ]
    )
    with FakeModelServer(script) as srv:
        session, _ = make(srv, api, "auto")
        assert session.effective_tool_mode == "native"
        await session.run_turn("hello")
        probe = await probe_tool_modes(session.client)
        assert probe.pick == "schema"
        assert cached_pick(session.client.base_url, session.client.model) == "schema"
        assert session.effective_tool_mode == "schema"
        result = await session.run_turn("write hi to a.txt")
        requests = srv.chat_requests
    assert_shape(requests[0], "native")
    assert_shape(requests[3], "schema")
    assert result.text == "DONE: wrote a.txt" and (ws / "a.txt").read_text() == "hi"


async def test_auto_falls_back_to_text_when_the_server_ignores_schemas(make: Any) -> None:
    script = ScriptedHandler(["no tools here", "Sure: echo ping", CALL["text"], "DONE: ok"])
    with FakeModelServer(script, schema_support="ignore") as srv:
        session, _ = make(srv, "ollama", "auto")
        probe = await probe_tool_modes(session.client)
        assert (probe.native.ok, probe.schema.ok, probe.pick) == (False, False, "text")
        result = await session.run_turn("write hi to a.txt")
        assert_shape(srv.chat_requests[-1], "text")
    assert result.text == "DONE: ok"


def test_tool_mode_setting_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_settings(tmp_path).llm.tool_mode == "auto"
    monkeypatch.setenv("SMALLCLAW_LLM__TOOL_MODE", "schema")
    assert load_settings(tmp_path).llm.tool_mode == "schema"
    monkeypatch.setenv("SMALLCLAW_LLM__TOOL_MODE", "grammar")
    with pytest.raises(ConfigError, match="tool_mode"):
        load_settings(tmp_path)


@pytest.mark.parametrize("api", APIS)
async def test_a_schema_action_cut_at_the_output_cap_runs_nothing(make: Any, ws: Path, api: Api) -> None:
    cut = Reply(
        text='{"tool": "write_file", "args": {"path": "a.txt", "content": "half of i', done_reason="length"
    )
    with FakeModelServer(ScriptedHandler([cut]), schema_support="ignore") as srv:
        session, _ = make(srv, api, "schema")
        result = await session.run_turn("write a long a.txt")
    assert not (ws / "a.txt").exists() and result.tool_calls == []
    assert result.stop_reason == "done" and "output limit" in result.text
