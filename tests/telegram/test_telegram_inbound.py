"""Inbound: allowlisted users drive the runner from the phone; anyone else gets nothing at all."""

from __future__ import annotations

import logging

import pytest
from tg_helpers import (
    GROUP,
    OWNER,
    STRANGER,
    adapter_for,
    completed_task,
    stuck_task,
)

from smallclaw_tui.models import ChannelKind, TaskStatus
from smallclaw_tui.runner.events import NeedsAssistance
from smallclaw_tui.runner.runner import BackgroundTaskRunner
from smallclaw_tui.telegram.commands import parse_command
from smallclaw_tui.testing.fake_telegram import FakeTelegramServer, SentMessage


async def ask(tg: FakeTelegramServer, text: str, *, user_id: int = OWNER, **kw: object) -> SentMessage:
    """Send `text` as the user and return the bot's answer (the next message it sends)."""
    before = len(tg.sent)
    tg.user_message(text, user_id=user_id, **kw)  # type: ignore[arg-type]
    sent = await tg.wait_for_sent(before + 1)
    return sent[before]


async def test_commands_from_the_owner(tg: FakeTelegramServer, runner: BackgroundTaskRunner) -> None:
    done = await completed_task(runner, "Old job", "all good")
    stuck = await stuck_task(
        runner, "Clean build", "waiting for approval to run: make clean", pending="make clean"
    )
    async with adapter_for(runner, tg.settings(allowed_user_ids=[OWNER])):
        answer = await ask(tg, "/tasks")
        assert answer.chat_id == OWNER and answer.reply_to_message_id is not None
        lines = answer.text.splitlines()
        assert lines[0] == "2 task(s):"
        assert lines[1].startswith(f"• {stuck.id} needs_assistance") and "Clean build" in lines[1]
        assert f"• {done.id} complete" in lines[2]

        answer = await ask(tg, f"/task {done.id[:4]}")  # a unique prefix is enough
        assert f"Task {done.id}: Old job" in answer.text and "all good" in answer.text

        answer = await ask(tg, "/new Write a haiku about tests into haiku.txt")
        new = next(t for t in runner.tasks.values() if t.prompt.startswith("Write a haiku"))
        assert new.status == TaskStatus.QUEUED
        assert new.origin.channel == ChannelKind.TELEGRAM and new.origin.telegram_chat_id == OWNER
        assert f"Queued task {new.id}" in answer.text

        answer = await ask(tg, f"/pause {new.id}")
        assert runner.tasks[new.id].status == TaskStatus.PAUSED and "Paused" in answer.text

        answer = await ask(tg, f"/resume {new.id} five lines, not three")
        assert runner.tasks[new.id].status == TaskStatus.QUEUED
        assert runner.tasks[new.id].resume_context.user_notes == ["five lines, not three"]
        assert "with your note" in answer.text

        answer = await ask(tg, f"/approve {stuck.id}")
        assert runner.tasks[stuck.id].approved_commands == ["make clean"]
        assert runner.tasks[stuck.id].status == TaskStatus.QUEUED and "make clean" in answer.text

        answer = await ask(tg, f"/cancel {new.id}")
        assert runner.tasks[new.id].status == TaskStatus.CANCELLED and "Cancelled" in answer.text

        # Mistakes get an answer that says what is wrong, and change nothing.
        assert "no task with id 'zzzz'" in (await ask(tg, "/cancel zzzz")).text
        assert "too late: the task finished" in (await ask(tg, f"/pause {done.id}")).text
        assert (await ask(tg, "/pause")).text == "Usage: /pause ID [note]"
        assert "Unknown command /frobnicate" in (await ask(tg, "/frobnicate")).text
        assert "/new GOAL" in (await ask(tg, "/help")).text
        assert "/tasks" in (await ask(tg, f"/start@{tg.username}")).text
    # Everything handled was confirmed to Telegram, so a restart does not run any of it again.
    assert tg.confirmed_offset > tg.last_update_id


