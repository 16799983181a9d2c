"""OpenAIClient against the loopback fake server speaking /v1/chat/completions (SSE)."""

from __future__ import annotations

import json
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
    TransportError,
)
from smallclaw_tui.llm.factory import make_client
from smallclaw_tui.llm.openai import OpenAIClient
from smallclaw_tui.llm.stream import RAW_ARGUMENTS_KEY
from smallclaw_tui.models import ChatMessage, Role, ToolCall
from smallclaw_tui.testing import FakeModelServer, FakeToolCall, Reply, ScriptedHandler, unreachable_url

USER = [ChatMessage(role=Role.USER, content="hi")]
TOOLS: list[dict[str, Any]] = [
    {"type": "function", "function": {"name": "write_file", "description": "write", "parameters": {}}}
]


@pytest.fixture
def srv() -> Iterator[FakeModelServer]:
    with FakeModelServer() as server:
        yield server


@pytest.fixture
async def client(srv: FakeModelServer) -> AsyncIterator[OpenAIClient]:
    async with OpenAIClient(srv.llm_settings("openai")) as c:
        yield c


def script(srv: FakeModelServer, *steps: Reply | str) -> None:
    srv.handler = ScriptedHandler(steps)


async def events_of(client: OpenAIClient, **kw: Any) -> list[LLMEvent]:
    return [e async for e in client.stream_chat(USER, **kw)]


