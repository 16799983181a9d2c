"""Outbound: each runner event becomes the right message in the right chat, once, and is journaled."""

from __future__ import annotations

import time

import pytest
from tg_helpers import (
    FAST,
    GROUP,
    OWNER,
    adapter_for,
    completed_task,
    deliveries,
    stuck_task,
    telegram_origin,
    until,
)

from smallclaw_tui.models import TaskStatus
from smallclaw_tui.runner.events import (
    Delivered,
    NeedsAssistance,
    RunnerEvent,
    TaskCompleted,
    TaskFailed,
    TaskUpdated,
)
from smallclaw_tui.runner.runner import BackgroundTaskRunner
from smallclaw_tui.telegram import maybe_start_telegram
from smallclaw_tui.telegram.text import utf16_len
from smallclaw_tui.testing.fake_telegram import FakeTelegramServer


async def test_completion_goes_to_the_configured_chat_as_plain_text_and_is_journaled(
    tg: FakeTelegramServer, runner: BackgroundTaskRunner
) -> None:
    events: list[RunnerEvent] = []
    runner.bus.on(events.append)
    task = await completed_task(runner, "Tidy *notes* [x](http://evil)", "Moved 3 files into notes/.")
    async with adapter_for(runner, tg.settings(chat_id=OWNER)):
        runner.bus.publish(TaskCompleted(task.id, task.final_summary or ""))
        (msg,) = await tg.wait_for_sent(1)
        await until(lambda: deliveries(runner.tasks[task.id]), what="delivery journal entry")
    assert msg.chat_id == OWNER
    assert f"Task {task.id} is done: Tidy *notes* [x](http://evil)" in msg.text
    assert "Moved 3 files into notes/." in msg.text
    # Plain text: nothing in the request could make Telegram parse markup.
    assert "parse_mode" not in msg.params and "entities" not in msg.params
    assert msg.params["link_preview_options"] == {"is_disabled": True}
    (entry,) = deliveries(runner.tasks[task.id])
    assert entry.detail["ok"] is True and entry.detail["attempts"] == 1
    assert entry.detail["message_ids"] == [msg.message_id] and entry.detail["kind"] == "complete"
    on_disk = await runner.store.load(task.id)
    assert deliveries(on_disk) == [entry]
    assert any(isinstance(e, Delivered) and e.channel == "telegram" and e.ok for e in events)


async def test_a_task_from_telegram_reports_to_its_own_chat(
    tg: FakeTelegramServer, runner: BackgroundTaskRunner
) -> None:
    task = await completed_task(runner, "from the group", "ok", origin=telegram_origin(GROUP))
    async with adapter_for(runner, tg.settings(chat_id=OWNER)):
        runner.bus.publish(TaskCompleted(task.id, "ok"))
        (msg,) = await tg.wait_for_sent(1)
    assert msg.chat_id == GROUP


async def test_without_chat_id_the_single_owner_gets_it_and_with_nobody_nothing_is_sent(
    tg: FakeTelegramServer, runner: BackgroundTaskRunner
) -> None:
    first = await completed_task(runner, "one", "ok")
    async with adapter_for(runner, tg.settings(allowed_user_ids=[OWNER])):
        runner.bus.publish(TaskCompleted(first.id, "ok"))
        (msg,) = await tg.wait_for_sent(1)
    assert msg.chat_id == OWNER
    second = await completed_task(runner, "two", "ok")
    async with adapter_for(runner, tg.settings(allowed_user_ids=[1, 2])) as adapter:
        assert adapter.destination(runner.tasks[second.id]) is None
        runner.bus.publish(TaskCompleted(second.id, "ok"))
    assert len(tg.sent) == 1 and not deliveries(runner.tasks[second.id])


