"""Toasts (issue 14, item 12): routine events do not pop up, and the ones that do stay off the
journal, which is what a user reads while a task runs."""

from __future__ import annotations

from pathlib import Path

from textual.app import Notify
from textual.message import Message
from textual.widgets._toast import Toast
from tui_helpers import World, app_env, until

from smallclaw_tui.models import PlanStep, TaskStatus
from smallclaw_tui.tui.widgets.journal import JournalView


async def test_a_task_created_and_completed_pops_nothing_up_but_one_that_needs_you_does(
    workspace: Path,
) -> None:
    seen: list[Message] = []
    async with (
        app_env(workspace, World()) as env,
        env.app.run_test(size=(120, 40), message_hook=seen.append) as pilot,
    ):
        app, runner = env.app, env.runner
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        done = await app._create_task("write a.txt", steps=[PlanStep(index=0, description="write a.txt")])
        assert done is not None
        await until(pilot, lambda: runner.tasks[done.id].status == TaskStatus.COMPLETE, "the task to finish")
        stuck = await app._create_task(
            "fetch a page", steps=[PlanStep(index=0, description="run `curl http://example.com`")]
        )
        assert stuck is not None
        await until(pilot, lambda: runner.tasks[stuck.id].status.needs_user, "the task to need the user")
        # The toast follows the status by a message or two: waited for, not slept for (0.1 s was
        # not enough once under the full suite's load). A completion toast would have come first.
        await until(
            pilot,
            lambda: any(isinstance(m, Notify) and m.notification.title == "Task needs you" for m in seen),
            "the needs-you toast",
        )
        toasts = [m.notification for m in seen if isinstance(m, Notify)]
        assert [t.title for t in toasts] == ["Task needs you"], [(t.title, t.message) for t in toasts]


async def test_completions_toast_when_the_setting_asks_for_all(workspace: Path) -> None:
    seen: list[Message] = []
    async with (
        app_env(workspace, World(), tui__toasts="all") as env,
        env.app.run_test(size=(120, 40), message_hook=seen.append) as pilot,
    ):
        app, runner = env.app, env.runner
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        done = await app._create_task("write a.txt", steps=[PlanStep(index=0, description="write a.txt")])
        assert done is not None
        await until(pilot, lambda: runner.tasks[done.id].status == TaskStatus.COMPLETE, "the task to finish")
        await until(
            pilot,
            lambda: any(isinstance(m, Notify) and m.notification.title == "Task complete" for m in seen),
            "the completion toast",
        )


async def test_a_toast_does_not_cover_the_journal(workspace: Path) -> None:
    async with (
        app_env(workspace, World()) as env,
        env.app.run_test(size=(120, 40), notifications=True) as pilot,
    ):
        app = env.app
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        app.notify("a long message that takes some room " * 3, title="Task needs you", timeout=30)
        await pilot.pause(0.2)
        toast = app.screen.query_one(Toast)
        journal = app.query_one(JournalView)
        assert toast.region.area and journal.region.area
        assert not toast.region.overlaps(journal.region), (toast.region, journal.region)
