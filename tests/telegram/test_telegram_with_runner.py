"""The adapter next to a real runner running real tasks against the fake model server.

A Telegram outage must not touch the runner; a reply from the phone must carry a stuck task home;
the token must never reach a log line, a task file, or `smallclaw run`'s output.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tg_helpers import OWNER, adapter_for, deliveries, make_runner, telegram_origin, until

from smallclaw_tui.models import PlanStep, TaskStatus
from smallclaw_tui.runner.events import TaskFailed
from smallclaw_tui.testing import FakeModelServer
from smallclaw_tui.testing.fake_server import ChatRequest, Reply
from smallclaw_tui.testing.fake_telegram import FakeTelegramServer

ONE_STEP = [PlanStep(index=0, description="say it is done")]


def summary_or(step_reply: str, summary: str = "did the thing"):  # type: ignore[no-untyped-def]
    def handler(req: ChatRequest) -> Reply:
        if "short, factual summaries" in req.system_text:
            return Reply(text=summary)
        return Reply(text=step_reply)

    return handler


async def test_telegram_outage_leaves_the_runner_alone_and_delivery_catches_up(
    workspace: Path, tg: FakeTelegramServer
) -> None:
    with FakeModelServer(summary_or("DONE: it is done")) as model:
        runner = make_runner(workspace, model.llm_settings(), verification="off")
        await runner.start()
        try:
            async with adapter_for(runner, tg.settings(chat_id=OWNER)) as adapter:
                await until(lambda: adapter.state == "online", what="adapter online")
                tg.stop()  # Telegram goes away
                task = await runner.create_task("do the thing", steps=ONE_STEP)
                # The runner finishes while Telegram is down, as fast as it would anyway.
                await until(lambda: runner.tasks[task.id].status == TaskStatus.COMPLETE, what="task complete")
                await until(lambda: deliveries(runner.tasks[task.id]), what="first delivery failure")
                first = deliveries(runner.tasks[task.id])[0]
                assert first.detail["ok"] is False and first.detail["retrying"] is True
                await until(lambda: adapter.state == "offline", what="poller notices")
                tg.start()  # back on the same port
                (msg,) = await tg.wait_for_sent(1, timeout=5)
                await until(lambda: len(deliveries(runner.tasks[task.id])) == 2, what="final delivery entry")
                await until(lambda: adapter.state == "online", what="poller reconnects")
        finally:
            await runner.stop(grace_s=2)
            await runner.deps.client.aclose()
    assert f"Task {task.id} is done" in msg.text and "did the thing" in msg.text
    on_disk = await runner.store.load(task.id)
    assert on_disk.status == TaskStatus.COMPLETE
    first, last = deliveries(on_disk)
    assert last.detail["ok"] is True and last.detail["attempts"] >= 2


async def test_reply_from_the_phone_unblocks_a_real_task(workspace: Path, tg: FakeTelegramServer) -> None:
    plan = '{"steps": [{"description": "pick a file name"}, {"description": "create the file"}]}'
    answered: list[bool] = []

    def model(req: ChatRequest) -> Reply:
        if "You plan work" in req.system_text:
            return Reply(text=plan)
        if "short, factual summaries" in req.system_text:
            return Reply(text="named it bob")
        if answered or "call it bob.txt" in req.last_user_text:
            answered.append(True)
            return Reply(text="DONE: used bob.txt")
        return Reply(text="BLOCKED: which name should the file have?")

    with FakeModelServer(model) as srv:
        runner = make_runner(workspace, srv.llm_settings(), verification="off")
        await runner.start()
        try:
            async with adapter_for(runner, tg.settings(allowed_user_ids=[OWNER])):
                tg.user_message("/new Create the file", user_id=OWNER)
                (queued,) = await tg.wait_for_sent(1)
                task_id = queued.text.split()[2].rstrip(":")
                needs = (await tg.wait_for_sent(2))[1]
                assert needs.text.startswith(f"⚠️ Task {task_id} needs you") and needs.chat_id == OWNER
                assert "which name should the file have?" in needs.text
                tg.user_message("call it bob.txt", user_id=OWNER, reply_to=needs.message_id)
                resumed, done = (await tg.wait_for_sent(4))[2:]
                assert resumed.text.startswith(f"Resumed task {task_id}")
                assert done.text.startswith(f"✅ Task {task_id} is done") and "named it bob" in done.text
        finally:
            await runner.stop(grace_s=2)
            await runner.deps.client.aclose()
    prompts = [r.last_user_text for r in srv.chat_requests]
    assert any("call it bob.txt" in p for p in prompts)
    assert runner.tasks[task_id].origin == telegram_origin(OWNER)


async def test_the_token_never_reaches_logs_or_task_files(
    workspace: Path, tg: FakeTelegramServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # everything, from every library
    with FakeModelServer(summary_or("DONE")) as model:
        runner = make_runner(workspace, model.llm_settings(), verification="off")
        await runner.start()
        try:
            async with adapter_for(runner, tg.settings(allowed_user_ids=[OWNER])):
                task = await runner.create_task("go", steps=ONE_STEP, origin=telegram_origin(OWNER))
                await tg.wait_for_sent(1)
                tg.user_message("/tasks", user_id=OWNER)
                await tg.wait_for_sent(2)
                tg.stop()
                await until(lambda: "offline" in caplog.text, what="an outage logged")
                tg.start()
            # The same token, rejected by the server: python-telegram-bot quotes it in InvalidToken.
            wrong = FakeTelegramServer(token="999:another-token").start()
            try:
                async with adapter_for(
                    runner, tg.settings(base_url=wrong.base_url, chat_id=OWNER)
                ) as adapter:
                    await until(lambda: adapter.state == "token rejected", what="token rejected")
                    runner.bus.publish(TaskFailed(task.id, "x"))
                    await until(lambda: len(deliveries(runner.tasks[task.id])) == 2, what="failed delivery")
            finally:
                wrong.stop()
        finally:
            await runner.stop(grace_s=2)
            await runner.deps.client.aclose()
    assert deliveries(runner.tasks[task.id])[1].detail["ok"] is False
    # The libraries did try to log it (python-telegram-bot's base URL at DEBUG): it was masked.
    assert "/bot<telegram-token>" in caplog.text
    logged = "\n".join(
        [caplog.text] + [r.getMessage() for r in caplog.records] + [r.exc_text or "" for r in caplog.records]
    )
    assert tg.token not in logged
    for path in (workspace / ".localclaw").rglob("*"):
        if path.is_file():
            assert tg.token not in path.read_text(errors="replace"), path


def test_smallclaw_run_delivers_and_never_prints_the_token(workspace: Path, tg: FakeTelegramServer) -> None:
    spec = workspace / "spec.toml"
    spec.write_text('prompt = "say done"\n[[steps]]\ndescription = "say it is done"\n')
    with FakeModelServer(summary_or("DONE", "finished from the CLI")) as model:
        env = {
            **os.environ,
            "SMALLCLAW_WORKSPACE": str(workspace),
            "SMALLCLAW_LLM__BASE_URL": model.url,
            "SMALLCLAW_RUNNER__VERIFICATION": "off",
            "SMALLCLAW_RUNNER__CONTROL_POLL_S": "0.05",
            "SMALLCLAW_TELEGRAM__TOKEN": tg.token,
            "SMALLCLAW_TELEGRAM__BASE_URL": tg.base_url,
            "SMALLCLAW_TELEGRAM__CHAT_ID": str(OWNER),
            "SMALLCLAW_TELEGRAM__ALLOWED_USER_IDS": f"[{OWNER}]",
            "PYTHONUNBUFFERED": "1",
        }
        add = subprocess.run(
            [sys.executable, "-m", "smallclaw_tui", "task", "add", "--spec", str(spec)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert add.returncode == 0, add.stderr
        run = subprocess.run(
            [sys.executable, "-m", "smallclaw_tui", "run", "--until-idle"],
            env={**env, "PYTHONWARNINGS": "default"},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert run.returncode == 0, run.stderr
    assert "telegram on: notifications to chat 4242" in run.stdout
    assert tg.token not in run.stdout + run.stderr + add.stdout + add.stderr
    (msg,) = tg.sent
    assert msg.chat_id == OWNER and "finished from the CLI" in msg.text
