"""Chat messages carry a time (issue 14, item 13): what was said when, in the chat's own log and in
the history it reloads, in the zone the app shows times in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from tui_helpers import World, app_env, type_text, until

from smallclaw_tui.models import ChatMessage, ChatSessionRecord, Role
from smallclaw_tui.store.sessions import SessionStore
from smallclaw_tui.tui.widgets.chat_pane import ChatInput, Transcript

NOW = datetime(2026, 3, 2, 14, 7, 30, tzinfo=UTC)


async def test_messages_show_when_they_were_said(workspace: Path) -> None:
    sessions = SessionStore(workspace / ".localclaw")
    sessions.dir.mkdir(parents=True, exist_ok=True)
    earlier = NOW - timedelta(hours=3, minutes=1)
    record = ChatSessionRecord(
        key="tui",
        messages=[
            ChatMessage(role=Role.USER, content="what is in notes.txt?", created_at=earlier),
            ChatMessage(role=Role.ASSISTANT, content="Three lines.", created_at=earlier),
        ],
    )
    sessions.path("tui").write_text(record.model_dump_json(), encoding="utf-8")
    zone = timezone(timedelta(hours=1))
    async with (
        app_env(workspace, World(), options={"tz": zone, "clock": NOW.timestamp}) as env,
        env.app.run_test(size=(120, 40)) as pilot,
    ):
        app = env.app
        await until(pilot, lambda: app.chat.history_loaded, "the history")
        log = app.query_one(Transcript)
        assert [b.label for b in log.blocks] == ["12:06 you", "12:06 model"]
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.focused, ChatInput), "the chat input to take focus")
        await type_text(pilot, "hello")
        await pilot.press("enter")
        await until(pilot, lambda: len(log.blocks) >= 4, "the reply")
        assert [b.label for b in log.blocks[2:4]] == ["15:07 you", "15:07 model"]