async def test_needs_assistance_says_why_what_command_and_how_to_answer_once_per_episode(
    tg: FakeTelegramServer, runner: BackgroundTaskRunner
) -> None:
    task = await stuck_task(
        runner, "Clean up", "waiting for approval to run: rm -rf build", pending="rm -rf build"
    )
    async with adapter_for(runner, tg.settings(chat_id=OWNER)):
        event = NeedsAssistance(task.id, "waiting for approval to run: rm -rf build", "rm -rf build")
        runner.bus.publish(event)
        runner.bus.publish(event)  # a repeat of the same news
        (msg,) = await tg.wait_for_sent(1)
        assert msg.text.startswith(f"⚠️ Task {task.id} needs you: Clean up")
        assert "Why: waiting for approval to run: rm -rf build" in msg.text
        assert "It wants to run: rm -rf build" in msg.text
        assert f"/approve {task.id}" in msg.text and "Reply to this message" in msg.text
        # The user resumes it (from anywhere); when it gets stuck again that is news again.
        await runner.resume(task.id, "try again")
        runner.tasks[task.id].transition(TaskStatus.NEEDS_ASSISTANCE, reason="still stuck")
        runner.bus.publish(NeedsAssistance(task.id, "still stuck"))
        sent = await tg.wait_for_sent(2)
        await until(lambda: len(deliveries(runner.tasks[task.id])) == 2, what="two delivery entries")
    assert len(tg.sent) == 2
    assert "Why: still stuck" in sent[1].text and "It wants to run" not in sent[1].text


async def test_model_server_outage_retries_do_not_spam_the_phone(
    tg: FakeTelegramServer, runner: BackgroundTaskRunner
) -> None:
    task = await stuck_task(runner, "t", "model server unreachable at http://x after 3 tries: refused")
    async with adapter_for(runner, tg.settings(chat_id=OWNER)):
        runner.bus.publish(
            NeedsAssistance(task.id, "model server unreachable at http://x after 3 tries: refused")
        )
        await tg.wait_for_sent(1)
        # The runner's automatic retry resumes and gets stuck the same way, with another error text.
        await runner.resume(task.id, "automatic retry: the model server may be back", auto=True)
        runner.tasks[task.id].transition(TaskStatus.NEEDS_ASSISTANCE, reason="again")
        runner.bus.publish(
            NeedsAssistance(task.id, "model server unreachable at http://x after 3 tries: timeout")
        )
        runner.bus.publish(TaskCompleted(task.id, "fine in the end"))
        sent = await tg.wait_for_sent(2)
    assert len(sent) == 2 and "is done" in sent[1].text


async def test_failed_is_delivered_once_whether_it_comes_as_event_or_status(
    tg: FakeTelegramServer, runner: BackgroundTaskRunner
) -> None:
    task = await runner.create_task("explode", title="Explode")
    task.transition(TaskStatus.RUNNING)
    task.transition(TaskStatus.FAILED, reason="internal error: boom")
    async with adapter_for(runner, tg.settings(chat_id=OWNER)):
        runner.bus.publish(TaskUpdated(task))  # how the runner reports an executor crash today
        runner.bus.publish(TaskFailed(task.id, "internal error: boom"))
        (msg,) = await tg.wait_for_sent(1)
        await until(lambda: deliveries(runner.tasks[task.id]), what="delivery entry")
    assert msg.text.startswith(f"❌ Task {task.id} failed: Explode")
    assert "internal error: boom" in msg.text and f"/resume {task.id}" in msg.text
    assert len(tg.sent) == 1


async def test_a_long_summary_is_split_at_the_limit_on_word_boundaries(
    tg: FakeTelegramServer, runner: BackgroundTaskRunner
) -> None:
    words = [f"word{i:03d}" for i in range(90)]  # ~720 characters
    summary = " ".join(words[:30]) + "\n\n" + " ".join(words[30:60]) + "\n" + " ".join(words[60:])
    task = await completed_task(runner, "Long", summary)
    async with adapter_for(runner, tg.settings(chat_id=OWNER, max_message_chars=300)):
        runner.bus.publish(TaskCompleted(task.id, summary))
        await until(lambda: deliveries(runner.tasks[task.id]), what="delivery entry")
    parts = [m.text for m in tg.sent]
    assert len(parts) >= 3
    assert all(utf16_len(p) <= 300 for p in parts)
    assert [p.rsplit(" (", 1)[1] for p in parts] == [f"{i}/{len(parts)})" for i in range(1, len(parts) + 1)]
    joined = " ".join(p.rsplit(" (", 1)[0] for p in parts)
    assert joined.split()[-90:] == words  # every word, in order, none cut in half
    (entry,) = deliveries(runner.tasks[task.id])
    assert entry.detail["parts"] == len(parts) and len(entry.detail["message_ids"]) == len(parts)


