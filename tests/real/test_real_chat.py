"""The shared chat loop against a real model server: streaming, a tool call, its result, the answer.

Shape, not wording: a 135M model's sentences are noise, but the protocol must hold. On the CI
server (protocol mode, see scripts/llama_serve.py) a user message that names one tool gets that
tool forced, because SmolLM2-135M does not call tools on its own; the reply after the tool result
is the model's own, unforced.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from smallclaw_tui.agent.events import (
    AssistantReply,
    TextChunk,
    ToolFinished,
    ToolStarted,
    TurnEvent,
    TurnFinished,
    TurnStarted,
)
from smallclaw_tui.agent.session import ChatSession
from smallclaw_tui.config import Settings
from smallclaw_tui.doctor import run_doctor
from smallclaw_tui.llm.openai import OpenAIClient
from smallclaw_tui.models import Role
from smallclaw_tui.store.sessions import SessionStore
from smallclaw_tui.tools.base import ToolContext
from smallclaw_tui.tools.registry import default_registry

pytestmark = [pytest.mark.real_model, pytest.mark.timeout(600)]


async def test_turn_streams_and_round_trips_a_tool_call(
    workspace: Path, real_settings: Settings, real_client: OpenAIClient
) -> None:
    (workspace / "notes.txt").write_text("the password is pineapple\n", encoding="utf-8")
    events: list[TurnEvent] = []
    store = SessionStore(real_settings.data_dir)
    session = ChatSession(
        "real_chat",
        real_client,
        default_registry(),
        ToolContext(workspace=workspace, settings=real_settings.tools, approver=None),
        real_settings.agent,
        num_ctx=real_settings.llm.num_ctx,
        store=store,
        on_event=events.append,
    )

    result = await session.run_turn("Use read_file to read notes.txt, then tell me what it says.")

    assert isinstance(events[0], TurnStarted) and isinstance(events[-1], TurnFinished)
    started = [e for e in events if isinstance(e, ToolStarted)]
    finished = [e for e in events if isinstance(e, ToolFinished)]
    assert started, f"no tool call in the turn; the model said: {result.text[:200]!r}"
    assert [e.call.id for e in finished] == [e.call.id for e in started]
    first = finished[0]
    assert first.call.name in default_registry().names()
    # The tool really ran: a result the model can cite (ok, or an error it can act on).
    assert first.sent_to_model.strip()

    # The result went back to the model and it replied again, streaming text.
    replies = [e for e in events if isinstance(e, AssistantReply)]
    assert len(replies) >= 2 and replies[0].tool_calls
    later_chunks = [e for e in events if isinstance(e, TextChunk) and e.round > first.round]
    assert later_chunks, "the reply after the tool result was not streamed as text"
    assert result.rounds >= 2
    assert result.stop_reason in ("done", "round_cap")
    if result.stop_reason == "done":
        assert result.text.strip()

    # The history holds the call, its answer with the same id, and the final reply: what an
    # OpenAI-style server needs to accept the next turn.
    history = session.messages
    assert [m.role for m in history[:3]] == [Role.USER, Role.ASSISTANT, Role.TOOL]
    assert history[2].tool_call_id == history[1].tool_calls[0].id
    record = await store.load("real_chat")
    assert record is not None and len(record.messages) == len(history)


async def test_next_turn_is_accepted_with_tool_history(
    workspace: Path, real_settings: Settings, real_client: OpenAIClient
) -> None:
    """A second turn sends the first turn's tool call and result back; the server must take it."""
    (workspace / "a.txt").write_text("alpha\n", encoding="utf-8")
    session = ChatSession(
        "real_two_turns",
        real_client,
        default_registry(),
        ToolContext(workspace=workspace, settings=real_settings.tools, approver=None),
        real_settings.agent,
        num_ctx=real_settings.llm.num_ctx,
    )
    await session.run_turn("Use list_dir to list the folder.")
    second = await session.run_turn("Thanks. Say goodbye in one short sentence.")
    assert second.stop_reason in ("done", "round_cap")
    assert second.rounds >= 1


async def test_doctor_reports_against_the_real_server(real_settings: Settings) -> None:
    report = await run_doctor(real_settings)
    checks = {c.name: c for c in report}
    assert list(checks) == ["server", "model", "context", "tool call", "tool mode", "speed", "sandbox"]
    assert checks["server"].ok and checks["model"].ok, checks
    # Whether a 135M model calls the tool is not the app's business; that doctor asked is.
    assert not checks["tool call"].skipped and checks["tool call"].detail
    assert not checks["speed"].skipped


def test_cli_chat_and_doctor_run_against_the_server(workspace: Path, real_settings: Settings) -> None:
    env = {
        **os.environ,
        "SMALLCLAW_LLM__API": "openai",
        "SMALLCLAW_LLM__BASE_URL": real_settings.llm.base_url,
        "SMALLCLAW_LLM__MODEL": real_settings.llm.model,
        "SMALLCLAW_LLM__NUM_CTX": str(real_settings.llm.num_ctx),
        "SMALLCLAW_LLM__NUM_PREDICT": "48",
        "SMALLCLAW_AGENT__MAX_TOOL_ROUNDS": "2",
    }
    cli = [sys.executable, "-m", "smallclaw_tui"]
    chat = subprocess.run(
        [*cli, "chat", "Say hello in five words."],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert chat.returncode == 0, chat.stderr
    assert chat.stdout.strip(), "no reply text on stdout"
    doctor = subprocess.run(
        [*cli, "doctor"], cwd=workspace, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    lines = doctor.stdout.splitlines()
    assert lines[0].startswith("ok") and "server" in lines[0], doctor.stdout
    assert any(line.split()[:2] == ["ok", "model"] for line in lines), doctor.stdout
