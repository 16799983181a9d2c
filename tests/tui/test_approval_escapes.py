"""A command waiting for approval is drawn with its invisible characters made visible."""

from __future__ import annotations

from pathlib import Path

from tui_helpers import World, app_env, screen_text, until

from smallclaw_tui.models import PendingApproval, PlanStep, Task, TaskStatus
from smallclaw_tui.runner.delivery import needs_you_message
from smallclaw_tui.tui.board_model import activity_line
from smallclaw_tui.tui.screens.approve import ApproveScreen
from smallclaw_tui.tui.widgets.board import Board

# Drawn as "... txt.exe" reversed, with a zero-width space no one would see.
HIDDEN = "touch ok\u202etxt.exe\u200bx\u2066y\u2069"
SHOWN = "touch ok\\u202etxt.exe\\u200bx\\u2066y\\u2069"


async def test_the_approve_dialog_board_and_detail_show_invisible_characters(workspace: Path) -> None:
    async with app_env(workspace, World()) as env, env.app.run_test(size=(160, 40)) as pilot:
        app, runner = env.app, env.runner
        await until(pilot, lambda: app.runner_ready, "the runner to start")
        step = PlanStep(index=0, description=f"run `{HIDDEN}`")
        task = await runner.create_task("make a file", steps=[step])
        board = app.query_one(Board)
        await until(pilot, lambda: board.column_of_id(task.id) == "needs", "the approval request")
        assert runner.tasks[task.id].pending_approval is not None
        board.select(task.id, focus=True)
        # The detail follows the selection after a short delay (so holding j does not redraw it
        # for every card passed), and its journal is read off the event loop after that: wait
        # for both rather than for one frame.
        await until(
            pilot,
            lambda: "needs approval" in screen_text(app.export_screenshot()),
            "the detail and its journal",
        )
        shown = screen_text(app.export_screenshot())
        assert f"Waiting for approval: {SHOWN}" in shown  # the detail pane
        assert f"needs approval: {SHOWN}" in shown  # its journal
        assert activity_line(runner.tasks[task.id], None) == f"approve: {SHOWN}"  # the board's card

        await pilot.press("a")
        assert isinstance(app.screen, ApproveScreen)
        command = str(app.screen.query_one("#command").render())
        assert command == SHOWN
        await pilot.press("y")
        await until(pilot, lambda: runner.tasks[task.id].pending_approval is None, "the approval")
        assert runner.tasks[task.id].approved_commands == [HIDDEN]  # shown escaped, approved as it is


def test_the_needs_you_message_in_the_chat_shows_the_command_escaped() -> None:
    task = Task(prompt="make a file", title="make a file", status=TaskStatus.NEEDS_ASSISTANCE)
    task.pause_reason = f"waiting for approval to run: {HIDDEN}"
    task.pending_approval = PendingApproval(command=HIDDEN)
    text = needs_you_message(task)
    assert f"It wants to run: {SHOWN}\n" in text and f"run: {SHOWN}" in text.splitlines()[0]
    assert not any(ch in text for ch in "\u202e\u200b\u2066\u2069")
