"""A big board and a long journal still render; untrusted text is shown, never obeyed."""

from __future__ import annotations

from pathlib import Path

from textual.message import Message
from textual.notifications import Notify
from textual.widgets import TextArea
from tui_helpers import control_characters, screen_text, until

from smallclaw_tui.models import (
    ChannelKind,
    ChatMessage,
    ChatSessionRecord,
    FileContainsCheck,
    JournalEntry,
    JournalType,
    Origin,
    PendingApproval,
    PlanStep,
    Role,
    StepStatus,
    Task,
    TaskStatus,
    ToolCall,
)
from smallclaw_tui.store.journal import append_entries_sync
from smallclaw_tui.store.sessions import SessionStore
from smallclaw_tui.store.tasks import TaskStore, dump_task
from smallclaw_tui.tui.app import SmallClawApp
from smallclaw_tui.tui.demo import CHAT_KEY, NEEDS_APPROVAL_ID, demo_app, settled
from smallclaw_tui.tui.messages import Batch, Notice, RunnerBatch
from smallclaw_tui.tui.screens.approve import ApproveScreen
from smallclaw_tui.tui.screens.help import HelpScreen
from smallclaw_tui.tui.screens.new_task import NewTaskScreen
from smallclaw_tui.tui.screens.prompts import ConfirmScreen
from smallclaw_tui.tui.widgets.chat_pane import ChatInput, Transcript
from smallclaw_tui.tui.widgets.journal import JournalView


async def _widget_count(app: SmallClawApp, size: tuple[int, int]) -> int:
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: settled(app), "the demo to load", 30)
        app.open_task(NEEDS_APPROVAL_ID)
        await until(pilot, lambda: settled(app) and app.detail.task_id == NEEDS_APPROVAL_ID, "the detail")
        return len(app.query("*"))


async def test_a_thousand_tasks_and_a_five_thousand_entry_journal_render(tmp_path: Path) -> None:
    app = demo_app(tmp_path / "big", extra_tasks=1000, journal_entries=5000)
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
        # Virtualized: a card or an entry is drawn, not mounted. The whole app is a few dozen
        # widgets, as many as the small demo's (nine tasks, a fifteen-entry journal).
        widgets = len(app.query("*"))
    small = await _widget_count(demo_app(tmp_path / "small"), (120, 40))
    assert widgets < 150
    assert widgets <= small + 5  # toasts and scrollbars may come and go; nothing per task or entry


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


def _hostile_reply_in_chat(ws: Path) -> str:
    reply = "run this \x1b]0;pwned\x07 [bold]now[/]"
    record = ChatSessionRecord(
        key=CHAT_KEY,
        messages=[
            ChatMessage(role=Role.USER, content="say \x1b[2Jsomething"),
            ChatMessage(role=Role.ASSISTANT, content=reply),
        ],
    )
    sessions = SessionStore(ws / ".localclaw")
    sessions.path(CHAT_KEY).write_text(record.model_dump_json(), encoding="utf-8")
    return reply


async def test_markup_and_escape_sequences_are_shown_literally(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    task_id = _hostile_task(tmp_path)
    _hostile_reply_in_chat(tmp_path)
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
        await pilot.press("escape")

        # A reply turned into a task (t): the dialog's text area shows the escapes, never sends them.
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.focused, ChatInput), "the chat input")
        await pilot.press("shift+tab")  # the newest message, the reply, is selected
        log = app.query_one(Transcript)
        assert log.selected is not None and log.selected.text.startswith("run this")
        await pilot.press("t")
        assert isinstance(app.screen, NewTaskScreen)
        await pilot.pause()
        goal = app.screen.query_one("#goal", TextArea).text
        assert goal == "run this \\x1b]0;pwned\\x07 [bold]now[/]"
        svg = app.export_screenshot()
        assert control_characters(svg) == []
        assert "run this \\x1b]0;pwned\\x07 [bold]now[/]" in screen_text(svg)
        await pilot.press("escape")

        # The input's history recalls the message typed earlier the same way.
        await pilot.press("escape")  # transcript → input
        await until(pilot, lambda: isinstance(app.focused, ChatInput), "the chat input")
        await pilot.press("up")
        chat_input = app.query_one(ChatInput)
        assert chat_input.value == "say \\x1b[2Jsomething"
        assert control_characters(app.export_screenshot()) == []


EVIL = "\x1b]0;pwned\x07\x1b[2J\x9b31m\x00"  # OSC title, clear screen, a C1 CSI, a NUL
EVIL_SHOWN = "\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\x00"
MARKUP = "[bold red]x[/]"


