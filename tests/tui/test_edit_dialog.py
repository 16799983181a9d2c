"""`e` edits the selected task (issue 14, item 8): the dialog opens with the task's goal, title,
steps and checks, and saving changes only what the user changed."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, TextArea
from tui_helpers import until

from smallclaw_tui.models import FileContainsCheck, StepStatus, TaskStatus
from smallclaw_tui.tui.demo import RUNNING_ID, demo_app, settled
from smallclaw_tui.tui.screens.new_task import NewTaskScreen


async def test_e_opens_the_task_in_the_dialog_and_saves_the_change(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: settled(app), "the demo")
        task = next(
            t
            for t in app.runner.tasks.values()
            if t.status == TaskStatus.NEEDS_ASSISTANCE and len(t.plan) > 1 and t.plan[0].checks
        )
        task.plan[0].checks.append(FileContainsCheck(path="count.txt", text=r"^[0-9]+$", regex=True))
        before = [s.model_copy(deep=True) for s in task.plan]
        app.board.select(task.id, focus=True)
        await until(pilot, lambda: settled(app), "the selection")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, NewTaskScreen), "the dialog")
        dialog = app.screen
        assert dialog.query_one("#goal", TextArea).text == task.prompt
        assert dialog.query_one("#title", Input).value == task.title
        steps = dialog.query_one("#steps", TextArea).text.splitlines()
        assert steps == [s.description for s in task.plan]
        assert "1: file_matches count.txt ^[0-9]+$" in dialog.query_one("#checks", TextArea).text
        title = dialog.query_one("#title", Input)
        title.value = "A better title"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.runner.tasks[task.id].title == "A better title", "the edit")
        after = app.runner.tasks[task.id]
        assert [(s.description, s.checks, s.status) for s in after.plan] == [
            (s.description, s.checks, s.status) for s in before
        ]


async def test_e_does_nothing_on_a_running_task(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: settled(app), "the demo")
        app.board.select(RUNNING_ID, focus=True)
        await until(pilot, lambda: settled(app), "the selection")
        await pilot.press("e")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, NewTaskScreen)
        assert app.runner.tasks[RUNNING_ID].plan[0].status == StepStatus.DONE
