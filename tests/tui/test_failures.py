"""Background work that fails says so: a chat reply, the server probe, the runner's event stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC
from pathlib import Path
from typing import Any

from textual.message import Message
from textual.notifications import Notify
from tui_helpers import type_text, until

from smallclaw_tui.llm.base import LLMEvent
from smallclaw_tui.models import ChatMessage, ToolCall
from smallclaw_tui.runner.events import TaskUpdated, ToolCallStarted
from smallclaw_tui.tui.app import AppOptions, SmallClawApp
from smallclaw_tui.tui.demo import (
    CHAT_KEY,
    RUNNING_ID,
    DemoClient,
    FrozenRunner,
    demo_app,
    demo_deps,
    settled,
    write_demo_workspace,
)
from smallclaw_tui.tui.widgets.chat_pane import ChatInput, Transcript

QUEUED_ID = "d4a7e000"


class BrokenStream(DemoClient):
    """Answers the probe, then fails every reply with an error no client code expects."""

    async def stream_chat(
        self, messages: list[ChatMessage], *args: Any, **kwargs: Any
    ) -> AsyncIterator[LLMEvent]:
        raise RuntimeError("kaput \x1b[2J")
        yield  # pragma: no cover  (makes this an async generator)


class FlakyProbe(DemoClient):
    """The first model listing fails with a surprise; later ones work."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    async def list_models(self) -> list[str]:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("the probe tripped")
        return await super().list_models()


def _notes(seen: list[Message]) -> list[str]:
    return [m.notification.message for m in seen if isinstance(m, Notify)]


async def test_a_chat_reply_that_fails_unexpectedly_says_so_and_the_chat_goes_on(tmp_path: Path) -> None:
    app = demo_app(tmp_path, client=BrokenStream())
    seen: list[Message] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await until(pilot, lambda: settled(app), "the demo")
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.focused, ChatInput), "the chat input")
        await type_text(pilot, "hello")
        await pilot.press("enter")
        log = app.query_one(Transcript)
        await until(
            pilot, lambda: any("kaput" in b.text for b in log.blocks if b.kind == "error"), "the error"
        )
        assert any("the chat reply failed: RuntimeError: kaput" in n for n in _notes(seen))
        assert all("\x1b" not in n for n in _notes(seen))
        assert not app.chat.busy
        await type_text(pilot, "again")
        await pilot.press("enter")
        await until(
            pilot, lambda: [b.text for b in log.blocks if b.kind == "user"][-1:] == ["again"], "resend"
        )
        assert not any("still answering" in b.text for b in log.blocks)


async def test_a_probe_that_fails_unexpectedly_reports_unreachable_then_recovers(tmp_path: Path) -> None:
    write_demo_workspace(tmp_path)
    client = FlakyProbe()
    deps = demo_deps(tmp_path, client)
    options = AppOptions(chat_key=CHAT_KEY, tz=UTC, cursor_blink=False, refresh_s=0.0, probe_interval_s=0.1)
    app = SmallClawApp(deps, FrozenRunner(deps), options)
    seen: list[Message] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await until(pilot, lambda: app.runner_ready, "the runner")
        log = app.chat.transcript
        await until(pilot, lambda: any(b.text == "Model server is back." for b in log.blocks), "recovery")
        assert app.status.info.server == "ready"
        # Not stuck on "connecting": the surprise counted as unreachable, and said why.
        errors = [b.text for b in log.blocks if b.kind == "error"]
        assert any(e.startswith("Model server unreachable: RuntimeError: the probe tripped") for e in errors)
        assert any(
            "checking the model server failed: RuntimeError: the probe tripped" in n for n in _notes(seen)
        )
        assert client.calls >= 2


async def test_an_event_the_adapter_cannot_fold_does_not_freeze_the_board(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    seen: list[Message] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await until(pilot, lambda: settled(app), "the demo")
        runner = app.runner
        # Arguments that are not JSON (bytes from a misbehaving tool, say): folding them fails.
        runner.bus.publish(ToolCallStarted(RUNNING_ID, ToolCall(name="odd", arguments={"blob": b"\x00"})))
        await until(pilot, lambda: any("could not be shown" in n for n in _notes(seen)), "the report")
        task = runner.tasks[QUEUED_ID]
        task.title = "Renamed after the bad event"
        runner.bus.publish(TaskUpdated(task))
        await until(
            pilot,
            lambda: "Renamed after the bad event" in str(app.detail.query_one("#detail-head").render()),
            "the board and detail to keep updating",
        )
