"""Telegram runs inside the app's process: a task finished in the app reaches the phone, the
adapter's state is in the status bar, and its warnings are notifications (stderr would draw over
the screen)."""

from __future__ import annotations

from pathlib import Path

from textual.message import Message
from textual.notifications import Notify
from tui_helpers import World, app_env, type_text, until

from smallclaw_tui.models import TaskStatus
from smallclaw_tui.telegram.outbox import TelegramTuning
from smallclaw_tui.testing import FakeTelegramServer
from smallclaw_tui.tui.screens.new_task import NewTaskScreen
from smallclaw_tui.tui.widgets.status import StatusBar

OWNER = 4242
FAST = TelegramTuning(
    poll_timeout_s=1,
    request_timeout_s=2.0,
    retry_base_s=0.02,
    retry_max_s=0.1,
    give_up_after_s=10.0,
    min_send_interval_s=0.0,
    stop_grace_s=1.0,
)


def _notes(seen: list[Message]) -> list[str]:
    return [m.notification.message for m in seen if isinstance(m, Notify)]


async def test_a_task_done_in_the_app_is_sent_to_telegram(workspace: Path) -> None:
    seen: list[Message] = []
    with FakeTelegramServer() as tg:
        async with (
            app_env(
                workspace,
                World(plan=["write t.txt", "write u.txt"], summary="Wrote t.txt."),
                telegram=tg.settings(chat_id=OWNER),  # no allowed_user_ids: the adapter warns
                telegram_tuning=FAST,
                options={"telegram_poll_s": 0.05},
            ) as env,
            env.app.run_test(size=(120, 40), message_hook=seen.append) as pilot,
        ):
            app, runner = env.app, env.runner
            status = app.query_one(StatusBar)
            await until(pilot, lambda: status.info.telegram == "online", "Telegram to connect")
            assert "tg ✓" in str(status.render())
            await until(pilot, lambda: any("allowed_user_ids is empty" in n for n in _notes(seen)), "warning")

            await pilot.press("n")
            assert isinstance(app.screen, NewTaskScreen)
            await type_text(pilot, "make t")
            await pilot.press("ctrl+s")
            task = next(t for t in runner.tasks.values() if t.prompt == "make t")
            await until(pilot, lambda: runner.tasks[task.id].status == TaskStatus.COMPLETE, "done", 20)
            (sent,) = await tg.wait_for_sent(1, timeout=10, chat_id=OWNER)
            assert f"Task {task.id} is done" in sent.text and "Wrote t.txt." in sent.text

            tg.stop()  # Telegram goes away: the status bar says so, and so does a warning
            await until(pilot, lambda: status.info.telegram == "offline", "the outage to show", 10)
            assert "tg ✗" in str(status.render())
            await until(pilot, lambda: any(n.startswith("telegram: offline") for n in _notes(seen)), "note")
            adapter = app.telegram
            assert adapter is not None
    # Stopped with the app, after its runner.
    assert app.telegram is None and adapter.state == "stopped"
