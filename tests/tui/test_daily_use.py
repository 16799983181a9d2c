"""Pilot tests for daily use (issue 14): late intents, a dead server, the board filter, quitting."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from textual.app import Notify
from textual.message import Message
from textual.widgets import Input, TextArea
from tui_helpers import SlowSummary, World, app_env, until

from smallclaw_tui.models import PlanStep, TaskStatus
from smallclaw_tui.runner.events import IntentAnswered
from smallclaw_tui.testing import FakeModelServer
from smallclaw_tui.testing.fake_server import free_port
from smallclaw_tui.tui.commands import TaskCommands
from smallclaw_tui.tui.screens.new_task import NewTaskScreen
from smallclaw_tui.tui.screens.prompts import ConfirmScreen
from smallclaw_tui.tui.widgets.board import Board, CardList
from smallclaw_tui.tui.widgets.footer import FittingFooter
from smallclaw_tui.tui.widgets.status import StatusBar


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


async def test_a_dead_server_holds_the_queue_and_the_status_bar_says_so(workspace: Path) -> None:
    port = free_port()
    async with (
        app_env(
            workspace,
            server_up=False,
            port=port,
            options={"probe_interval_s": 0.1},
            runner__server_probe_s=0.1,
        ) as env,
        env.app.run_test(size=(120, 40)) as pilot,
    ):
        app, runner = env.app, env.runner
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        made = [
            await runner.create_task(f"job {n}", steps=[PlanStep(index=0, description=f"write {n}.txt")])
            for n in ("a", "b", "c")
        ]
        board = app.query_one(Board)
        await until(pilot, lambda: board.column_of_id(made[0].id) == "needs", "the outage to stop the first")
        status = app.query_one(StatusBar)
        await until(pilot, lambda: "2 waiting for the server" in str(status.render()), "the held queue")
        assert [runner.tasks[t.id].status for t in made[1:]] == [TaskStatus.QUEUED] * 2

        with FakeModelServer(World(), port=port):
            for task in made:
                await until(pilot, lambda t=task: board.column_of_id(t.id) == "done", f"{task.title} done")
        assert "queued" in str(status.render())


async def test_esc_on_the_board_clears_an_applied_filter(workspace: Path) -> None:
    hold = threading.Event()
    async with app_env(workspace, World(hold={"": hold})) as env, env.app.run_test(size=(120, 40)) as pilot:
        app, runner = env.app, env.runner
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        for name in ("alpha", "beta", "gamma"):
            await runner.create_task(
                f"task {name}", steps=[PlanStep(index=0, description=f"write {name}.txt")]
            )
        board = app.query_one(Board)
        await until(pilot, lambda: len(board.ids_in("queued")) == 2, "two queued cards")
        await pilot.press("slash", *"gamma", "enter")  # Enter keeps the filter and goes to the cards
        assert len(board.ids_in("queued")) == 1 and board.query_text == "gamma"
        assert isinstance(app.focused, CardList)
        await pilot.press("escape")
        assert board.query_text == ""
        assert len(board.ids_in("queued")) == 2
        assert isinstance(app.focused, CardList)
        hold.set()


async def test_quit_asks_while_a_task_runs_and_the_task_goes_on_at_the_next_start(workspace: Path) -> None:
    hold = threading.Event()
    async with (
        app_env(workspace, World(hold={"long job": hold})) as env,
        env.app.run_test(size=(120, 40)) as pilot,
    ):
        app, runner = env.app, env.runner
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        task = await runner.create_task("long job", steps=[PlanStep(index=0, description="write l.txt")])
        await until(pilot, lambda: runner.tasks[task.id].status == TaskStatus.RUNNING, "the task to run")

        await pilot.press("ctrl+q")
        assert isinstance(app.screen, ConfirmScreen)
        assert "running" in str(app.screen.query_one(".dialog-hint").render())
        await pilot.press("n")  # stay
        assert not isinstance(app.screen, ConfirmScreen) and app.is_running
        assert runner.tasks[task.id].status == TaskStatus.RUNNING

        await pilot.press("ctrl+q", "y")
        deadline = asyncio.get_running_loop().time() + 10
        while app.is_running:
            assert asyncio.get_running_loop().time() < deadline, "the app to quit"
            await asyncio.sleep(0.02)
    saved = runner.tasks[task.id]
    assert saved.status == TaskStatus.QUEUED  # not parked: it goes on at the next start

    async with app_env(workspace, World()) as env, env.app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: env.app.runner_ready, "the runner to start again")
        await until(pilot, lambda: env.runner.tasks[task.id].status == TaskStatus.COMPLETE, "it to finish")
    assert (workspace / "l.txt").exists()


async def test_quit_without_running_tasks_does_not_ask(workspace: Path) -> None:
    async with app_env(workspace, World()) as env, env.app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: env.app.runner_ready, "the runner to start")
        await pilot.press("ctrl+q")
        deadline = asyncio.get_running_loop().time() + 10
        while env.app.is_running:
            assert asyncio.get_running_loop().time() < deadline, "the app to quit"
            await asyncio.sleep(0.02)


async def test_the_status_bar_tells_paused_from_needs_you(workspace: Path) -> None:
    hold = threading.Event()
    async with app_env(workspace, World(hold={"": hold})) as env, env.app.run_test(size=(120, 40)) as pilot:
        app, runner = env.app, env.runner
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        await runner.create_task("blocker", steps=[PlanStep(index=0, description="write a.txt")])
        mine = await runner.create_task("later", steps=[PlanStep(index=0, description="write b.txt")])
        await runner.pause(mine.id, None)
        status = app.query_one(StatusBar)
        await until(pilot, lambda: "1 paused" in str(status.render()), "the paused count")
        assert "need" not in str(status.render())
        hold.set()


async def test_q_quits_from_the_board_but_types_in_an_input(workspace: Path) -> None:
    async with app_env(workspace, World()) as env, env.app.run_test(size=(120, 40)) as pilot:
        app = env.app
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        await pilot.press("c", "q")
        assert isinstance(app.focused, Input) and app.focused.value == "q" and app.is_running
        await pilot.press("escape", "n", "q")  # in a dialog q is a letter too
        assert app.is_running and isinstance(app.screen, NewTaskScreen)
        app.screen.dismiss(None)
        await pilot.pause()
        await pilot.press("b", "q")
        deadline = asyncio.get_running_loop().time() + 10
        while app.is_running:
            assert asyncio.get_running_loop().time() < deadline, "the app to quit"
            await asyncio.sleep(0.02)


async def test_esc_on_a_filled_new_task_form_asks_first(workspace: Path) -> None:
    async with app_env(workspace, World()) as env, env.app.run_test(size=(120, 40)) as pilot:
        app = env.app
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        await pilot.press("n", "escape")  # nothing typed: closes at once
        assert not isinstance(app.screen, NewTaskScreen | ConfirmScreen)

        await pilot.press("n", *"half a goal", "escape")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # back to the form, text kept
        assert isinstance(app.screen, NewTaskScreen)
        assert app.screen.query_one("#goal", TextArea).text == "half a goal"
        await pilot.press("escape", "y")
        assert not isinstance(app.screen, NewTaskScreen | ConfirmScreen)
        assert env.runner.tasks == {}


async def test_the_palette_has_no_duplicates(workspace: Path) -> None:
    async with app_env(workspace, World()) as env, env.app.run_test(size=(120, 40)) as pilot:
        app = env.app
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        system = [c.title for c in app.get_system_commands(app.screen)]
        ours = [text for text, _cb, _help in TaskCommands(app.screen)._commands()]
        titles = [t.lower() for t in system + ours]
        assert "keys" in titles and len(titles) == len(set(titles)), titles
        assert not {"maximize", "minimize"} & set(titles)  # "Zoom the focused pane" does that


async def test_dialogs_show_their_own_keys_not_the_boards(workspace: Path) -> None:
    hold = threading.Event()
    async with app_env(workspace, World(hold={"": hold})) as env, env.app.run_test(size=(120, 40)) as pilot:
        app, runner = env.app, env.runner
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        task = await runner.create_task("job", steps=[PlanStep(index=0, description="write j.txt")])
        board = app.query_one(Board)
        await until(pilot, lambda: board.column_of_id(task.id) == "running", "the card")
        board.select(task.id, focus=True)
        await pilot.pause()
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.pause()
        # The footer at the bottom row is the dialog's, with its keys.
        shown = {k.action for k in app.screen.query_one(FittingFooter).shown}
        assert {"answer(True)", "answer(False)", "dismiss_none"} <= shown
        assert not shown & {"new_task", "pause_task", "cancel_task", "filter", "zoom"}, shown
        await pilot.press("p")  # not the board's pause while the dialog is up
        assert runner.tasks[task.id].status == TaskStatus.RUNNING
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        hold.set()


async def test_an_intent_the_runner_could_not_apply_is_shown(workspace: Path) -> None:
    seen: list[Message] = []
    async with (
        app_env(workspace, World()) as env,
        env.app.run_test(size=(120, 40), message_hook=seen.append, notifications=True) as pilot,
    ):
        app, runner = env.app, env.runner
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        task = await runner.create_task("quick", steps=[PlanStep(index=0, description="write q.txt")])
        runner.bus.publish(IntentAnswered(task.id, "cancel", "too late: the task finished (complete)"))
        texts = lambda: [m.notification.message for m in seen if isinstance(m, Notify)]  # noqa: E731
        await until(pilot, lambda: any("too late: the task finished" in t for t in texts()), "the answer")
        assert any(t.startswith("quick: cancel not applied") for t in texts())


async def test_the_detail_of_a_paused_task_says_paused_not_needs_you(workspace: Path) -> None:
    hold = threading.Event()
    async with app_env(workspace, World(hold={"": hold})) as env, env.app.run_test(size=(120, 40)) as pilot:
        app, runner = env.app, env.runner
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        await runner.create_task("blocker", steps=[PlanStep(index=0, description="write a.txt")])
        mine = await runner.create_task("later", steps=[PlanStep(index=0, description="write b.txt")])
        await runner.pause(mine.id, "after lunch")
        app.open_task(mine.id)
        await pilot.pause()
        body = str(app.query_one("#detail-body").render())
        assert "Paused: after lunch" in body and "Needs you" not in body
        hold.set()


async def test_the_chat_footer_says_how_to_leave_the_input_and_quit(workspace: Path) -> None:
    async with app_env(workspace, World()) as env, env.app.run_test(size=(80, 24)) as pilot:
        app = env.app
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        await pilot.press("c")
        await pilot.pause()
        await pilot.pause()
        keys = " ".join(str(k) for k in app.query_one(FittingFooter).shown)
        assert "esc" in keys and "^q Quit" in keys, keys
