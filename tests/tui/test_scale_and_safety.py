"""A big board and a long journal still render; untrusted text is shown, never obeyed."""

from __future__ import annotations

from pathlib import Path

from textual.message import Message
from textual.notifications import Notify
from tui_helpers import screen_text, until

from smallclaw_tui.models import JournalEntry, JournalType, Origin, PendingApproval, Task, TaskStatus
from smallclaw_tui.store.journal import append_entries_sync
from smallclaw_tui.store.tasks import TaskStore, dump_task
from smallclaw_tui.tui.demo import NEEDS_APPROVAL_ID, demo_app, settled
from smallclaw_tui.tui.messages import Batch, Notice, RunnerBatch
from smallclaw_tui.tui.screens.approve import ApproveScreen
from smallclaw_tui.tui.widgets.journal import JournalView


async def test_a_thousand_tasks_and_a_five_thousand_entry_journal_render(tmp_path: Path) -> None:
    app = demo_app(tmp_path, extra_tasks=1000, journal_entries=5000)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: settled(app), "the demo to load", 30)
        board = app.board
        assert len(board.ids_in("done")) == 1002
        assert "Done 1002" in screen_text(app.export_screenshot())

        board.activate("done", focus=True)
        await pilot.press("end")
        assert app.selected_id == "b0000000"  # the oldest, at the bottom (newest first)
        assert "Bulk task 0" in screen_text(app.export_screenshot())

        app.open_task(NEEDS_APPROVAL_ID)
        journal = app.query_one(JournalView)
        await until(pilot, lambda: len(journal.blocks) == 5000, "the long journal", 30)
        assert app.focused is journal
        await pilot.pause()
        assert "delivered to chat tui" in screen_text(app.export_screenshot())  # it opens at the end
        await pilot.press("home")
        assert "entry 0: " in screen_text(app.export_screenshot())
        await pilot.press("pagedown", "pagedown", "j", "enter")
        assert journal.selected is not None and journal.selected.expanded


HOSTILE_TITLE = "[bold red]x[/]"
HOSTILE_GOAL = "goal \x1b]0;pwned\x07 [link=https://evil.example]click[/link]"


def _hostile_task(ws: Path) -> str:
    store = TaskStore(ws / ".localclaw")
    task = Task(
        id="e0000001",
        title=HOSTILE_TITLE,
        prompt=HOSTILE_GOAL,
        status=TaskStatus.NEEDS_ASSISTANCE,
        pause_reason="waiting for approval to run: echo [b]hi[/b]\x1b[2J",
        pending_approval=PendingApproval(command="echo [b]hi[/b]\x1b[2J"),
        origin=Origin(session_id="tui"),
    )
    store.task_path(task.id).write_text(dump_task(task), encoding="utf-8")
    append_entries_sync(
        store.journal_path(task.id),
        [JournalEntry(type=JournalType.TOOL_RESULT, content="[red]not red[/] \x1b[31mANSI\x1b[0m \x07bell")],
    )
    return task.id


async def test_markup_and_escape_sequences_are_shown_literally(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    task_id = _hostile_task(tmp_path)
    seen: list[Message] = []
    async with app.run_test(size=(140, 44), message_hook=seen.append, notifications=True) as pilot:
        await until(pilot, lambda: settled(app), "the demo to load")
        app.open_task(task_id)
        journal = app.query_one(JournalView)
        await until(pilot, lambda: len(journal.blocks) == 1 and not app.detail.journal_loading, "the journal")
        # A notification about the task, as the runner's events would raise it.
        batch = Batch(notices=[Notice("needs_you", task_id, "[blink]now[/blink]")])
        app.post_message(RunnerBatch(batch))
        await pilot.pause()

        svg = app.export_screenshot()
        shown = screen_text(svg)
        assert "\x1b" not in svg and "\x07" not in svg
        assert HOSTILE_TITLE in shown  # on the card and in the detail header
        assert "goal \\x1b]0;pwned\\x07 [link=https://evil.example]click[/link]" in shown
        assert "[red]not red[/] \\x1b[31mANSI\\x1b[0m \\x07bell" in shown
        assert "echo [b]hi[/b]\\x1b[2J" in shown
        notes = [m.notification for m in seen if isinstance(m, Notify)]
        assert notes and all(not n.markup for n in notes)
        assert any(HOSTILE_TITLE in n.message and "[blink]now[/blink]" in n.message for n in notes)

        await pilot.press("a")
        assert isinstance(app.screen, ApproveScreen)
        assert "echo [b]hi[/b]\\x1b[2J" in screen_text(app.export_screenshot())
        await pilot.press("escape")

        await pilot.press("ctrl+p", *"bold")
        await pilot.pause()
        assert f"Open task: {HOSTILE_TITLE}" in screen_text(app.export_screenshot())