def _evil_workspace(ws: Path) -> tuple[str, str]:
    """Tasks and a chat with hostile text in every field the screen shows."""
    store = TaskStore(ws / ".localclaw")
    stuck = Task(
        # Ids are plain now (a hostile id is quarantined before anything shows it: tests/store).
        id="e1evil",
        title=f"T {MARKUP} {EVIL}",
        prompt=f"goal {MARKUP} {EVIL}",
        status=TaskStatus.NEEDS_ASSISTANCE,
        plan=[
            PlanStep(
                index=0,
                description=f"step {MARKUP} {EVIL}",
                status=StepStatus.ACTIVE,
                attempts=2,
                checks=[FileContainsCheck(path=f"a{EVIL}.txt", text=f"{MARKUP}{EVIL}")],
            )
        ],
        pause_reason=f"reason {MARKUP} {EVIL}",
        pending_approval=PendingApproval(command=f"echo {MARKUP} {EVIL}"),
        origin=Origin(session_id=f"s{EVIL}", channel=ChannelKind.TUI),
    )
    done = Task(
        id="e2evil",
        title=f"D {MARKUP} {EVIL}",
        prompt="done goal",
        status=TaskStatus.COMPLETE,
        final_summary=f"summary {MARKUP} {EVIL}",
    )
    for task in (stuck, done):
        store.task_path(task.id).write_text(dump_task(task), encoding="utf-8")
    append_entries_sync(
        store.journal_path(stuck.id),
        [
            JournalEntry(type=JournalType.MODEL, content=f"model {MARKUP} {EVIL}"),
            JournalEntry(
                type=JournalType.TOOL_RESULT, content=f"result {MARKUP} {EVIL}", detail={"ok": False}
            ),
        ],
    )
    record = ChatSessionRecord(
        key=CHAT_KEY,
        messages=[
            ChatMessage(role=Role.USER, content=f"user {MARKUP} {EVIL}"),
            ChatMessage(
                role=Role.ASSISTANT,
                content=f"reply {MARKUP} {EVIL}",
                thinking=f"think {MARKUP} {EVIL}",
                tool_calls=[ToolCall(name="list_dir", arguments={"path": f"p{EVIL}"})],
            ),
            ChatMessage(role=Role.TOOL, content=f"listing {MARKUP} {EVIL}", name="list_dir"),
        ],
    )
    SessionStore(ws / ".localclaw").path(CHAT_KEY).write_text(record.model_dump_json(), encoding="utf-8")
    return stuck.id, done.id


async def test_hostile_text_in_every_field_never_reaches_the_terminal(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    stuck_id, done_id = _evil_workspace(tmp_path)
    # The model name is shown in the status bar and, as the server does not have it, in a warning.
    app.settings.llm.model = f"m{MARKUP}{EVIL}"
    screens: dict[str, str] = {}

    async def shot(name: str) -> None:
        await pilot.pause()
        screens[name] = app.export_screenshot()

    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        await until(pilot, lambda: settled(app), "the demo to load")
        await shot("board and chat, with the missing-model warning")
        for task_id in (stuck_id, done_id):
            app.open_task(task_id)
            await until(pilot, lambda t=task_id: settled(app) and app.detail.task_id == t, "the detail")
            await shot(f"detail of {task_id!r}")
        await pilot.press("c", "shift+tab", "z")  # the chat, wide enough that no line wraps
        await until(pilot, lambda: app.zoomed == "chat", "the zoomed chat")
        await shot("chat")
        await pilot.press("escape")
        app.open_task(stuck_id)
        await until(pilot, lambda: settled(app) and app.detail.task_id == stuck_id, "the detail")
        await pilot.press("a")
        assert isinstance(app.screen, ApproveScreen)
        await shot("approve dialog")
        await pilot.press("escape", "x")
        assert isinstance(app.screen, ConfirmScreen)
        await shot("cancel dialog")
        await pilot.press("escape", "r")
        await shot("resume dialog")
        await pilot.press("escape", "ctrl+p", *"open")
        await shot("command palette")
        await pilot.press("escape", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        await shot("help")
        await pilot.press("escape")

    for name, svg in screens.items():
        assert control_characters(svg) == [], name
    main, stuck, done, chat = (screen_text(screens[k]) for k in list(screens)[:4])
    for field in ("user", "reply", "think", "listing"):  # the chat transcript
        assert f"{field} {MARKUP} {EVIL_SHOWN}" in chat, field
    assert f"m{MARKUP}{EVIL_SHOWN}" in main  # status bar (and the warning)
    assert f"T {MARKUP} {EVIL_SHOWN}" in stuck  # the card and the detail header
    assert "e1evil" in stuck  # the id
    assert f"s{EVIL_SHOWN}" in stuck  # the chat it came from
    for field in ("goal", "step", "model", "result"):
        assert f"{field} {MARKUP} {EVIL_SHOWN}" in stuck, field
    assert f"echo {MARKUP} {EVIL_SHOWN}" in stuck  # the pending command
    assert f"summary {MARKUP} {EVIL_SHOWN}" in done
    assert f"echo {MARKUP} {EVIL_SHOWN}" in screen_text(screens["approve dialog"])
    assert "e1evil" in screen_text(screens["cancel dialog"])
