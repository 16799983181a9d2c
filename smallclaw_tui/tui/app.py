"""SmallClawApp: chat, board and detail around an embedded runner.

Everything it needs comes in through the constructor (settings and model client in `deps`, the
runner, clock-ish options), so tests and the demo hand it fakes without patching. Runner events
reach the widgets only through :class:`~smallclaw_tui.tui.adapter.RunnerAdapter`; workers only
post messages; the handlers here own every state change.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import events, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.dom import DOMNode
from textual.screen import Screen

from smallclaw_tui.tui.app_base import AppOptions
from smallclaw_tui.tui.app_runner import RunnerHost
from smallclaw_tui.tui.commands import CommandHost, TaskCommands
from smallclaw_tui.tui.cursors import steady_cursors
from smallclaw_tui.tui.messages import RunnerStarted, ServerProbed
from smallclaw_tui.tui.text import flat
from smallclaw_tui.tui.widgets.board import Board, CardList, FilterInput
from smallclaw_tui.tui.widgets.chat_pane import ChatInput, ChatPane, Transcript
from smallclaw_tui.tui.widgets.detail import DetailInfo, DetailPane
from smallclaw_tui.tui.widgets.footer import FittingFooter
from smallclaw_tui.tui.widgets.journal import JournalView
from smallclaw_tui.tui.widgets.status import StatusBar

__all__ = ["AppOptions", "SmallClawApp"]

_OWN_COMMANDS = frozenset({"Keys", "Maximize", "Minimize"})


class _MainScreen(Screen[None]):
    # The board's first column takes the focus as the screen is made (where on_mount would move
    # it): focusing the chat first and then moving the focus restyles both panes and rebuilds the
    # footer before the first frame. Dialogs keep the app's "*" (their first input).
    AUTO_FOCUS = "#board CardList"

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._resumed = False

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # The first resume comes right after the mount, which has just styled every node (and
        # focus, classes and the theme restyle what they change): restyling the whole screen
        # again took a third of the CSS work before the first frame. Later resumes, when a
        # dialog closes, restyle as usual. Runs before Screen's own handler, which reads the flag.
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False


class SmallClawApp(RunnerHost):
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "SmallClaw"
    COMMANDS: ClassVar = App.COMMANDS | {TaskCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_task", "New", id="task.new"),
        Binding("p", "pause_task", "Pause", id="task.pause"),
        Binding("r", "resume_task", "Resume", id="task.resume"),
        Binding("x", "cancel_task", "Cancel", id="task.cancel"),
        Binding("a", "approve_task", "Approve", id="task.approve"),
        Binding("U", "undo_task", "Undo", id="task.undo", show=False),
        Binding("e", "edit_task", "Edit", id="task.edit", show=False),
        Binding("A", "archive_task", "Archive", id="task.archive", show=False),
        Binding("slash", "filter", "Filter", id="board.filter"),
        Binding("c", "focus_pane('chat')", "Chat", id="focus.chat"),
        Binding("b", "focus_pane('board')", "Board", id="focus.board"),
        Binding("d", "focus_pane('detail')", "Detail", id="focus.detail"),
        Binding("z", "zoom", "Zoom", id="pane.zoom"),
        # F1 too: in the chat input ? is a question mark, and help must stay one key away.
        Binding("question_mark,f1", "help", "Help", id="app.help"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
        # Not a priority binding: an input that has focus takes q as a letter first.
        Binding("q", "quit_from_board", "Quit", id="app.quit_q", show=False),
    ]

    # --- layout ---------------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[None]:
        return _MainScreen(id="_default")

    def compose(self) -> ComposeResult:
        with Horizontal(id="layout"):
            yield ChatPane(
                self.options.chat_key,
                tz=self.options.tz,
                clock=self.options.clock,
                id="chat",
            )
            with Vertical(id="work"):
                board = Board(id="board", clock=self.options.clock)
                yield board
                yield DetailPane(
                    self._load_journal,
                    tz=self.options.tz,
                    activity=board.activity,
                    progress_of=board.progress_text,
                    id="detail",
                )
        yield StatusBar(self.settings.llm.model if self.loaded else "", id="status")
        yield FittingFooter(compact=True)

    def on_mount(self) -> None:
        # Kept (see AppBase): handlers run often and must not query the DOM each time.
        self.board = self.query_one(Board)
        self.detail = self.query_one(DetailPane)
        self.status = self.query_one(StatusBar)
        self.chat = self.query_one(ChatPane)
        # Warnings (Telegram's, say) would go to stderr and draw over the screen: they go here.
        logging.getLogger().addHandler(self._log_handler)
        steady_cursors(self.screen)
        self._layout_for(self.size.width)
        self.board.focus_active()
        if self.loaded:
            self._attach_loaded()
            self.call_after_refresh(self._start_work)
        else:
            self.call_after_refresh(self._load_after_paint)

    @work(group="load", exit_on_error=False)
    async def _load_after_paint(self) -> None:
        """Settings, runner and model client, made off the event loop once the frame is up."""
        assert self._load is not None
        try:
            loaded = await asyncio.to_thread(self._load)
        except Exception as e:  # the settings, a workspace it cannot use: one line, after the app
            self.load_error = flat(str(e.args[0]) if e.args else f"{type(e).__name__}: {e}")
            self.exit(return_code=1)
            return
        if not self.is_running:
            return
        self._take(loaded)
        self._attach_loaded()
        self._start_work()

    def _attach_loaded(self) -> None:
        """What needs the settings and the runner: keys, the chat's model, the runner's events."""
        self._apply_keymap()
        self.status.set(model=self.settings.llm.model)
        self.chat.attach(self.deps)
        self._pump_events()
        self.refresh_bindings()

    def _start_work(self) -> None:
        if self.options.manage_runner:
            self._start_runner()
        else:
            self.post_message(RunnerStarted())
        if self.options.probe_server:
            self._start_probe()
            self.set_interval(self.options.probe_interval_s, self._start_probe)
        else:
            self.post_message(ServerProbed("ready", ""))

    def _apply_keymap(self) -> None:
        keymap = dict(self.settings.tui.keymap)
        known = {row[2] for row in self.help_rows()}
        unknown = sorted(set(keymap) - known)
        if unknown:
            self.notify(
                f"tui.keymap: unknown binding id {unknown[0]!r}; press ? for the ids",
                severity="warning",
                markup=False,
            )
        if keymap:
            self.set_keymap(keymap)
        if self._bad_theme:
            self.notify(
                f"tui.theme {self.settings.tui.theme!r} is not a known theme; using {self.theme}",
                severity="warning",
                markup=False,
            )

    # --- help -----------------------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Textual's own, less those the app does its own way: "Keys" is our help (with the ids to
        remap), and "Zoom the focused pane" is what Maximize would be, minus the keys."""
        for command in super().get_system_commands(screen):
            if command.title not in _OWN_COMMANDS:
                yield command

    def help_rows(self) -> list[HelpRow]:
        """Every binding with an id, its own class's first and then those it inherits."""
        keymap = self.settings.tui.keymap if self.loaded else {}
        rows: list[HelpRow] = []
        seen: set[str] = set()
        for owner in _binding_owners():
            for cls in (type(self) if owner is SmallClawApp else owner).__mro__:
                for binding in cls.__dict__.get("BINDINGS", ()):
                    if isinstance(binding, Binding) and binding.id and binding.id not in seen:
                        seen.add(binding.id)
                        keys = keymap.get(binding.id, binding.key)
                        shown = "/".join(
                            self.get_key_display(Binding(k.strip(), "")) for k in keys.split(",") if k.strip()
                        )
                        rows.append((flat(shown), binding.description, binding.id))
        return rows

    def action_help(self) -> None:
        from smallclaw_tui.tui.screens.help import HelpScreen

        self.push_screen(
            HelpScreen(self.help_rows(), "ctrl+p opens the command palette · Esc, q or ? closes this"),
        )


def _binding_owners() -> tuple[type[DOMNode], ...]:
    """Where the bindings live, in the order the help lists them (inherited ones follow each
    class's own). The dialogs are imported when they are first needed, not before the first frame."""
    from smallclaw_tui.tui.screens.approve import ApproveScreen
    from smallclaw_tui.tui.screens.help import HelpScreen
    from smallclaw_tui.tui.screens.new_task import NewTaskScreen
    from smallclaw_tui.tui.screens.prompts import ConfirmScreen, NoteScreen

    return (
        SmallClawApp,
        CardList,
        FilterInput,
        DetailInfo,
        JournalView,
        Transcript,
        ChatInput,
        ChatPane,
        NewTaskScreen,
        NoteScreen,
        ConfirmScreen,
        ApproveScreen,
        HelpScreen,
    )


if TYPE_CHECKING:
    from smallclaw_tui.tui.screens.help import HelpRow

    def _palette_host(app: SmallClawApp) -> CommandHost:
        return app  # mypy proves here that the app is what the palette expects of it