async def test_a_huge_summary_is_clipped_to_a_few_messages_with_a_pointer_to_the_rest(
    tg: FakeTelegramServer, runner: BackgroundTaskRunner
) -> None:
    summary = "🙂 emoji count twice in UTF-16. " * 2000
    task = await completed_task(runner, "Huge", summary)
    async with adapter_for(runner, tg.settings(chat_id=OWNER, max_message_chars=4096)):
        runner.bus.publish(TaskCompleted(task.id, summary))
        await until(lambda: deliveries(runner.tasks[task.id]), what="delivery entry")
    assert len(tg.sent) == FAST.max_parts
    assert all(utf16_len(m.text) <= 4096 for m in tg.sent)  # the fake refuses longer ones anyway
    assert f"full summary: smallclaw task show {task.id}" in tg.sent[-1].text


# python-telegram-bot's own RetryAfter constructor warns about its future timedelta type.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_429_is_waited_out_for_retry_after_then_sent(
    tg: FakeTelegramServer, runner: BackgroundTaskRunner
) -> None:
    task = await completed_task(runner, "Rate limited", "ok")
    tg.fail_next("sendMessage", status=429, retry_after=1)
    async with adapter_for(runner, tg.settings(chat_id=OWNER)):
        runner.bus.publish(TaskCompleted(task.id, "ok"))
        await tg.wait_for_sent(1, timeout=5)
        await until(lambda: deliveries(runner.tasks[task.id]), what="delivery entry")
    calls = tg.calls_of("sendMessage")
    assert len(calls) == 2
    assert calls[1].at - calls[0].at >= 0.95  # retry_after=1, not the 0.02 s backoff
    (entry,) = deliveries(runner.tasks[task.id])
    assert entry.detail["ok"] is True and entry.detail["attempts"] == 2


async def test_an_error_retrying_cannot_fix_is_journaled_once_without_retries(
    tg: FakeTelegramServer, runner: BackgroundTaskRunner
) -> None:
    task = await completed_task(runner, "Blocked", "ok")
    tg.fail_next("sendMessage", status=403)
    async with adapter_for(runner, tg.settings(chat_id=OWNER)):
        runner.bus.publish(TaskCompleted(task.id, "ok"))
        await until(lambda: deliveries(runner.tasks[task.id]), what="delivery entry")
    assert len(tg.calls_of("sendMessage")) == 1 and not tg.sent
    (entry,) = deliveries(runner.tasks[task.id])
    assert entry.detail["ok"] is False and "blocked by the user" in entry.detail["error"]


async def test_a_group_upgraded_to_a_supergroup_gets_the_message_at_its_new_id(
    tg: FakeTelegramServer, runner: BackgroundTaskRunner
) -> None:
    task = await completed_task(runner, "Moved", "ok", origin=telegram_origin(GROUP))
    tg.fail_next("sendMessage", status=400, migrate_to_chat_id=GROUP * 10)
    async with adapter_for(runner, tg.settings()):
        runner.bus.publish(TaskCompleted(task.id, "ok"))
        (msg,) = await tg.wait_for_sent(1)
        await until(lambda: deliveries(runner.tasks[task.id]), what="delivery entry")
    assert msg.chat_id == GROUP * 10
    assert deliveries(runner.tasks[task.id])[0].detail["chat_id"] == GROUP * 10


async def test_stop_journals_what_could_not_be_sent(runner: BackgroundTaskRunner) -> None:
    tg = FakeTelegramServer()  # never started: nothing listens
    tg.start()
    tg.stop()
    task = await completed_task(runner, "Lost", "ok")
    async with adapter_for(runner, tg.settings(chat_id=OWNER)) as adapter:
        runner.bus.publish(TaskCompleted(task.id, "ok"))
        await until(lambda: deliveries(runner.tasks[task.id]), what="first failure entry")
        started = time.monotonic()
        await adapter.stop(grace_s=0.2)
        assert time.monotonic() - started < 3  # an outage does not hold up shutdown
    first, last = deliveries(runner.tasks[task.id])
    assert first.detail["retrying"] is True and first.detail["ok"] is False
    assert last.detail["ok"] is False and "not sent before smallclaw stopped" in last.content
    # Not lost: it waits in the outbox for the next start (see test_telegram_durable_outbox.py).
    assert last.detail["queued"] is True and "queued for the next start" in last.content


async def test_no_token_means_no_adapter(runner: BackgroundTaskRunner) -> None:
    assert await maybe_start_telegram(runner.settings, runner) is None