def text_of(events: list[LLMEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def thinking_of(events: list[LLMEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, ThinkingDelta))


async def test_streams_text_and_reasoning_separately(srv: FakeModelServer, client: OpenAIClient) -> None:
    script(srv, Reply(text="Four.", thinking="2+2", chunk_size=2))
    events = await events_of(client)
    assert (text_of(events), thinking_of(events)) == ("Four.", "2+2")
    assert isinstance(events[-1], Done) and events[-1].finish_reason == "stop"


async def test_request_body(srv: FakeModelServer) -> None:
    settings = srv.llm_settings("openai", num_predict=333, temperature=0.4, think=False)
    async with OpenAIClient(settings) as client:
        await client.chat(USER, TOOLS)
        await client.chat(USER, num_predict=20, think=True, stream=False)
    first, second = (r.body for r in srv.requests)
    assert first["max_tokens"] == 333 and first["temperature"] == 0.4 and first["stream"] is True
    assert first["stream_options"] == {"include_usage": True} and first["tools"] == TOOLS
    assert first["chat_template_kwargs"] == {"enable_thinking": False}
    assert second["max_tokens"] == 20 and second["stream"] is False
    assert "chat_template_kwargs" not in second and "stream_options" not in second


async def test_bearer_token_only_when_configured(srv: FakeModelServer) -> None:
    async with OpenAIClient(srv.llm_settings("openai", api_key="sk-test")) as client:
        await client.chat(USER)
    async with OpenAIClient(srv.llm_settings("openai")) as client:
        await client.chat(USER)
    with_key, without = srv.requests
    assert with_key.headers.get("Authorization") == "Bearer sk-test"
    assert "Authorization" not in without.headers


async def test_non_streaming_chat_goes_over_the_wire(srv: FakeModelServer, client: OpenAIClient) -> None:
    script(srv, Reply(text="whole", thinking="hm", prompt_eval_count=9, eval_count=2, tokens_per_s=7.5))
    result = await client.chat(USER, stream=False)
    assert srv.chat_requests[-1].stream is False
    assert (result.text, result.thinking) == ("whole", "hm")
    assert result.usage is not None
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (9, 2)
    assert result.usage.tokens_per_s == pytest.approx(7.5)


@pytest.mark.parametrize("stream", [True, False])
async def test_tool_calls_assembled_from_fragments(
    srv: FakeModelServer, client: OpenAIClient, stream: bool
) -> None:
    script(
        srv,
        Reply(
            tool_calls=[
                FakeToolCall("write_file", {"path": "notes/a.txt", "content": "hello world"}, id="call_a"),
                FakeToolCall("read_file", {"path": "b.txt"}),
            ],
            chunk_size=4,  # arguments arrive as many small string fragments
        ),
    )
    result = await client.chat(USER, TOOLS, stream=stream)
    assert [(c.name, c.arguments) for c in result.tool_calls] == [
        ("write_file", {"path": "notes/a.txt", "content": "hello world"}),
        ("read_file", {"path": "b.txt"}),
    ]
    assert result.tool_calls[0].id == "call_a"
    assert result.finish_reason == "tool_calls"


async def test_tool_call_name_repeated_in_every_fragment_is_not_concatenated(
    srv: FakeModelServer, client: OpenAIClient
) -> None:
    # llama-cpp-python's server repeats "name" in each streamed fragment of a call.
    script(
        srv,
        Reply(
            tool_calls=[FakeToolCall("read_file", {"path": "notes.txt"})], chunk_size=3, repeat_tool_head=True
        ),
    )
    result = await client.chat(USER, TOOLS)
    assert [(c.name, c.arguments) for c in result.tool_calls] == [("read_file", {"path": "notes.txt"})]


async def test_broken_tool_arguments_are_kept_raw(srv: FakeModelServer, client: OpenAIClient) -> None:
    broken = "{'path': 'a.txt',"  # single quotes and cut short, as small models do
    script(srv, Reply(tool_calls=[FakeToolCall("read_file", broken)], chunk_size=3))
    result = await client.chat(USER, TOOLS)
    (call,) = result.tool_calls
    assert call.name == "read_file" and call.arguments == {RAW_ARGUMENTS_KEY: broken}


async def test_tool_call_written_as_text_is_passed_through(
    srv: FakeModelServer, client: OpenAIClient
) -> None:
    written = '```json\n{"name": "write_file", "arguments": {"path": "a"}}\n```'
    script(srv, Reply(text=written, chunk_size=7))
    result = await client.chat(USER, TOOLS)
    assert (result.text, result.tool_calls) == (written, [])


async def test_think_tags_in_content_are_thinking(srv: FakeModelServer, client: OpenAIClient) -> None:
    script(srv, Reply(text="Done.", thinking="plan: say done", think_tags=True, chunk_size=2))
    events = await events_of(client)
    assert (text_of(events), thinking_of(events)) == ("Done.", "plan: say done")


async def test_usage_and_truncation(srv: FakeModelServer) -> None:
    script(
        srv, Reply(text="ok", prompt_eval_count=8000, eval_count=5), Reply(text="ok", prompt_eval_count=10)
    )
    async with OpenAIClient(srv.llm_settings("openai", num_ctx=8192, truncation_margin=0.97)) as client:
        first = await client.chat(USER)
        second = await client.chat(USER)
    assert first.truncated == ContextTruncated(prompt_tokens=8000, num_ctx=8192)
    assert first.usage is not None and first.usage.prompt_tokens == 8000
    assert second.truncated is None


async def test_decode_speed_is_timed_when_the_server_does_not_report_it(
    srv: FakeModelServer, client: OpenAIClient
) -> None:
    script(srv, Reply(text="abcdefgh", chunk_size=2, eval_count=20, tokens_per_s=0, delay_between_s=0.03))
    result = await client.chat(USER)
    assert result.usage is not None and result.usage.tokens_per_s is not None
    assert 0 < result.usage.tokens_per_s < 1000


async def test_messages_are_converted_for_openai(srv: FakeModelServer, client: OpenAIClient) -> None:
    calls = [
        ToolCall(id="c1", name="write_file", arguments={"path": "a", "content": "x"}),
        ToolCall(id="c2", name="read_file", arguments={RAW_ARGUMENTS_KEY: "{'path': 'b'"}),
    ]
    history = [
        ChatMessage(role=Role.USER, content="go"),
        ChatMessage(role=Role.ASSISTANT, content="", thinking="private", tool_calls=calls),
        ChatMessage(role=Role.TOOL, content="wrote 1 bytes to a", tool_call_id="c1", name="write_file"),
        ChatMessage(role=Role.TOOL, content="error: bad arguments", name="read_file"),
    ]
    await client.chat(history, TOOLS)
    sent = srv.chat_requests[-1].messages
    fns = [c["function"] for c in sent[1]["tool_calls"]]
    assert json.loads(fns[0]["arguments"]) == {"path": "a", "content": "x"}
    assert fns[1]["arguments"] == "{'path': 'b'"  # what the model wrote goes back unchanged
    assert "private" not in json.dumps(sent)
    assert sent[2]["tool_call_id"] == "c1" and sent[3]["tool_call_id"] == "c2"


async def test_base_url_with_v1_suffix(srv: FakeModelServer) -> None:
    async with OpenAIClient(srv.llm_settings("openai", base_url=srv.url + "/v1/")) as client:
        assert (await client.chat(USER)).text == "ok"
    assert srv.requests[-1].path == "/v1/chat/completions"


async def test_server_error_is_retryable(srv: FakeModelServer, client: OpenAIClient) -> None:
    script(srv, Reply.fail(503, "Loading model"))
    with pytest.raises(TransportError, match="Loading model") as err:
        await client.chat(USER)
    assert err.value.status == 503 and srv.url in str(err.value)


async def test_not_found_names_the_model(srv: FakeModelServer, client: OpenAIClient) -> None:
    script(srv, Reply.fail(404, "The model `qwen3:4b` does not exist."))
    with pytest.raises(ModelError) as err:
        await client.chat(USER)
    assert "qwen3:4b" in str(err.value) and "ollama pull qwen3:4b" in str(err.value)
    assert not err.value.retryable


async def test_bad_request_keeps_server_text(srv: FakeModelServer, client: OpenAIClient) -> None:
    script(srv, Reply.fail(400, "the request exceeds the available context size"))
    with pytest.raises(ModelError, match="exceeds the available context size"):
        await client.chat(USER)


async def test_refused_connection() -> None:
    async with OpenAIClient(LLMSettings(api="openai", base_url=unreachable_url())) as client:
        with pytest.raises(TransportError, match="refused"):
            await client.chat(USER)


async def test_stream_cut_mid_reply(srv: FakeModelServer, client: OpenAIClient) -> None:
    script(srv, Reply(text="this will not finish", chunk_size=3, cut_after_chunks=2))
    with pytest.raises(TransportError):
        await client.chat(USER)


async def test_stream_without_done_or_finish_is_a_cut(srv: FakeModelServer, client: OpenAIClient) -> None:
    chunk = {"choices": [{"index": 0, "delta": {"content": "half"}, "finish_reason": None}]}
    script(srv, Reply(raw_body=f"data: {json.dumps(chunk)}\n\n"))
    with pytest.raises(TransportError, match="cut mid-reply"):
        await client.chat(USER)


async def test_slow_server_hits_the_read_timeout(srv: FakeModelServer) -> None:
    script(srv, Reply(text="late", delay_first_s=2.0))
    async with OpenAIClient(srv.llm_settings("openai", read_timeout_s=0.3)) as client:
        with pytest.raises(TransportError, match="read_timeout_s"):
            await client.chat(USER)


async def test_error_event_inside_the_stream(srv: FakeModelServer, client: OpenAIClient) -> None:
    script(srv, Reply(text="partial", error_mid_stream="slot crashed"))
    with pytest.raises(TransportError, match="slot crashed"):
        await client.chat(USER)


async def test_garbage_is_a_parse_error(srv: FakeModelServer, client: OpenAIClient) -> None:
    script(srv, Reply(raw_body="data: {not json}\n\n"))
    with pytest.raises(ResponseParseError, match="not the OpenAI protocol"):
        await client.chat(USER)


async def test_list_and_show_models() -> None:
    with FakeModelServer(models=["qwen3-4b-q4"], context_length=40960, n_ctx=4096) as srv:
        async with OpenAIClient(srv.llm_settings("openai", model="whatever")) as client:
            assert await client.list_models() == ["qwen3-4b-q4"]
            info = await client.show_model()
    # The runtime context from llama.cpp's /props wins over the training context.
    assert (info.name, info.context_length) == ("whatever", 4096)


async def test_factory_picks_openai(srv: FakeModelServer) -> None:
    client = make_client(srv.llm_settings("openai"))
    try:
        assert isinstance(client, OpenAIClient)
        assert (await client.chat(USER)).text == "ok"
    finally:
        await client.aclose()
