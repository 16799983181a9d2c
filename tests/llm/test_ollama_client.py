"""OllamaClient against the loopback fake server speaking Ollama's native /api/chat."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from smallclaw_tui.config import LLMSettings
from smallclaw_tui.llm.base import (
    ContextTruncated,
    Done,
    LLMEvent,
    ModelError,
    ResponseParseError,
    TextDelta,
    ThinkingDelta,
    ToolCallEvent,
    TransportError,
    Usage,
)
from smallclaw_tui.llm.factory import make_client
from smallclaw_tui.llm.ollama import OllamaClient
from smallclaw_tui.models import ChatMessage, Role, ToolCall
from smallclaw_tui.testing import FakeModelServer, FakeToolCall, Reply, ScriptedHandler, unreachable_url

USER = [ChatMessage(role=Role.USER, content="hi")]
TOOLS: list[dict[str, Any]] = [
    {"type": "function", "function": {"name": "read_file", "description": "read", "parameters": {}}}
]


@pytest.fixture
def srv() -> Iterator[FakeModelServer]:
    with FakeModelServer() as server:
        yield server


@pytest.fixture
async def client(srv: FakeModelServer) -> AsyncIterator[OllamaClient]:
    async with OllamaClient(srv.llm_settings()) as c:
        yield c


def script(srv: FakeModelServer, *steps: Reply | str) -> ScriptedHandler:
    handler = ScriptedHandler(steps)
    srv.handler = handler
    return handler


async def events_of(client: OllamaClient, **kw: Any) -> list[LLMEvent]:
    return [e async for e in client.stream_chat(USER, **kw)]


def text_of(events: list[LLMEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def thinking_of(events: list[LLMEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, ThinkingDelta))


async def test_streams_text_and_thinking_separately(srv: FakeModelServer, client: OllamaClient) -> None:
    script(srv, Reply(text="The answer is 4.", thinking="2+2 is 4", chunk_size=3))
    events = await events_of(client)
    assert text_of(events) == "The answer is 4."
    assert thinking_of(events) == "2+2 is 4"
    assert len([e for e in events if isinstance(e, TextDelta)]) > 1  # really streamed
    assert isinstance(events[-1], Done) and events[-1].finish_reason == "stop"


async def test_request_body_always_carries_context_and_output_limits(srv: FakeModelServer) -> None:
    settings = srv.llm_settings(num_ctx=4096, num_predict=300, temperature=0.1, think=False)
    async with OllamaClient(settings) as client:
        await client.chat(USER, TOOLS)
        await client.chat(USER, num_predict=50, think=True, stream=False)
    first, second = (r.body for r in srv.requests)
    assert first["options"] == {"num_ctx": 4096, "num_predict": 300, "temperature": 0.1}
    assert first["think"] is False and first["stream"] is True and first["tools"] == TOOLS
    assert second["options"]["num_predict"] == 50 and second["options"]["num_ctx"] == 4096
    assert second["think"] is True and second["stream"] is False and "tools" not in second


async def test_non_streaming_chat_goes_over_the_wire(srv: FakeModelServer, client: OllamaClient) -> None:
    script(srv, Reply(text="whole answer", thinking="quietly", prompt_eval_count=12, eval_count=3))
    result = await client.chat(USER, stream=False)
    assert srv.chat_requests[-1].stream is False
    assert (result.text, result.thinking) == ("whole answer", "quietly")
    assert result.usage is not None and (result.usage.prompt_tokens, result.usage.completion_tokens) == (
        12,
        3,
    )


@pytest.mark.parametrize("stream", [True, False])
async def test_native_tool_calls(srv: FakeModelServer, client: OllamaClient, stream: bool) -> None:
    script(
        srv,
        Reply(
            tool_calls=[FakeToolCall("read_file", {"path": "a.txt"}), FakeToolCall("list_dir", {"path": "."})]
        ),
    )
    result = await client.chat(USER, TOOLS, stream=stream)
    assert [(c.name, c.arguments) for c in result.tool_calls] == [
        ("read_file", {"path": "a.txt"}),
        ("list_dir", {"path": "."}),
    ]
    assert len({c.id for c in result.tool_calls}) == 2  # ids generated and distinct
    assert result.finish_reason == "tool_calls"
    assert result.text == ""


async def test_tool_call_written_as_text_is_passed_through(
    srv: FakeModelServer, client: OllamaClient
) -> None:
    written = '<tool_call>\n{"name": "read_file", "arguments": {"path": "a.txt"}}\n</tool_call>'
    script(srv, Reply(text=written, chunk_size=5))
    result = await client.chat(USER, TOOLS)
    assert result.text == written
    assert result.tool_calls == []


async def test_inline_think_tags_are_routed_to_thinking(srv: FakeModelServer, client: OllamaClient) -> None:
    # chunk_size=3 splits the tags themselves across chunks.
    script(srv, Reply(text="Paris.", thinking="capital of France", think_tags=True, chunk_size=3))
    events = await events_of(client)
    assert text_of(events) == "Paris."
    assert thinking_of(events) == "capital of France"


async def test_usage_speed_and_load_time(srv: FakeModelServer, client: OllamaClient) -> None:
    script(srv, Reply(text="ok", prompt_eval_count=100, eval_count=40, tokens_per_s=20.0, load_s=1.5))
    result = await client.chat(USER)
    assert result.usage == Usage(100, 40, tokens_per_s=pytest.approx(20.0), load_s=pytest.approx(1.5))
    assert result.truncated is None


async def test_prompt_at_the_context_limit_is_reported_as_truncated(srv: FakeModelServer) -> None:
    script(srv, Reply(text="ok", prompt_eval_count=4096), Reply(text="ok", prompt_eval_count=3000))
    async with OllamaClient(srv.llm_settings(num_ctx=4096)) as client:
        events = await events_of(client)
        assert ContextTruncated(prompt_tokens=4096, num_ctx=4096) in events
        assert events.index(ContextTruncated(4096, 4096)) < len(events) - 1  # before Done
        assert (await client.chat(USER)).truncated is None


async def test_messages_are_converted_for_ollama(srv: FakeModelServer, client: OllamaClient) -> None:
    call = ToolCall(id="c1", name="read_file", arguments={"path": "a.txt"})
    history = [
        ChatMessage(role=Role.SYSTEM, content="sys"),
        ChatMessage(role=Role.USER, content="read a.txt"),
        ChatMessage(role=Role.ASSISTANT, content="", thinking="secret thoughts", tool_calls=[call]),
        ChatMessage(role=Role.TOOL, content="hello", tool_call_id="c1"),
    ]
    await client.chat(history, TOOLS)
    sent = srv.chat_requests[-1].messages
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool"]
    assert sent[2]["tool_calls"] == [{"function": {"name": "read_file", "arguments": {"path": "a.txt"}}}]
    assert "thinking" not in sent[2] and "secret" not in str(sent)
    assert sent[3] == {"role": "tool", "content": "hello", "tool_name": "read_file"}


async def test_model_without_thinking_is_retried_without_think() -> None:
    with FakeModelServer(models=["llama3.2:1b"], capabilities=("completion", "tools")) as srv:
        async with OllamaClient(srv.llm_settings(think=True)) as client:
            assert (await client.chat(USER)).text == "ok"
            assert (await client.chat(USER)).text == "ok"
        bodies = [r.body for r in srv.requests]
    assert bodies[0]["think"] is True and "think" not in bodies[1]  # refused, then retried
    assert len(bodies) == 3 and "think" not in bodies[2]  # remembered


async def test_server_error_is_retryable_transport_error(srv: FakeModelServer, client: OllamaClient) -> None:
    script(srv, Reply.fail(500, "llama runner process has terminated"))
    with pytest.raises(TransportError) as err:
        await client.chat(USER)
    assert err.value.retryable and err.value.status == 500
    assert srv.url + "/api/chat" in str(err.value)
    assert "llama runner process has terminated" in str(err.value)
    assert "\n" not in str(err.value)


async def test_missing_model_says_which_and_how_to_pull(srv: FakeModelServer, client: OllamaClient) -> None:
    with pytest.raises(ModelError) as err:
        await client.chat(USER, model="gemma3:1b")
    msg = str(err.value)
    assert not err.value.retryable and err.value.status == 404
    assert "gemma3:1b" in msg and "ollama pull gemma3:1b" in msg and srv.url in msg


async def test_bad_request_is_model_error_with_server_text(
    srv: FakeModelServer, client: OllamaClient
) -> None:
    script(srv, Reply.fail(400, "invalid options: num_ctx"))
    with pytest.raises(ModelError, match="invalid options: num_ctx"):
        await client.chat(USER)


async def test_refused_connection() -> None:
    url = unreachable_url()
    async with OllamaClient(LLMSettings(base_url=url)) as client:
        with pytest.raises(TransportError, match="refused") as err:
            await client.chat(USER)
    assert url in str(err.value)


@pytest.mark.parametrize("reset", [False, True])
async def test_stream_cut_mid_reply(srv: FakeModelServer, client: OllamaClient, reset: bool) -> None:
    script(
        srv,
        Reply(text="a long answer that never ends", chunk_size=4, cut_after_chunks=3, cut_with_reset=reset),
    )
    seen: list[LLMEvent] = []
    with pytest.raises(TransportError):
        async for event in client.stream_chat(USER):
            seen.append(event)
    assert text_of(seen).startswith("a lo")  # what arrived was delivered before the failure
    assert not any(isinstance(e, Done) for e in seen)


async def test_non_streaming_body_cut_short(srv: FakeModelServer, client: OllamaClient) -> None:
    script(srv, Reply(text="answer", cut_after_chunks=0))
    with pytest.raises(TransportError):
        await client.chat(USER, stream=False)


async def test_stream_without_final_done_line_is_a_cut(srv: FakeModelServer, client: OllamaClient) -> None:
    partial = '{"model":"qwen3:4b","message":{"role":"assistant","content":"half"},"done":false}\n'
    script(srv, Reply(raw_body=partial))
    with pytest.raises(TransportError, match="cut mid-reply"):
        await client.chat(USER)


async def test_slow_first_token_hits_the_read_timeout(srv: FakeModelServer) -> None:
    script(srv, Reply(text="late", delay_first_s=2.0))
    async with OllamaClient(srv.llm_settings(read_timeout_s=0.3)) as client:
        with pytest.raises(TransportError, match=r"no data for 0\.3 s"):
            await client.chat(USER)


async def test_error_inside_the_stream(srv: FakeModelServer, client: OllamaClient) -> None:
    script(srv, Reply(text="partial", error_mid_stream="model runner crashed"))
    with pytest.raises(TransportError, match="model runner crashed"):
        await client.chat(USER)


async def test_garbage_is_a_parse_error(srv: FakeModelServer, client: OllamaClient) -> None:
    script(srv, Reply(raw_body="this is not json\n"), Reply(raw_body='{"unexpected": 1}\n'))
    with pytest.raises(ResponseParseError, match="not the Ollama protocol"):
        await client.chat(USER)
    with pytest.raises(ResponseParseError):
        await client.chat(USER)


async def test_list_and_show_models() -> None:
    with FakeModelServer(models=["qwen3:4b", "qwen3:8b"], context_length=32768) as srv:
        async with OllamaClient(srv.llm_settings()) as client:
            assert await client.list_models() == ["qwen3:4b", "qwen3:8b"]
            info = await client.show_model()
            assert (info.name, info.context_length) == ("qwen3:4b", 32768)
            assert (info.parameter_size, info.quantization) == ("4.0B", "Q4_K_M")
            assert "tools" in info.capabilities
            assert await client.version()
            with pytest.raises(ModelError, match="ollama pull nope"):
                await client.show_model("nope")


async def test_recovers_after_the_server_restarts(srv: FakeModelServer, client: OllamaClient) -> None:
    assert (await client.chat(USER)).text == "ok"
    srv.stop()
    with pytest.raises(TransportError):
        await client.chat(USER)
    srv.start()
    assert (await client.chat(USER)).text == "ok"


async def test_factory_picks_ollama_by_default(srv: FakeModelServer) -> None:
    client = make_client(srv.llm_settings())
    try:
        assert isinstance(client, OllamaClient)
        events = [e async for e in client.stream_chat(USER)]
        assert any(isinstance(e, ToolCallEvent | TextDelta) for e in events)
    finally:
        await client.aclose()
