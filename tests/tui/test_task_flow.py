"""Pilot tests: the real app, the real runner, a loopback scripted model, a temporary workspace."""

from __future__ import annotations

import threading
from pathlib import Path

from textual.widgets import Input, TextArea
from tui_helpers import World, app_env, type_text, until

from smallclaw_tui.models import PlanStep, TaskStatus
from smallclaw_tui.tui.screens.approve import ApproveScreen
from smallclaw_tui.tui.screens.new_task import NewTaskScreen
from smallclaw_tui.tui.screens.prompts import ConfirmScreen, NoteScreen
from smallclaw_tui.tui.widgets.board import Board
from smallclaw_tui.tui.widgets.detail import DetailPane
from smallclaw_tui.tui.widgets.journal import JournalView


async def test_new_task_from_dialog_moves_queued_running_done(workspace: Path) -> None:
    blocker, mine = threading.Event(), threading.Event()
    world = World(hold={"blocker": blocker, "greeting": mine})
    async with app_env(workspace, world) as env, env.app.run_test(size=(120, 40)) as pilot:
        app, runner = env.app, env.runner
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        # One slot, taken: the task made in the dialog has to wait in Queued.
        first = await runner.create_task(
            "blocker: write a.txt", steps=[PlanStep(index=0, description="write a.txt")]
        )
        await until(pilot, lambda: runner.tasks[first.id].status == TaskStatus.RUNNING, "the blocker to run")

        await pilot.press("n")
        assert isinstance(app.screen, NewTaskScreen)
        await type_text(pilot, "greeting file")
        await pilot.press("tab", "tab")  # goal → title → steps
        assert isinstance(app.focused, TextArea) and app.focused.id == "steps"
        await type_text(pilot, "write b.txt")
        await pilot.press("ctrl+s")
        assert not isinstance(app.screen, NewTaskScreen)

        board = app.query_one(Board)
        task = next(t for t in runner.tasks.values() if t.prompt == "greeting file")
        assert [s.description for s in task.plan] == ["write b.txt"]
        assert board.column_of_id(task.id) == "queued"
        assert app.selected_id == task.id  # the new card is selected

        blocker.set()
        await until(pilot, lambda: board.column_of_id(task.id) == "running", "the task to be Running")
        mine.set()
        await until(pilot, lambda: board.column_of_id(task.id) == "done", "the task to be Done")
        assert (workspace / "b.txt").read_text() == "hello"

        # Enter opens the detail: plan, summary and the journal loaded from the store.
        board.select(task.id, focus=True)
        await pilot.press("enter")
        detail = app.query_one(DetailPane)
        journal = app.query_one(JournalView)
        await until(pilot, lambda: any(b.kind == "verify" for b in journal.blocks), "the journal to load")
        assert detail.task_id == task.id and app.focused is journal
        assert "Summary text." in str(app.query_one("#detail-body").render())
        kinds = [b.kind for b in journal.blocks]
        assert "tool_call" in kinds and "tool_result" in kinds


async def test_pause_then_resume_with_a_note(workspace: Path) -> None:
    hold = threading.Event()
    world = World(hold={"two steps": hold})
    async with app_env(workspace, world) as env, env.app.run_test(size=(120, 40)) as pilot:
        app, runner = env.app, env.runner
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        steps = [PlanStep(index=0, description="write p.txt"), PlanStep(index=1, description="write q.txt")]
        task = await runner.create_task("two steps", steps=steps)
        board = app.query_one(Board)
        await until(pilot, lambda: board.column_of_id(task.id) == "running", "the task to run")
        board.select(task.id, focus=True)
        await pilot.pause()

        journal = app.query_one(JournalView)
        await until(pilot, lambda: app.detail.task_id == task.id and not app.detail.journal_loading, "detail")
        loaded = len(journal.blocks)

        await pilot.press("p")  # asked mid-round: applied at the next round boundary
        hold.set()
        await until(pilot, lambda: board.column_of_id(task.id) == "needs", "the pause to take effect")
        # What happened meanwhile reached the open detail live, without a reload.
        assert app.detail.task_id == task.id
        assert {"tool_call", "tool_result", "pause"} <= {b.kind for b in journal.blocks[loaded:]}
        assert runner.tasks[task.id].status == TaskStatus.PAUSED
        assert app.selected_id == task.id

        await pilot.press("r")
        assert isinstance(app.screen, NoteScreen)
        await type_text(pilot, "use q.txt")
        await pilot.press("enter")
        await until(pilot, lambda: board.column_of_id(task.id) == "done", "the task to finish")
        assert env.server is not None
        assert any("use q.txt" in r.last_user_text for r in env.server.chat_requests)
        assert (workspace / "q.txt").exists()


