"""Pilot tests for intents near a task's end and for quitting while a task runs (issue 14)."""

from __future__ import annotations

import threading
from pathlib import Path

from tui_helpers import World, app_env, kind, until

from smallclaw_tui.models import PlanStep, TaskStatus
from smallclaw_tui.testing.fake_server import ChatRequest, Reply
from smallclaw_tui.tui.screens.prompts import ConfirmScreen
from smallclaw_tui.tui.widgets.board import Board


class SlowSummary(World):
    """The summary waits for `release` (a small model takes ~20 s there) and says when it began."""

    def __init__(self) -> None:
        super().__init__()
        self.summarizing = threading.Event()
        self.release = threading.Event()

    def __call__(self, req: ChatRequest) -> Reply | str:
        if kind(req) == "summary":
            self.summarizing.set()
            self.release.wait(15)
        return super().__call__(req)


async def test_cancel_while_the_summary_is_written_cancels(workspace: Path) -> None:
    world = SlowSummary()
    async with app_env(workspace, world) as env, env.app.run_test(size=(120, 40)) as pilot:
        app, runner = env.app, env.runner
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        task = await runner.create_task("one step", steps=[PlanStep(index=0, description="write s.txt")])
        board = app.query_one(Board)
        await until(pilot, world.summarizing.is_set, "the summary call")
        await until(pilot, lambda: board.column_of_id(task.id) == "running", "the running card")
        board.select(task.id, focus=True)
        await pilot.pause()
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        world.release.set()
        await until(pilot, lambda: runner.tasks[task.id].status.is_final, "the task to end")
        assert runner.tasks[task.id].status == TaskStatus.CANCELLED
        await until(pilot, lambda: board.column_of_id(task.id) == "failed", "the cancelled card")