async def test_strangers_get_no_answer_and_change_nothing(
    tg: FakeTelegramServer, runner: BackgroundTaskRunner, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="smallclaw_tui.telegram")
    task = await stuck_task(runner, "Secret project", "needs a password", pending="deploy --prod")
    async with adapter_for(runner, tg.settings(allowed_user_ids=[OWNER], chat_id=OWNER)):
        # The bot's own needs-you message, which a stranger might have seen forwarded.
        runner.bus.publish(NeedsAssistance(task.id, "needs a password", "deploy --prod"))
        (needs,) = await tg.wait_for_sent(1)
        tg.clear()
        for text in [
            "/start",
            "/help",
            "/tasks",
            f"/task {task.id}",
            "/new rm -rf everything",
            f"/pause {task.id}",
            f"/resume {task.id} go",
            f"/approve {task.id}",
            f"/deny {task.id}",
            f"/cancel {task.id}",
            "hello?",
        ]:
            tg.user_message(text, user_id=STRANGER)
        # A stranger in the owner's chat (a group) replying to the needs-you message.
        tg.user_message("approve it", user_id=STRANGER, chat_id=OWNER, reply_to=needs.message_id)
        # The owner, but in a group nobody configured: the answer would be public there.
        tg.user_message("/tasks", user_id=OWNER, chat_id=GROUP, chat_type="supergroup")
        await tg.wait_until_consumed()
    assert tg.sent == [] and tg.calls_of("sendMessage") == []
    assert set(runner.tasks) == {task.id}
    t = runner.tasks[task.id]
    assert t.status == TaskStatus.NEEDS_ASSISTANCE and t.approved_commands == []
    assert t.pending_approval is not None and t.resume_context.user_notes == []
    # The owner's log says who knocked, once, so the owner can find their own id this way.
    knocks = [r.getMessage() for r in caplog.records if "ignored a message from user id" in r.getMessage()]
    assert knocks == [
        f"telegram: ignored a message from user id {STRANGER} (not in telegram.allowed_user_ids)"
    ]


async def test_empty_allowlist_means_nobody(tg: FakeTelegramServer, runner: BackgroundTaskRunner) -> None:
    async with adapter_for(runner, tg.settings(chat_id=OWNER)):
        tg.user_message("/new do something", user_id=OWNER)
        await tg.wait_until_consumed()
    assert tg.sent == [] and runner.tasks == {}


async def test_a_reply_to_a_needs_you_message_resumes_that_task_with_the_reply_as_note(
    tg: FakeTelegramServer, runner: BackgroundTaskRunner
) -> None:
    other = await stuck_task(runner, "Other", "unclear goal")
    task = await stuck_task(runner, "Write report", "which format do you want?")
    async with adapter_for(runner, tg.settings(allowed_user_ids=[OWNER])):
        runner.bus.publish(NeedsAssistance(other.id, "unclear goal"))
        runner.bus.publish(NeedsAssistance(task.id, "which format do you want?"))
        first, second = await tg.wait_for_sent(2)
        answer = await ask(tg, "Markdown, please", reply_to=second.message_id)
    assert answer.text == f"Resumed task {task.id} with your reply as a note."
    assert answer.reply_to_message_id is not None
    assert runner.tasks[task.id].status == TaskStatus.QUEUED
    assert runner.tasks[task.id].resume_context.user_notes == ["Markdown, please"]
    assert runner.tasks[other.id].status == TaskStatus.NEEDS_ASSISTANCE
    assert first.chat_id == OWNER


async def test_a_reply_still_works_after_a_restart(
    tg: FakeTelegramServer, runner: BackgroundTaskRunner
) -> None:
    task = await stuck_task(runner, "Survives", "need a name")
    settings = tg.settings(allowed_user_ids=[OWNER])
    async with adapter_for(runner, settings):
        runner.bus.publish(NeedsAssistance(task.id, "need a name"))
        (needs,) = await tg.wait_for_sent(1)
    async with adapter_for(runner, settings):  # a new process: the message_id map is gone
        answer = await ask(tg, "call it Bob", reply_to=needs.message_id)
    assert answer.text.startswith(f"Resumed task {task.id}")
    assert runner.tasks[task.id].resume_context.user_notes == ["call it Bob"]


async def test_a_reply_to_something_else_resumes_nothing(
    tg: FakeTelegramServer, runner: BackgroundTaskRunner
) -> None:
    task = await stuck_task(runner, "Stays", "why")
    async with adapter_for(runner, tg.settings(allowed_user_ids=[OWNER])):
        listing = await ask(tg, "/tasks")
        answer = await ask(tg, f"Task {task.id} needs you: ok go", reply_to=listing.message_id)
    assert "reply to its “needs you” message" in answer.text
    assert runner.tasks[task.id].status == TaskStatus.NEEDS_ASSISTANCE


def test_parse_command() -> None:
    assert parse_command("/tasks", "me_bot") == ("tasks", "")
    assert parse_command("/Resume@ME_BOT abc12 use\nthis", "me_bot") == ("resume", "abc12 use\nthis")
    assert parse_command("/tasks@other_bot", "me_bot") is None
    assert parse_command("hello", "me_bot") is None
    assert parse_command("/ spaced", "me_bot") is None
