"""Approving from the phone: only a command shown whole, and with nothing in it hidden."""

from __future__ import annotations

from tg_helpers import OWNER, adapter_for, stuck_task

from smallclaw_tui.models import TaskStatus
from smallclaw_tui.runner.events import NeedsAssistance
from smallclaw_tui.runner.runner import BackgroundTaskRunner
from smallclaw_tui.testing.fake_telegram import FakeTelegramServer, SentMessage

# Drawn as "rm -rf ~/txt.exe" reversed at the end, with a zero-width space no one would see.
HIDDEN = "rm -rf ~/\u202eexe.txt\u200b; echo \u2066ok\u2069\u2028done\ufeff"
SHOWN = "rm -rf ~/\\u202eexe.txt\\u200b; echo \\u2066ok\\u2069\\u2028done\\ufeff"
INVISIBLE = "\u202e\u200b\u2066\u2069\u2028\ufeff"


async def ask(tg: FakeTelegramServer, text: str) -> SentMessage:
    before = len(tg.sent)
    tg.user_message(text, user_id=OWNER)
    return (await tg.wait_for_sent(before + 1))[before]


async def test_approve_shows_the_whole_command_it_approves(
    tg: FakeTelegramServer, runner: BackgroundTaskRunner
) -> None:
    command = "printf '%s\\n' " + " ".join(f"word{i:04d}" for i in range(300)) + " > words.txt"
    assert len(command) > 2000
    task = await stuck_task(runner, "Words", f"waiting for approval to run: {command}", pending=command)
    async with adapter_for(runner, tg.settings(allowed_user_ids=[OWNER])):
        answer = await ask(tg, f"/approve {task.id}")
    assert command in answer.text and "…" not in answer.text
    assert runner.tasks[task.id].approved_commands == [command]


async def test_approve_refuses_a_command_too_long_for_one_message(
    tg: FakeTelegramServer, runner: BackgroundTaskRunner
) -> None:
    command = "echo " + "x" * 700
    task = await stuck_task(runner, "Long", "waiting for approval to run: the long one", pending=command)
    async with adapter_for(runner, tg.settings(allowed_user_ids=[OWNER], max_message_chars=500)):
        answer = await ask(tg, f"/approve {task.id}")
    assert "too long" in answer.text and f"smallclaw task approve {task.id}" in answer.text
    assert "the app" in answer.text and "x" * 100 not in answer.text
    t = runner.tasks[task.id]
    assert t.status == TaskStatus.NEEDS_ASSISTANCE and t.approved_commands == []
    assert t.pending_approval is not None and t.pending_approval.command == command


async def test_needs_you_says_when_a_command_is_too_long_to_approve_here(
    tg: FakeTelegramServer, runner: BackgroundTaskRunner
) -> None:
    command = "echo " + "x" * 700
    task = await stuck_task(runner, "Long", "waiting for approval", pending=command)
    async with adapter_for(runner, tg.settings(chat_id=OWNER, max_message_chars=500)):
        runner.bus.publish(NeedsAssistance(task.id, "waiting for approval", command))
        sent = await tg.wait_for_sent(1)
    text = "\n".join(m.text for m in sent)
    assert "too long" in text and f"smallclaw task approve {task.id}" in text
    assert f"/approve {task.id}" not in text


async def test_invisible_characters_are_shown_wherever_a_command_waits_for_approval(
    tg: FakeTelegramServer, runner: BackgroundTaskRunner
) -> None:
    task = await stuck_task(runner, "Tidy", f"waiting for approval to run: {HIDDEN}", pending=HIDDEN)
    async with adapter_for(runner, tg.settings(allowed_user_ids=[OWNER], chat_id=OWNER)):
        runner.bus.publish(NeedsAssistance(task.id, f"waiting for approval to run: {HIDDEN}", HIDDEN))
        (needs,) = await tg.wait_for_sent(1)
        detail = await ask(tg, f"/task {task.id}")
        approved = await ask(tg, f"/approve {task.id}")
    for message in (needs, detail, approved):
        assert SHOWN in message.text, message.text
        assert not any(ch in message.text for ch in INVISIBLE), message.text
    assert runner.tasks[task.id].approved_commands == [HIDDEN]  # shown escaped, approved as it is
