"""Keys, the keymap, the command palette and the layout, on the demo workspace (no model needed)."""

from __future__ import annotations

from pathlib import Path

from textual.message import Message
from textual.notifications import Notify
from textual.widgets import Input
from tui_helpers import screen_text, until

from smallclaw_tui.models import TaskStatus
from smallclaw_tui.tui.demo import NEEDS_APPROVAL_ID, demo_app, settled
from smallclaw_tui.tui.screens.help import HelpScreen
from smallclaw_tui.tui.screens.new_task import NewTaskScreen
from smallclaw_tui.tui.widgets.chat_pane import ChatInput
from smallclaw_tui.tui.widgets.journal import JournalView

QUEUED_ID = "d4a7e000"


async def test_the_keymap_remaps_by_binding_id(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    app.settings.tui.keymap = {"task.new": "ctrl+n", "focus.chat": "f2", "no.such.id": "f9"}
    seen: list[Message] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await until(pilot, lambda: settled(app), "the demo")
        await pilot.press("n")
        assert not isinstance(app.screen, NewTaskScreen)
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, NewTaskScreen)
        await pilot.press("escape", "f2")
        await until(pilot, lambda: isinstance(app.focused, ChatInput), "the chat input")
        await pilot.press("escape", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        shown = screen_text(app.export_screenshot())
        assert "^n" in shown and "task.new" in shown and "F2" in shown.upper()
        assert any(isinstance(m, Notify) and "no.such.id" in m.notification.message for m in seen)


async def test_task_actions_are_in_the_command_palette(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: settled(app), "the demo")
        app.board.select(QUEUED_ID, focus=True)
        await until(pilot, lambda: settled(app), "the selection")
        await pilot.press("ctrl+p", *"pause")
        await until(pilot, lambda: "Pause: Summarise" in screen_text(app.export_screenshot()), "the hit")
        await pilot.press("enter")
        await until(pilot, lambda: app.runner.tasks[QUEUED_ID].status == TaskStatus.PAUSED, "the pause")
        await until(pilot, lambda: app.board.column_of_id(QUEUED_ID) == "needs", "the card to move")

        await pilot.press("ctrl+p", *"open run")
        await until(
            pilot, lambda: "Open task: Run the test suite" in screen_text(app.export_screenshot()), "hit"
        )
        await pilot.press("enter")
        await until(pilot, lambda: app.detail.task_id == NEEDS_APPROVAL_ID, "the detail")
        assert isinstance(app.focused, JournalView)


async def test_80x24_shows_chat_or_board_and_zooms(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: settled(app), "the demo")
        layout = app.query_one("#layout")
        assert layout.has_class("-narrow")
        assert not app.chat.display or app.chat.region.width == 0
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.focused, ChatInput), "the chat")
        assert app.chat.region.width == 80 and app.board.region.width == 0
        await pilot.press("escape")  # back to the board
        await until(pilot, lambda: app.board.region.width == 80, "the board")
        await pilot.press("d", "z")
        await until(pilot, lambda: app.detail.region.height > 15, "the zoomed detail")
        assert app.board.region.height == 0
        await pilot.press("z")
        await until(pilot, lambda: app.board.region.height > 0, "the board back")
        await pilot.resize_terminal(160, 48)
        await until(pilot, lambda: not layout.has_class("-narrow"), "the wide layout")
        await until(pilot, lambda: app.chat.region.width > 30 and app.board.region.width > 80, "three panes")


async def test_filter_narrows_every_column(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: settled(app), "the demo")
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"notes")
        assert sum(len(app.board.ids_in(k)) for k in ("queued", "running", "needs", "done", "failed")) == 3
        await pilot.press("escape")
        assert len(app.board.ids_in("done")) == 2