async def test_approve_a_command_the_task_waits_on(workspace: Path) -> None:
    async with app_env(workspace, World()) as env, env.app.run_test(size=(120, 40)) as pilot:
        app, runner = env.app, env.runner
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        task = await runner.create_task(
            "make a file", steps=[PlanStep(index=0, description="run `touch made.txt`")]
        )
        board = app.query_one(Board)
        await until(pilot, lambda: board.column_of_id(task.id) == "needs", "the approval request")
        assert not (workspace / "made.txt").exists()
        board.select(task.id, focus=True)
        await pilot.pause()

        await pilot.press("a")
        assert isinstance(app.screen, ApproveScreen)
        assert "touch made.txt" in str(app.screen.query_one("#command").render())
        await pilot.press("y")
        await until(pilot, lambda: board.column_of_id(task.id) == "done", "the approved task to finish")
        assert (workspace / "made.txt").exists()
        assert "touch made.txt" in runner.tasks[task.id].approved_commands


async def test_cancel_asks_first(workspace: Path) -> None:
    blocker = threading.Event()
    async with (
        app_env(workspace, World(hold={"blocker": blocker})) as env,
        env.app.run_test(size=(120, 40)) as pilot,
    ):
        app, runner = env.app, env.runner
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        first = await runner.create_task("blocker", steps=[PlanStep(index=0, description="write a.txt")])
        await until(pilot, lambda: runner.tasks[first.id].status == TaskStatus.RUNNING, "the blocker to run")
        task = await runner.create_task("never mind", steps=[PlanStep(index=0, description="write z.txt")])
        board = app.query_one(Board)
        await until(pilot, lambda: board.column_of_id(task.id) == "queued", "the card")
        board.select(task.id, focus=True)
        await pilot.pause()

        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # changed my mind: nothing happens
        assert runner.tasks[task.id].status == TaskStatus.QUEUED
        await pilot.press("x", "y")
        await until(pilot, lambda: board.column_of_id(task.id) == "failed", "the cancelled card")
        assert runner.tasks[task.id].status == TaskStatus.CANCELLED
        assert any(e.content.startswith("cancelled") for e in runner.tasks[task.id].journal)


async def test_board_keys_and_filter(workspace: Path) -> None:
    hold = threading.Event()
    async with app_env(workspace, World(hold={"": hold})) as env, env.app.run_test(size=(120, 40)) as pilot:
        app, runner = env.app, env.runner
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        made = [
            await runner.create_task(
                f"task {name}", steps=[PlanStep(index=0, description=f"write {name}.txt")]
            )
            for name in ("alpha", "beta", "gamma")
        ]
        board = app.query_one(Board)
        await until(pilot, lambda: len(board.ids_in("queued")) == 2, "two queued cards")
        board.activate("queued", made[1].id, focus=True)
        await pilot.pause()
        assert app.selected_id == made[1].id
        await pilot.press("j")
        assert app.selected_id == made[2].id
        await pilot.press("k", "l")
        assert board.active_key == "running" and app.selected_id == made[0].id
        await pilot.press("h")
        assert board.active_key == "queued"

        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await type_text(pilot, "gamma")
        assert board.ids_in("queued") == [made[2].id] and board.ids_in("running") == []
        await pilot.press("enter")
        assert "Queued 1/2" in str(app.query_one("#head-queued").render())
        await pilot.press("slash", "escape")
        assert len(board.ids_in("queued")) == 2
        hold.set()


async def test_undo_key_restores_what_a_finished_task_wrote_after_asking(workspace: Path) -> None:
    (workspace / "u.txt").write_text("before\n")
    async with app_env(workspace, World()) as env, env.app.run_test(size=(120, 40)) as pilot:
        app, runner = env.app, env.runner
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        task = await runner.create_task("rewrite", steps=[PlanStep(index=0, description="write new.txt")])
        board = app.query_one(Board)
        await until(pilot, lambda: board.column_of_id(task.id) == "done", "the task to finish")
        assert (workspace / "new.txt").read_text() == "hello"
        board.select(task.id, focus=True)
        await pilot.pause()

        await pilot.press("U")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # changed my mind: nothing happens
        assert (workspace / "new.txt").exists()
        await pilot.press("U", "y")
        await until(pilot, lambda: not (workspace / "new.txt").exists(), "the file the task made to go")
        assert (workspace / "u.txt").read_text() == "before\n"
        assert any(e.content.startswith("undo: removed new.txt") for e in runner.tasks[task.id].journal)
