"""Keys, the keymap, the command palette and the layout, on the demo workspace (no model needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.binding import Binding
from textual.message import Message
from textual.notifications import Notify
from textual.pilot import Pilot
from textual.widgets import Input
from tui_helpers import screen_text, until

from smallclaw_tui.models import PlanStep, Task, TaskStatus
from smallclaw_tui.store.tasks import TaskStore, dump_task
from smallclaw_tui.tui.app import SmallClawApp
from smallclaw_tui.tui.demo import NEEDS_APPROVAL_ID, demo_app, settled
from smallclaw_tui.tui.screens.help import HelpScreen
from smallclaw_tui.tui.screens.new_task import NewTaskScreen
from smallclaw_tui.tui.widgets.board import CARD_HEIGHT, CardList
from smallclaw_tui.tui.widgets.chat_pane import ChatInput
from smallclaw_tui.tui.widgets.detail import DetailInfo
from smallclaw_tui.tui.widgets.footer import FittingFooter
from smallclaw_tui.tui.widgets.journal import JournalView

QUEUED_ID = "d4a7e000"


async def test_the_keymap_remaps_by_binding_id(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    app.settings.tui.keymap = {
        "task.new": "ctrl+n",
        "focus.chat": "f2",
        "board.last": "f5",  # a board key that had no id before
        "dialog.cancel": "f10",  # an inherited one (every dialog's Escape)
        "no.such.id": "f9",
    }
    seen: list[Message] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await until(pilot, lambda: settled(app), "the demo")
        await pilot.press("n")
        assert not isinstance(app.screen, NewTaskScreen)
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, NewTaskScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, NewTaskScreen)  # Escape is f10 now
        await pilot.press("f10")
        assert not isinstance(app.screen, NewTaskScreen)
        app.board.activate("done", focus=True)
        await pilot.pause()
        await pilot.press("f5")
        assert app.board.active.cursor == len(app.board.ids_in("done")) - 1
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.focused, ChatInput), "the chat input")
        await pilot.press("escape", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        shown = screen_text(app.export_screenshot())
        assert "^n" in shown and "task.new" in shown and "F2" in shown.upper()
        warnings = [m.notification.message for m in seen if isinstance(m, Notify)]
        assert any("no.such.id" in w for w in warnings)
        assert not any("dialog.cancel" in w or "board.last" in w for w in warnings)


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
        for _ in range(3):  # focus used to get lost here now and then: try it a few times
            await pilot.press("c")
            await until(pilot, lambda: isinstance(app.focused, ChatInput), "the chat")
            assert app.chat.region.width == 80 and app.board.region.width == 0
            await pilot.press("escape")  # back to the board
            await until(pilot, lambda: app.board.region.width == 80, "the board")
            await pilot.pause(0.05)
            assert isinstance(app.focused, CardList), app.focused
            assert app.focused is app.board.active
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


def _our_bindings() -> list[tuple[str, Binding]]:
    """Every binding declared by a class in the TUI package (each class's own, not inherited)."""
    import importlib
    import inspect

    import smallclaw_tui.tui as tui

    root = Path(tui.__file__).parent
    out: list[tuple[str, Binding]] = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        name = ".".join(("smallclaw_tui.tui", *(p for p in parts if p != "__init__")))
        module = importlib.import_module(name)
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__:
                for binding in cls.__dict__.get("BINDINGS", ()):
                    if isinstance(binding, Binding):
                        out.append((f"{cls_name}: {binding.key}", binding))
    return out


async def test_every_binding_has_an_id_and_is_in_the_help(tmp_path: Path) -> None:
    bindings = _our_bindings()
    assert len(bindings) > 30
    assert [where for where, b in bindings if not b.id] == []
    app = demo_app(tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await until(pilot, lambda: settled(app), "the demo")
        listed = {row[2] for row in app.help_rows()}
        assert sorted({b.id for _, b in bindings if b.id} - listed) == []
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = str(app.screen.query_one("#help-rows Static").render())
        for binding_id in ("dialog.cancel", "board.first", "log.first", "chat.history_prev", "help.close"):
            assert binding_id in rows, binding_id
        assert rows.split("dialog.cancel")[0].splitlines()[-1].startswith("esc")  # with its key


async def _footer_at_80(app: SmallClawApp, pilot: Pilot[Any]) -> tuple[str, str]:
    await pilot.pause()
    await pilot.pause()
    footer = app.query_one(FittingFooter)
    keys = " ".join(str(k) for k in footer.shown)
    last_line = screen_text(app.export_screenshot()).splitlines()[-1]
    assert sum(k.width for k in footer.shown) <= 80, keys
    assert last_line.rstrip().endswith("^p palette"), last_line  # nothing cut, nothing stray after it
    return keys, last_line


async def test_the_footer_fits_80_columns_and_always_shows_help(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: settled(app), "the demo")
        app.board.select(NEEDS_APPROVAL_ID, focus=True)  # every task action applies to it
        await until(pilot, lambda: settled(app), "the selection")
        keys, _ = await _footer_at_80(app, pilot)
        assert "? Help" in keys
        for key in ("p Pause", "r Resume", "x Cancel", "a Approve", "⏎ Open"):
            assert key in keys, key

        app.open_task(NEEDS_APPROVAL_ID)  # the journal: its keys come first
        await until(pilot, lambda: settled(app) and isinstance(app.focused, JournalView), "the journal")
        keys, _ = await _footer_at_80(app, pilot)
        assert "? Help" in keys and "a Approve" in keys and "⏎ Expand" in keys

        await pilot.press("c")  # in the chat input ? and / are typed: F1 still opens the help
        await until(pilot, lambda: isinstance(app.focused, ChatInput), "the chat input")
        keys, _ = await _footer_at_80(app, pilot)
        assert "F1 Help" in keys.replace("f1", "F1")
        assert "Filter" not in keys
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")

        await pilot.resize_terminal(160, 40)  # room for everything again
        await until(pilot, lambda: not app.query_one("#layout").has_class("-narrow"), "the wide layout")
        app.board.select(NEEDS_APPROVAL_ID, focus=True)
        await pilot.pause()
        await pilot.pause()
        keys = " ".join(str(k) for k in app.query_one(FittingFooter).shown)
        assert "b Board" in keys and "d Detail" in keys and "z Zoom" in keys


async def test_the_plan_scrolls_by_keyboard_at_80x24(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    long_plan = Task(
        id="f0000001",
        title="A long plan",
        prompt="ten steps",
        plan=[PlanStep(index=i, description=f"step number {i + 1}") for i in range(10)],
    )
    store = TaskStore(tmp_path / ".localclaw")
    store.task_path(long_plan.id).write_text(dump_task(long_plan), encoding="utf-8")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: settled(app), "the demo")
        app.open_task(NEEDS_APPROVAL_ID)
        await until(pilot, lambda: settled(app) and isinstance(app.focused, JournalView), "the journal")
        body = str(app.query_one("#detail-body").render())
        # The approval is said once: no "Needs you: waiting for approval…" repeating it.
        assert "Waiting for approval: python -m pytest -q" in body
        assert "Needs you: waiting for approval" not in body

        app.open_task(long_plan.id)
        await until(pilot, lambda: settled(app) and app.detail.task_id == long_plan.id, "the long plan")
        await pilot.pause()
        info = app.query_one(DetailInfo)
        shown = screen_text(app.export_screenshot())
        assert "1. step number 1" in shown and "10. step number 10" not in shown
        height = info.region.height

        await pilot.press("d")  # d again: from the journal to the plan above it
        assert app.focused is info
        await until(pilot, lambda: info.region.height > height, "the plan to get more room")
        await pilot.press("end")
        await until(pilot, lambda: "10. step number 10" in screen_text(app.export_screenshot()), "the end")
        await pilot.press("home")
        await until(pilot, lambda: "1. step number 1" in screen_text(app.export_screenshot()), "the top")
        await pilot.press("escape")
        assert isinstance(app.focused, CardList)


async def test_h_and_l_step_over_empty_columns(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    tasks = tmp_path / ".localclaw" / "tasks"
    for task_id in ("d4a7e001", "d4a7e003", "d4a7e004"):  # Running and Needs you left empty
        for path in tasks.glob(f"{task_id}*"):
            path.unlink()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: settled(app), "the demo")
        board = app.board
        assert board.ids_in("running") == [] and board.ids_in("needs") == []
        board.activate("queued", focus=True)
        await pilot.press("l")
        assert board.active_key == "done" and app.board.selected_id is not None
        await pilot.press("h")
        assert board.active_key == "queued"
        await pilot.press("h")  # nothing to the left: it stays
        assert board.active_key == "queued"


def _backgrounds(strip: Any) -> set[object]:
    return {segment.style.bgcolor for segment in strip if segment.text and segment.style is not None}


async def test_the_cursor_shows_even_when_the_text_fills_the_line(tmp_path: Path) -> None:
    app = demo_app(tmp_path, theme="ansi-dark")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: settled(app), "the demo")
        cards = app.board.active
        assert app.focused is cards and cards.cursor == 0
        assert "Read notes/m…" in screen_text(app.export_screenshot())  # the activity line is cut off
        cursor_bg = cards.get_component_rich_style("card--cursor").bgcolor
        for row in range(CARD_HEIGHT):  # title (two lines), meta, activity of the selected card
            assert _backgrounds(cards.render_line(row)) == {cursor_bg}, row
        assert cursor_bg not in _backgrounds(cards.render_line(CARD_HEIGHT))  # the next card is not selected
        running = app.board.cards("running")  # another column's cursor does not look selected
        assert cursor_bg not in _backgrounds(running.render_line(0))

        app.open_task(NEEDS_APPROVAL_ID)
        journal = app.query_one(JournalView)
        await until(pilot, lambda: settled(app) and app.focused is journal, "the journal")
        # The board lost focus; its selection still shows. This theme has no colour for an
        # unfocused cursor (it resolves to the terminal default), so reverse video marks it.
        needs = app.board.active
        assert needs.key == "needs" and not needs.has_focus
        row = needs.cursor * CARD_HEIGHT
        assert all(s.style is not None and s.style.reverse for s in needs.render_line(row) if s.text)
        await pilot.press("up")  # the last entry: label and text on one line
        assert journal.cursor is not None
        await pilot.pause()
        cursor_bg = journal.get_component_rich_style("blocklog--cursor").bgcolor
        y = journal.region.height - 1
        while y >= 0 and _backgrounds(journal.render_line(y)) != {cursor_bg}:
            y -= 1
        assert y >= 0, "no journal line is drawn all in the cursor colour"
