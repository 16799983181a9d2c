"""ChatSession against the real Ollama client and a scripted model server on loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Literal

import pytest

from smallclaw_tui.agent.events import (
    AssistantReply,
    ContextInfo,
    LoopNotice,
    Nudged,
    TextChunk,
    ThinkingChunk,
    ToolFinished,
    ToolStarted,
    TurnEvent,
    TurnFinished,
    TurnStarted,
    UsageInfo,
)
from smallclaw_tui.agent.loop_guard import LoopGuard
from smallclaw_tui.agent.session import ChatSession
from smallclaw_tui.config import AgentSettings, ToolSettings
from smallclaw_tui.llm.base import LLMError, ModelClient
from smallclaw_tui.llm.factory import make_client
from smallclaw_tui.llm.ollama import OllamaClient
from smallclaw_tui.models import ChatMessage, ChatSessionRecord, Role
from smallclaw_tui.store.sessions import SessionStore
from smallclaw_tui.testing import ChatRequest, FakeModelServer, FakeToolCall, Reply, ScriptedHandler
from smallclaw_tui.tools import ToolContext, default_registry


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    path.mkdir()
    return path


@pytest.fixture
def store(ws: Path) -> SessionStore:
    return SessionStore(ws / ".localclaw")


@pytest.fixture
async def make(ws: Path, store: SessionStore) -> AsyncIterator[Callable[..., Any]]:
    """make(server, **kw) -> (session, events); clients are closed at the end."""
    clients: list[ModelClient] = []

    def factory(
        srv: FakeModelServer,
        *,
        num_ctx: int = 8192,
        agent: AgentSettings | None = None,
        api: Literal["ollama", "openai"] = "ollama",
        **kw: Any,
    ) -> tuple[ChatSession, list[TurnEvent]]:
        client = make_client(srv.llm_settings(api, num_ctx=num_ctx))
        clients.append(client)
        events: list[TurnEvent] = []
        ctx = ToolContext(workspace=ws, settings=ToolSettings())
        session = ChatSession(
            "chat1",
            client,
            default_registry(),
            ctx,
            agent or AgentSettings(),
            store=store,
            on_event=events.append,
            **kw,
        )
        return session, events

    yield factory
    for c in clients:
        await c.aclose()


def all_content(request: ChatRequest) -> str:
    return json.dumps(request.messages)


# --- round trips ---------------------------------------------------------------------------------


async def test_native_tool_call_round_trip_writes_a_file(make: Any, ws: Path, store: SessionStore) -> None:
    script = ScriptedHandler(
        [Reply.tool("write_file", {"path": "notes/a.txt", "content": "hello"}), "Wrote notes/a.txt."]
    )
    with FakeModelServer(script) as srv:
        session, events = make(srv)
        result = await session.run_turn("write hello to notes/a.txt")
        requests = srv.chat_requests

    assert (ws / "notes" / "a.txt").read_text() == "hello"
    assert result.stop_reason == "done"
    assert result.text == "Wrote notes/a.txt."
    assert [(c.name, r.ok, r.output) for c, r in result.tool_calls] == [
        ("write_file", True, "wrote 5 bytes to notes/a.txt")
    ]
    assert result.rounds == 2 and result.prompt_tokens > 0 and result.completion_tokens > 0

    # What the model was sent: the tools, then its own call and the result on the second request.
    assert requests[0].tool_names == default_registry().names()
    assert requests[0].messages[0]["role"] == "system"
    second = requests[1].messages
    assert [m["role"] for m in second] == ["system", "user", "assistant", "tool"]
    assert second[2]["tool_calls"][0]["function"]["name"] == "write_file"
    assert second[3]["content"] == "wrote 5 bytes to notes/a.txt"
    assert second[3]["tool_name"] == "write_file"
    assert requests[0].options["num_ctx"] == 8192

    # Events, in order of what happened.
    kinds = [type(e) for e in events]
    assert kinds[0] is TurnStarted and kinds[-1] is TurnFinished
    assert kinds.index(ToolStarted) < kinds.index(ToolFinished) < len(kinds) - 1
    assert any(isinstance(e, TextChunk) for e in events)
    assert any(isinstance(e, UsageInfo) and e.tokens_per_s for e in events)
    ctx_events = [e for e in events if isinstance(e, ContextInfo)]
    assert len(ctx_events) == 2 and all(e.measured and not e.truncated for e in ctx_events)

    # Persisted after the turn.
    record = await store.load("chat1")
    assert record is not None
    assert [m.role for m in record.messages] == [Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT]


async def test_tool_call_written_as_text_with_broken_json(make: Any, ws: Path) -> None:
    # Single quotes, and the closing brace and tag never came.
    broken = (
        "I'll write it.\n<tool_call>\n{'name': 'write_file', 'arguments': {'path': 'b.txt', 'content': 'hi'}"
    )
    with FakeModelServer(ScriptedHandler([broken, "Done."])) as srv:
        session, events = make(srv)
        result = await session.run_turn("write hi to b.txt")
        requests = srv.chat_requests

    assert (ws / "b.txt").read_text() == "hi"
    assert result.stop_reason == "done" and result.text == "Done."
    [reply, _] = [e for e in events if isinstance(e, AssistantReply)]
    assert reply.calls_from_text and reply.text == "I'll write it."
    # The call goes back to the model in the native shape, the markup gone from the content.
    assistant = requests[1].messages[2]
    assert assistant["content"] == "I'll write it."
    assert assistant["tool_calls"][0]["function"] == {
        "name": "write_file",
        "arguments": {"path": "b.txt", "content": "hi"},
    }


async def test_native_call_with_broken_argument_string_is_repaired(make: Any, ws: Path) -> None:
    (ws / "a.txt").write_text("hello there")
    call = FakeToolCall("read_file", '{"path": "a.txt"')
    with FakeModelServer(ScriptedHandler([Reply(tool_calls=(call,)), "It says hello."])) as srv:
        session, _ = make(srv)
        result = await session.run_turn("read a.txt")
    assert result.tool_calls[0][0].arguments == {"path": "a.txt"}
    assert result.tool_calls[0][1].ok and "hello there" in result.tool_calls[0][1].output


async def test_unreadable_arguments_go_back_as_an_error(make: Any, ws: Path) -> None:
    (ws / "a.txt").write_text("hello")
    script = ScriptedHandler(
        [
            Reply(tool_calls=(FakeToolCall("read_file", "path=a.txt"),)),
            Reply.tool("read_file", {"path": "a.txt"}),
            "ok",
        ]
    )
    with FakeModelServer(script) as srv:
        session, _ = make(srv)
        result = await session.run_turn("read a.txt")
        requests = srv.chat_requests
    first_result = requests[1].tool_results[0]
    assert first_result.startswith("bad arguments for read_file: not a JSON object: path=a.txt")
    assert '{"path": "..."}' in first_result
    assert result.stop_reason == "done"
    assert [r.ok for _, r in result.tool_calls] == [False, True]


async def test_native_call_with_a_near_miss_name_is_mapped(make: Any, ws: Path) -> None:
    (ws / "a.txt").write_text("hi")
    script = ScriptedHandler([Reply.tool("Read-File", {"path": "a.txt"}), "ok"])
    with FakeModelServer(script) as srv:
        session, _ = make(srv)
        result = await session.run_turn("read a.txt")
    assert [(c.name, r.ok) for c, r in result.tool_calls] == [("read_file", True)]


async def test_unknown_tool_error_is_fed_back_then_success(make: Any, ws: Path) -> None:
    (ws / "a.txt").write_text("hi")
    script = ScriptedHandler(
        [
            Reply.tool("read_files", {"path": "a.txt"}),
            Reply.tool("read_file", {"path": "a.txt"}),
            "The file says hi.",
        ]
    )
    with FakeModelServer(script) as srv:
        session, _ = make(srv)
        result = await session.run_turn("what is in a.txt?")
        requests = srv.chat_requests
    assert requests[1].tool_results == [
        "unknown tool 'read_files'; available: " + ", ".join(requests[0].tool_names)
    ]
    assert result.stop_reason == "done" and result.text == "The file says hi."
    assert [(c.name, r.ok) for c, r in result.tool_calls] == [("read_files", False), ("read_file", True)]


# --- stops ---------------------------------------------------------------------------------------


async def test_looping_model_ends_stuck(make: Any, ws: Path) -> None:
    (ws / "a.txt").write_text("same")

    def forever(_: ChatRequest) -> Reply:
        return Reply.tool("read_file", {"path": "a.txt"})

    with FakeModelServer(forever) as srv:
        session, events = make(srv, agent=AgentSettings(max_tool_rounds=20))
        result = await session.run_turn("read a.txt")
        requests = srv.chat_requests

    assert result.stop_reason == "stuck"
    assert result.stuck_reason == "stuck: read_file{path: a.txt} repeated 6 times"
    assert len(requests) == 6  # warn at 3, refused at 4 and 5, stuck at 6
    assert "Loop warning" in requests[3].tool_results[-1]
    assert requests[4].tool_results[-1].startswith("Refused:")
    notices = [(e.action, e.pattern) for e in events if isinstance(e, LoopNotice)]
    assert notices == [("warn", "repeat"), ("block", "repeat"), ("block", "repeat"), ("stuck", "repeat")]
    # Refused calls did not run but are reported.
    assert [r.ok for _, r in result.tool_calls] == [True, True, True, False, False, False]
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and finished.stuck_reason == result.stuck_reason


async def test_shared_guard_carries_across_turns(make: Any, ws: Path) -> None:
    (ws / "a.txt").write_text("x")
    script = ScriptedHandler(
        [Reply.tool("read_file", {"path": "a.txt"}), "ok", Reply.tool("read_file", {"path": "./a.txt"}), "ok"]
    )
    settings = AgentSettings(loop_warn_at=2)
    guard = LoopGuard(settings)
    with FakeModelServer(script) as srv:
        session, events = make(srv, agent=settings, guard=guard)
        await session.run_turn("one")
        await session.run_turn("two")
    assert [e.action for e in events if isinstance(e, LoopNotice)] == ["warn"]
    assert session.guard is guard
    assert len(guard.to_dict()["attempts"]) == 2


async def test_shell_command_needing_approval_ends_the_turn(make: Any, ws: Path, store: SessionStore) -> None:
    script = ScriptedHandler(
        [
            Reply(
                tool_calls=(
                    FakeToolCall("run_shell", {"command": "touch made.txt"}),
                    FakeToolCall("list_dir"),
                )
            ),
            Reply.tool("run_shell", {"command": "touch made.txt"}),
            "Created made.txt.",
        ]
    )
    with FakeModelServer(script) as srv:
        session, _ = make(srv)
        result = await session.run_turn("create made.txt")
        assert len(srv.chat_requests) == 1

        assert result.stop_reason == "approval"
        assert result.pending_command == "touch made.txt"
        assert not (ws / "made.txt").exists()
        # The call after the one waiting for approval was not run, but it is answered.
        tail = session.messages[-2:]
        assert [m.role for m in tail] == [Role.TOOL, Role.TOOL]
        assert tail[0].content == "needs approval: touch made.txt"
        assert tail[1].content.startswith("not run: waiting for the user to approve")
        assert [c.name for c, _ in result.tool_calls] == ["run_shell"]

        # The user approves; the turn continues from the history, without a new message.
        session.tool_ctx.approved_commands.add("touch made.txt")
        again = await session.run_turn(None)
        requests = srv.chat_requests

    assert again.stop_reason == "done" and again.text == "Created made.txt."
    assert (ws / "made.txt").exists()
    assert requests[1].texts("user") == ["create made.txt"]
    record = await store.load("chat1")
    assert record is not None and sum(m.role is Role.USER for m in record.messages) == 1


async def test_round_cap(make: Any, ws: Path) -> None:
    def listing(req: ChatRequest) -> Reply:
        return Reply.tool("list_dir", {"path": f"d{req.index}"})

    for i in range(5):
        (ws / f"d{i}").mkdir()
    with FakeModelServer(listing) as srv:
        session, _ = make(srv, agent=AgentSettings(max_tool_rounds=3))
        result = await session.run_turn("look around")
        assert len(srv.chat_requests) == 3
    assert result.stop_reason == "round_cap" and result.rounds == 3
    assert len(result.tool_calls) == 3


# --- what is (not) sent --------------------------------------------------------------------------


async def test_thinking_is_never_fed_back(make: Any, ws: Path, store: SessionStore) -> None:
    (ws / "a.txt").write_text("data")
    script = ScriptedHandler(
        [
            Reply(thinking="SECRET-PLAN-1", tool_calls=(FakeToolCall("read_file", {"path": "a.txt"}),)),
            Reply(text="The file holds data.", thinking="SECRET-PLAN-2", think_tags=True),
            Reply(text="Still data.", thinking="SECRET-PLAN-3"),
        ]
    )
    with FakeModelServer(script) as srv:
        session, events = make(srv)
        first = await session.run_turn("read a.txt")
        second = await session.run_turn("and again?")
        requests = srv.chat_requests

    assert first.text == "The file holds data." and second.text == "Still data."
    for req in requests:
        assert "SECRET" not in all_content(req)
        assert all("thinking" not in m for m in req.messages)
    thinking = "".join(e.text for e in events if isinstance(e, ThinkingChunk))
    assert "SECRET-PLAN-1" in thinking and "SECRET-PLAN-2" in thinking
    # Kept in the record for the user, never in the content.
    record = await store.load("chat1")
    assert record is not None
    kept = [m.thinking for m in record.messages if m.role is Role.ASSISTANT]
    assert kept == ["SECRET-PLAN-1", "SECRET-PLAN-2", "SECRET-PLAN-3"]
    assert all("SECRET" not in m.content for m in record.messages)


async def test_calls_inside_thinking_are_not_run(make: Any, ws: Path) -> None:
    text_reply = Reply(
        text="Nothing to do.",
        thinking='maybe {"name": "write_file", "arguments": {"path": "x.txt", "content": "no"}}',
        think_tags=True,
    )
    with FakeModelServer(ScriptedHandler([text_reply])) as srv:
        session, _ = make(srv)
        result = await session.run_turn("hi")
    assert result.stop_reason == "done" and result.tool_calls == []
    assert not (ws / "x.txt").exists()


async def test_long_tool_results_are_clipped_before_the_model_sees_them(make: Any, ws: Path) -> None:
    (ws / "big.txt").write_text("".join(f"line {i:05d}\n" for i in range(3000)))
    script = ScriptedHandler([Reply.tool("read_file", {"path": "big.txt"}), "It is long."])
    with FakeModelServer(script) as srv:
        session, events = make(srv, agent=AgentSettings(tool_result_max_chars=600))
        result = await session.run_turn("read big.txt")
        sent = srv.chat_requests[1].tool_results[0]

    full = result.tool_calls[0][1].output
    assert len(full) > 5000  # the tool's own limit, not ours
    assert len(sent) <= 600
    assert sent.startswith("big.txt (") and "characters cut ...]" in sent
    finished = next(e for e in events if isinstance(e, ToolFinished))
    assert finished.sent_to_model == sent and finished.result.output == full


async def test_old_history_is_dropped_to_fit_num_ctx(make: Any, store: SessionStore) -> None:
    old = [
        ChatMessage(role=Role.USER, content="old question " + "x" * 3000),
        ChatMessage(role=Role.ASSISTANT, content="old answer " + "y" * 3000),
    ]
    await store.save(ChatSessionRecord(key="chat1", messages=old))
    with FakeModelServer(ScriptedHandler(["fresh answer"])) as srv:
        session, events = make(srv, num_ctx=2048, agent=AgentSettings(reply_budget_tokens=256))
        result = await session.run_turn("new question")
        req = srv.chat_requests[0]

    assert result.text == "fresh answer"
    assert [m["role"] for m in req.messages] == ["system", "user"]
    assert req.last_user_text == "new question"
    assert "[2 earlier messages omitted to fit the context window]" in req.system_text
    [info] = [e for e in events if isinstance(e, ContextInfo)]
    assert info.dropped_messages == 2 and info.num_ctx == 2048
    assert result.dropped_messages == 2
    # Dropped from the request only; the record keeps everything.
    assert len(session.messages) == 4


async def test_server_side_truncation_is_reported(make: Any) -> None:
    with FakeModelServer(ScriptedHandler([Reply(text="hm", prompt_eval_count=2048)])) as srv:
        session, events = make(srv, num_ctx=2048)
        result = await session.run_turn("hello")
    [info] = [e for e in events if isinstance(e, ContextInfo)]
    assert info.truncated and info.prompt_tokens == 2048 and info.measured
    assert result.truncated


async def test_runner_style_prompt_without_history(make: Any, store: SessionStore) -> None:
    await store.save(
        ChatSessionRecord(key="chat1", messages=[ChatMessage(role=Role.USER, content="earlier round prompt")])
    )
    with FakeModelServer(ScriptedHandler(["step done"])) as srv:
        session, _ = make(srv)
        await session.run_turn(
            "GOAL: ...\nSTEP 2 of 3: do it", send_history=False, record_as="[step 2 round 1]"
        )
        req = srv.chat_requests[0]
    assert [m["role"] for m in req.messages] == ["system", "user"]
    assert req.last_user_text == "GOAL: ...\nSTEP 2 of 3: do it"
    record = await store.load("chat1")
    assert record is not None
    assert [m.content for m in record.messages] == ["earlier round prompt", "[step 2 round 1]", "step done"]


async def test_messages_appended_to_the_store_are_picked_up(make: Any, store: SessionStore) -> None:
    with FakeModelServer(ScriptedHandler(["first", "second"])) as srv:
        session, _ = make(srv)
        await session.run_turn("one")
        await store.append_message(
            "chat1", ChatMessage(role=Role.ASSISTANT, content="Task 7 finished: done.")
        )
        await session.run_turn("two")
        req = srv.chat_requests[1]
    assert "Task 7 finished: done." in req.texts("assistant")


# --- errors and events ---------------------------------------------------------------------------


async def test_llm_error_propagates_and_the_turn_can_continue(
    make: Any, ws: Path, store: SessionStore
) -> None:
    (ws / "a.txt").write_text("x")
    script = ScriptedHandler(
        [Reply.tool("read_file", {"path": "a.txt"}), Reply.fail(404, "model gone"), "recovered"]
    )
    with FakeModelServer(script) as srv:
        session, _ = make(srv)
        with pytest.raises(LLMError):
            await session.run_turn("read a.txt")
        # The completed tool round is kept (and saved): retrying does not repeat the call.
        record = await store.load("chat1")
        assert record is not None
        assert [m.role for m in record.messages] == [Role.USER, Role.ASSISTANT, Role.TOOL]
        result = await session.run_turn(None)
        requests = srv.chat_requests
    assert result.text == "recovered" and result.tool_calls == []
    assert [m["role"] for m in requests[2].messages] == ["system", "user", "assistant", "tool"]


async def test_async_event_callback_is_awaited(ws: Path) -> None:
    seen: list[str] = []

    async def on_event(event: TurnEvent) -> None:
        seen.append(type(event).__name__)

    with FakeModelServer(ScriptedHandler(["hello"])) as srv:
        client = OllamaClient(srv.llm_settings())
        try:
            session = ChatSession(
                "k",
                client,
                default_registry(),
                ToolContext(workspace=ws, settings=ToolSettings()),
                AgentSettings(),
                on_event=on_event,
            )
            result = await session.run_turn("hi")
        finally:
            await client.aclose()
    assert result.text == "hello"
    assert seen[0] == "TurnStarted" and seen[-1] == "TurnFinished"
    assert "TextChunk" in seen and "ContextInfo" in seen and "AssistantReply" in seen
    assert session.num_ctx == client.num_ctx


async def test_cached_prompt_counts_do_not_pass_for_context_use(make: Any) -> None:
    # Ollama reports only the uncached tail of a prompt it has partly seen before.
    with FakeModelServer(ScriptedHandler([Reply(text="hm", prompt_eval_count=5)])) as srv:
        session, events = make(srv)
        ratio = session.estimator.ratio
        await session.run_turn("hello")
    [info] = [e for e in events if isinstance(e, ContextInfo)]
    assert not info.measured and info.prompt_tokens > 100
    assert session.estimator.ratio == ratio


async def test_continuing_a_runner_turn_resends_the_long_prompt(make: Any, ws: Path) -> None:
    (ws / "a.txt").write_text("x")
    script = ScriptedHandler([Reply.tool("read_file", {"path": "a.txt"}), Reply.fail(500, "boom"), "done"])
    with FakeModelServer(script) as srv:
        session, _ = make(srv)
        with pytest.raises(LLMError):
            await session.run_turn("FULL STEP PROMPT", send_history=False, record_as="[step 1]")
        assert session.mid_turn
        result = await session.run_turn(None, send_history=False)
        requests = srv.chat_requests
    assert result.text == "done" and not session.mid_turn
    assert requests[-1].texts("user") == ["FULL STEP PROMPT"]
    assert [m.content for m in session.messages if m.role is Role.USER] == ["[step 1]"]


async def test_openai_protocol_round_trip_with_broken_arguments_and_a_skipped_call(
    make: Any, ws: Path
) -> None:
    (ws / "a.txt").write_text("hello")
    script = ScriptedHandler(
        [
            Reply(
                tool_calls=(
                    FakeToolCall("read_file", "{'path': 'a.txt'"),
                    FakeToolCall("run_shell", {"command": "touch z"}),
                    FakeToolCall("list_dir", {"path": "."}),
                )
            ),
            "It says hello.",
        ]
    )
    with FakeModelServer(script) as srv:
        session, _ = make(srv, api="openai")
        first = await session.run_turn("read a.txt then touch z")
        session.tool_ctx.approved_commands.add("touch z")
        assert first.stop_reason == "approval"
        second = await session.run_turn(None)
        requests = srv.chat_requests
    assert first.tool_calls[0][1].ok and "hello" in first.tool_calls[0][1].output
    # Every call in the assistant message has an answer with its id, the skipped one included.
    sent = requests[1].messages
    call_ids = [c["id"] for c in sent[2]["tool_calls"]]
    assert [m["tool_call_id"] for m in sent[3:]] == call_ids
    assert second.text == "It says hello."


async def test_a_reply_without_a_tool_call_is_nudged_once_in_the_same_turn(make: Any, ws: Path) -> None:
    script = ScriptedHandler(
        [
            "DONE: wrote it.",  # the claim, with nothing done
            Reply.tool("write_file", {"path": "a.txt", "content": "hi"}),
            "DONE: wrote a.txt.",
        ]
    )
    with FakeModelServer(script) as srv:
        session, events = make(srv)
        result = await session.run_turn(
            "GOAL: write a.txt", send_history=False, record_as="[step 1]", nudge="Call a tool now."
        )
        requests = srv.chat_requests
    assert result.nudged and result.text == "DONE: wrote a.txt."
    assert (ws / "a.txt").read_text() == "hi"
    # The nudge went back with the long prompt and the model's own claim, once.
    assert [m["role"] for m in requests[1].messages] == ["system", "user", "assistant", "user"]
    assert requests[1].messages[1]["content"] == "GOAL: write a.txt"
    assert requests[1].last_user_text == "Call a tool now."
    assert [e.reply for e in events if isinstance(e, Nudged)] == ["DONE: wrote it."]


async def test_a_second_reply_without_a_tool_call_ends_the_turn(make: Any) -> None:
    with FakeModelServer(ScriptedHandler(["DONE.", "DONE, really."])) as srv:
        session, _ = make(srv)
        result = await session.run_turn("GOAL: x", send_history=False, nudge="Call a tool now.")
        assert len(srv.chat_requests) == 2
    assert result.nudged and result.stop_reason == "done" and result.text == "DONE, really."
