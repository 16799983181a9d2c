"""The durable outbox: what Telegram did not take before smallclaw stopped goes out at the next start.

Each "restart" here is a new adapter (and, where it matters, a new runner) on the same workspace:
nothing but the files under `.localclaw/` carries over, as between two `smallclaw run` processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pydantic import SecretStr
from tg_helpers import (
    OWNER,
    adapter_for,
    completed_task,
    deliveries,
    make_runner,
    stuck_task,
    until,
)

from smallclaw_tui.models import JournalEntry, JournalType, Task, TaskStatus
from smallclaw_tui.runner.events import NeedsAssistance, TaskCompleted
from smallclaw_tui.runner.runner import BackgroundTaskRunner
from smallclaw_tui.telegram.outbox import Outgoing
from smallclaw_tui.telegram.spool import OutboxStore, new_outbox_id
from smallclaw_tui.testing import FakeModelServer
from smallclaw_tui.testing.fake_server import ChatRequest, Reply
from smallclaw_tui.testing.fake_telegram import FakeTelegramServer


def outbox_files(workspace: Path) -> list[Path]:
    folder = workspace / ".localclaw" / "outbox"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def down(tg: FakeTelegramServer) -> FakeTelegramServer:
    """Telegram unreachable: the port is known (for a later start) but nothing listens on it."""
    tg.stop()
    return tg


async def on_disk(runner: BackgroundTaskRunner, task: Task) -> list[JournalEntry]:
    return deliveries(await runner.store.load(task.id))


def store_for(workspace: Path) -> OutboxStore:
    data = workspace / ".localclaw"
    return OutboxStore(data / "outbox", data / "quarantine")


def pending(task: Task, parts: list[str], *, sent_ids: list[int] | None = None) -> Outgoing:
    """An outbox entry as an earlier run would have left it."""
    return Outgoing(
        chat_id=OWNER,
        parts=parts,
        kind="complete",
        task_id=task.id,
        sent_ids=list(sent_ids or []),
        attempts=len(sent_ids or []),
        id=new_outbox_id(),
        key="complete",
        persisted=True,
    )


async def test_telegram_down_at_stop_queues_for_the_next_start_which_delivers_once(
    workspace: Path, tg: FakeTelegramServer
) -> None:
    first_run = make_runner(workspace)
    task = await completed_task(first_run, "Nightly report", "3 files tidied.")
    down(tg)
    async with adapter_for(first_run, tg.settings(chat_id=OWNER)) as adapter:
        first_run.bus.publish(TaskCompleted(task.id, "3 files tidied."))
        await until(lambda: deliveries(first_run.tasks[task.id]), what="first failure entry")
        started = time.monotonic()
        await adapter.stop(grace_s=0.5)
        assert time.monotonic() - started < 3  # the outage does not hold up the stop
        assert adapter.left_queued == 1
    await first_run.deps.client.aclose()

    (kept,) = outbox_files(workspace)
    text = kept.read_text()
    assert "3 files tidied." in text and tg.token not in text
    retrying, queued = await on_disk(first_run, task)
    assert retrying.detail["retrying"] is True
    assert "queued for the next start" in queued.content and queued.detail["queued"] is True
    assert queued.detail["ok"] is False and queued.detail["outbox_id"] == kept.stem

    # The next start, with Telegram back: sent once, the file goes, the journal says delivered.
    tg.start()
    second_run = make_runner(workspace)
    await second_run.start()
    try:
        async with adapter_for(second_run, tg.settings(chat_id=OWNER)) as adapter:
            assert adapter.restored == 1
            (msg,) = await tg.wait_for_sent(1)
            await until(lambda: len(deliveries(second_run.tasks[task.id])) == 1, what="delivered entry")
        # A third start: nothing left to send, and the same news published again is not news.
        async with adapter_for(second_run, tg.settings(chat_id=OWNER)) as adapter:
            assert adapter.restored == 0
            other = await completed_task(second_run, "Other", "fine")
            second_run.bus.publish(TaskCompleted(task.id, "3 files tidied."))
            second_run.bus.publish(TaskCompleted(other.id, "fine"))  # in order, after the repeat
            sent = await tg.wait_for_sent(2)
            await until(lambda: deliveries(second_run.tasks[other.id]), what="other delivered")
    finally:
        await second_run.stop(grace_s=1)
        await second_run.deps.client.aclose()
    assert f"Task {task.id} is done" in msg.text and "3 files tidied." in msg.text
    assert len(sent) == 2 and f"Task {other.id}" in sent[1].text
    assert len(tg.calls_of("sendMessage")) == 2
    assert outbox_files(workspace) == []
    entries = await on_disk(second_run, task)
    assert [e.detail["outcome"] for e in entries] == ["retrying", "queued", "delivered"]
    assert entries[-1].detail["outbox_id"] == kept.stem and entries[-1].detail["message_ids"] == [
        msg.message_id
    ]


async def test_a_message_accepted_just_before_a_crash_is_not_sent_again(
    workspace: Path, tg: FakeTelegramServer, runner: BackgroundTaskRunner
) -> None:
    # The state the worker writes the moment Telegram accepts a part: part 1 of 2 went out, then
    # the process died. The next start sends part 2 only.
    task = await completed_task(runner, "Two parts", "long")
    store = store_for(workspace)
    item = pending(task, ["part one (1/2)", "part two (2/2)"], sent_ids=[77])
    assert await store.save(item)
    async with adapter_for(runner, tg.settings(chat_id=OWNER)):
        (msg,) = await tg.wait_for_sent(1)
        await until(lambda: deliveries(runner.tasks[task.id]), what="delivered entry")
    assert msg.text == "part two (2/2)"
    (entry,) = await on_disk(runner, task)
    assert entry.detail["outcome"] == "delivered" and entry.detail["message_ids"] == [77, msg.message_id]
    assert outbox_files(workspace) == []


async def test_a_delivery_recorded_before_a_crash_is_neither_sent_nor_journaled_again(
    workspace: Path, tg: FakeTelegramServer, runner: BackgroundTaskRunner
) -> None:
    task = await completed_task(runner, "Done already", "ok")
    store = store_for(workspace)
    everything_sent = pending(task, ["the message"], sent_ids=[5])
    recorded = pending(task, ["another message"], sent_ids=[6])
    assert await store.save(everything_sent) and await store.save(recorded)
    # Died after journaling `recorded` (before removing its file), and before journaling the other.
    entry = JournalEntry(
        type=JournalType.DELIVERY,
        content="telegram: delivered complete to chat 4242 (1 message, 1 attempt(s))",
        detail={"channel": "telegram", "ok": True, "outcome": "delivered", "outbox_id": recorded.id},
    )
    await runner.store.append_journal(runner.tasks[task.id], entry)
    async with adapter_for(runner, tg.settings(chat_id=OWNER)) as adapter:
        assert adapter.restored == 1
        await until(lambda: len(deliveries(runner.tasks[task.id])) == 2, what="the missing entry")
        await until(lambda: not outbox_files(workspace), what="outbox emptied")
    assert tg.calls_of("sendMessage") == []
    first, second = await on_disk(runner, task)
    assert first.detail["outbox_id"] == recorded.id
    assert second.detail["outbox_id"] == everything_sent.id and second.detail["message_ids"] == [5]


async def test_a_corrupt_outbox_file_is_quarantined_and_the_rest_delivered(
    workspace: Path, tg: FakeTelegramServer, runner: BackgroundTaskRunner
) -> None:
    task = await completed_task(runner, "Survivor", "ok")
    store = store_for(workspace)
    good = pending(task, ["still here"])
    assert await store.save(good)
    folder = store.folder
    (folder / "20200101T000000000000-aaaaaaaa.json").write_text('{"id": "20200101T0000')  # torn
    (folder / "20200101T000000000000-bbbbbbbb.json").write_bytes(b"")
    (folder / "20200101T000000000000-cccccccc.json").write_text(json.dumps({"id": "x", "parts": []}))
    litter = folder / ".20200101T000000000000-dddddddd.json.123.abcd.tmp"  # a writer killed mid-save
    litter.write_text("{")
    async with adapter_for(runner, tg.settings(chat_id=OWNER)) as adapter:
        (msg,) = await tg.wait_for_sent(1)
        await until(lambda: deliveries(runner.tasks[task.id]), what="delivered entry")
    assert msg.text == "still here"
    assert sorted(p.original.name for p in adapter.problems) == [
        "20200101T000000000000-aaaaaaaa.json",
        "20200101T000000000000-bbbbbbbb.json",
        "20200101T000000000000-cccccccc.json",
    ]
    reasons = " | ".join(p.reason for p in adapter.problems)
    assert "not valid JSON" in reasons and "empty file" in reasons and "not a valid outbox entry" in reasons
    quarantine = workspace / ".localclaw" / "quarantine"
    for report in adapter.problems:
        assert report.moved_to.parent == quarantine and report.moved_to.is_file()
        assert "reason:" in report.moved_to.with_name(report.moved_to.name + ".reason.txt").read_text()
    assert outbox_files(workspace) == [] and not litter.exists()


@pytest.mark.parametrize(
    ("status", "error"), [(403, "blocked by the user"), (400, "Chat not found")], ids=["403", "400"]
)
async def test_a_permanent_refusal_is_journaled_and_dropped_not_retried_at_every_start(
    workspace: Path, tg: FakeTelegramServer, runner: BackgroundTaskRunner, status: int, error: str
) -> None:
    task = await completed_task(runner, "Refused", "ok")
    tg.fail_next("sendMessage", status=status)
    async with adapter_for(runner, tg.settings(chat_id=OWNER)):
        runner.bus.publish(TaskCompleted(task.id, "ok"))
        await until(lambda: deliveries(runner.tasks[task.id]), what="failure entry")
        await until(lambda: not outbox_files(workspace), what="outbox emptied")
    async with adapter_for(runner, tg.settings(chat_id=OWNER)) as adapter:
        assert adapter.restored == 0
    assert len(tg.calls_of("sendMessage")) == 1 and not tg.sent
    (entry,) = await on_disk(runner, task)
    assert entry.detail["outcome"] == "failed" and entry.detail["ok"] is False
    assert error in entry.detail["error"] and "retrying" not in entry.detail


async def test_a_rejected_token_keeps_the_message_until_the_token_is_fixed(
    workspace: Path, tg: FakeTelegramServer, runner: BackgroundTaskRunner
) -> None:
    task = await completed_task(runner, "Token typo", "ok")
    wrong = tg.settings(chat_id=OWNER, token=SecretStr("123456789:not-the-right-token"))
    async with adapter_for(runner, wrong) as adapter:
        runner.bus.publish(TaskCompleted(task.id, "ok"))
        await until(lambda: deliveries(runner.tasks[task.id]), what="failure entry")
        await adapter.stop(grace_s=0.2)
    assert len(outbox_files(workspace)) == 1
    for path in (workspace / ".localclaw").rglob("*"):
        if path.is_file():
            assert "not-the-right-token" not in path.read_text(errors="replace"), path
    async with adapter_for(runner, tg.settings(chat_id=OWNER)):
        (msg,) = await tg.wait_for_sent(1)
        await until(lambda: len(deliveries(runner.tasks[task.id])) == 3, what="delivered entry")
    retrying, queued, delivered = await on_disk(runner, task)
    assert "rejected the bot token" in retrying.content and queued.detail["queued"] is True
    assert delivered.detail["outcome"] == "delivered" and f"Task {task.id} is done" in msg.text


async def test_dedupe_survives_a_restart_until_a_person_resumes_the_task(
    tg: FakeTelegramServer, runner: BackgroundTaskRunner
) -> None:
    reason = "which folder should the notes go in?"
    task = await stuck_task(runner, "Notes", reason)
    async with adapter_for(runner, tg.settings(chat_id=OWNER)):
        runner.bus.publish(NeedsAssistance(task.id, reason))
        await tg.wait_for_sent(1)
        await until(lambda: deliveries(runner.tasks[task.id]), what="delivered entry")
    marker = await completed_task(runner, "Marker", "m")
    async with adapter_for(runner, tg.settings(chat_id=OWNER)):  # a new process knows only the files
        runner.bus.publish(NeedsAssistance(task.id, reason))  # the same news again
        runner.bus.publish(TaskCompleted(marker.id, "m"))
        sent = await tg.wait_for_sent(2)
        assert f"Task {marker.id}" in sent[1].text  # the repeat was dropped, not queued before it
        await runner.resume(task.id, "try the docs folder")  # a person: the next news is news
        runner.tasks[task.id].transition(TaskStatus.NEEDS_ASSISTANCE, reason=reason)
        runner.bus.publish(NeedsAssistance(task.id, reason))
        sent = await tg.wait_for_sent(3)
    assert sent[2].text.startswith(f"⚠️ Task {task.id} needs you") and len(tg.sent) == 3


def done_with_summary(req: ChatRequest) -> Reply:
    if "short, factual summaries" in req.system_text:
        return Reply(text="report filed")
    return Reply(text="DONE")


def test_smallclaw_run_with_telegram_down_exits_promptly_and_the_next_run_delivers(
    workspace: Path, tg: FakeTelegramServer
) -> None:
    spec = workspace / "spec.toml"
    spec.write_text('prompt = "file the report"\n[[steps]]\ndescription = "file it"\n')
    down(tg)
    with FakeModelServer(done_with_summary) as model:
        env = {
            **os.environ,
            "SMALLCLAW_WORKSPACE": str(workspace),
            "SMALLCLAW_LLM__BASE_URL": model.url,
            "SMALLCLAW_RUNNER__VERIFICATION": "off",
            "SMALLCLAW_RUNNER__CONTROL_POLL_S": "0.05",
            "SMALLCLAW_TELEGRAM__TOKEN": tg.token,
            "SMALLCLAW_TELEGRAM__BASE_URL": tg.base_url,
            "SMALLCLAW_TELEGRAM__CHAT_ID": str(OWNER),
            "PYTHONUNBUFFERED": "1",
        }

        def smallclaw(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "smallclaw_tui", *args],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )

        task_id = smallclaw("task", "add", "--spec", str(spec)).stdout.strip()
        started = time.monotonic()
        first = smallclaw("run", "--until-idle")
        took = time.monotonic() - started
        assert first.returncode == 0, first.stderr
        # Interpreter start, the task, and at most the 5 s stop grace: never the retry window.
        assert took < 20, took
        assert "1 message(s) not sent yet" in first.stdout and "queued for the next start" in first.stdout
        (kept,) = outbox_files(workspace)
        assert tg.token not in kept.read_text()
        shown = json.loads(smallclaw("task", "show", task_id, "--json").stdout)
        queued = [e for e in shown["journal"] if e["type"] == "delivery" and e["detail"].get("queued")]
        assert queued and "queued for the next start" in queued[0]["content"]

        tg.start()  # Telegram is back by the next cron run
        second = smallclaw("run", "--until-idle")
        third = smallclaw("run", "--until-idle")
    assert second.returncode == 0 and third.returncode == 0, second.stderr + third.stderr
    assert "1 message(s) from an earlier run to send" in second.stdout
    assert "not sent yet" not in second.stdout + third.stdout
    (msg,) = tg.sent  # exactly once, over three runs
    assert msg.chat_id == OWNER and "report filed" in msg.text
    assert outbox_files(workspace) == []
    shown = json.loads(smallclaw("task", "show", task_id, "--json").stdout)
    outcomes = [e["detail"].get("outcome") for e in shown["journal"] if e["type"] == "delivery"]
    assert outcomes[-1] == "delivered" and outcomes.count("delivered") == 1
    for out in (first, second, third):
        assert tg.token not in out.stdout + out.stderr
