"""Archive from the board (issue 14, item 13): `A` moves a finished task off the board and says how
it comes back; the palette archives every done and cancelled task after asking."""

from __future__ import annotations

from pathlib import Path

from textual.app import Notify
from textual.message import Message
from tui_helpers import until

from smallclaw_tui.models import TaskStatus
from smallclaw_tui.tui.demo import demo_app, settled
from smallclaw_tui.tui.screens.prompts import ConfirmScreen


async def test_a_moves_the_selected_finished_task_off_the_board(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    seen: list[Message] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await until(pilot, lambda: settled(app), "the demo")
        done = next(t for t in app.runner.tasks.values() if t.status == TaskStatus.COMPLETE)
        queued = next(t for t in app.runner.tasks.values() if t.status == TaskStatus.QUEUED)
        app.board.select(queued.id, focus=True)
        await pilot.pause()
        await pilot.press("A")  # not for a task that can still run: nothing happens
        assert app.board.column_of_id(queued.id) == "queued"
        app.board.select(done.id, focus=True)
        await until(pilot, lambda: settled(app), "the selection")
        await pilot.press("A")
        await until(pilot, lambda: app.board.column_of_id(done.id) is None, "the card to go")
        assert done.id not in app.runner.tasks
        assert (tmp_path / ".localclaw" / "archive" / f"{done.id}.json").exists()
        said = [m.notification.message for m in seen if isinstance(m, Notify)]
        assert f"smallclaw task unarchive {done.id} brings it back" in said[-1]


async def test_the_palette_archives_every_done_and_cancelled_task_after_asking(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: settled(app), "the demo")
        finished = {
            t.id for t in app.runner.tasks.values() if t.status in (TaskStatus.COMPLETE, TaskStatus.CANCELLED)
        }
        assert finished
        await pilot.press("ctrl+p", *"archive all")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("y")
        await until(pilot, lambda: not finished & set(app.runner.tasks), "the tasks to go")
        assert not app.board.ids_in("done")
        assert any(t.status == TaskStatus.FAILED for t in app.runner.tasks.values())  # failed ones stay
