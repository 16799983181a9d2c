"""The state every part of :class:`~smallclaw_tui.tui.app.SmallClawApp` shares.

The app is one class built up in layers, each in its own module and each seeing only the ones
below it: this base (constructor, selection), then the board and view, the task actions, the chat
and model server, the runner host, and the app itself (layout, keys, help). Every handler lives in
exactly one layer; Textual walks the whole class hierarchy when it dispatches a message.

The layers import only Textual and light modules at the top: the core's types are imported for
typing only, and the dialogs and core modules where they are used, so that the first frame is
drawn before pydantic, httpx, the runner or a dialog is loaded (see `SmallClawApp(load=…)`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING, ClassVar, Literal

from textual.app import App
from textual.timer import Timer

from smallclaw_tui.status import TaskStatus
from smallclaw_tui.tui.messages import LogRecordPosted
from smallclaw_tui.tui.ports import Load, Loaded, RunnerPort, StartTelegram, TelegramPort
from smallclaw_tui.tui.widgets.board import Board
from smallclaw_tui.tui.widgets.chat_pane import ChatPane
from smallclaw_tui.tui.widgets.detail import DetailPane
from smallclaw_tui.tui.widgets.status import StatusBar

if TYPE_CHECKING:
    from smallclaw_tui.config import Settings
    from smallclaw_tui.models import Task
    from smallclaw_tui.runner.deps import RunnerDeps
    from smallclaw_tui.tui.adapter import RunnerAdapter

Pane = Literal["chat", "board", "detail"]


@dataclass(frozen=True, slots=True)
class AppOptions:
    chat_key: str = "tui"  # the chat session this pane talks in (and tasks started here report to)
    refresh_s: float = 1 / 30  # how long the adapter lets a burst of runner events gather
    tz: tzinfo | None = None  # times are shown in this zone (None: local)
    probe_server: bool = True
    manage_runner: bool = True  # start the runner after the first paint, stop it on quit
    stop_grace_s: float = 5.0
    cursor_blink: bool = True
    narrow_below: int = 110  # columns; narrower terminals show chat or board+detail, not both
    # Moving through the board shows the detail this long after the last key, so holding j does
    # not re-render the detail for every card passed (the board itself repaints at once).
    detail_delay_s: float = 0.06
    # No first token this long after a chat message: the server is up but still loading the model.
    loading_after_s: float = 2.0
    # While the server is unreachable (or still connecting), it is asked again this often.
    probe_interval_s: float = 10.0
    telegram_poll_s: float = 1.0  # how often the status bar reads the Telegram adapter's state
    # Wall-clock seconds for the running cards' elapsed time and spinner (fixed in screenshots).
    clock: Callable[[], float] = time.time


class _LogToApp(logging.Handler):
    """Log records of warning level and up, as messages to the app (shown as notifications).

    While the app owns the terminal, a record that reached stderr (Python's last-resort handler)
    would draw over the screen.
    """

    def __init__(self, app: App[None]) -> None:
        super().__init__(level=logging.WARNING)
        self.app = app

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a bad format string in someone's log call: show it unformatted
            text = str(record.msg)
        self.app.post_message(LogRecordPosted(record.levelno, text))


class AppBase(App[None]):
    TASK_ACTIONS: ClassVar[frozenset[str]] = frozenset(
        {"pause_task", "resume_task", "cancel_task", "approve_task", "undo_task", "archive_task", "edit_task"}
    )
    # Set in on_mount and kept: handlers run often (every runner batch) and must not query the DOM.
    board: Board
    detail: DetailPane
    status: StatusBar
    chat: ChatPane
    # Set by _take, in the constructor or, with `load`, once the first frame is on screen: nothing
    # that reads them runs before (see `loaded`, check_action and the chat input).
    deps: RunnerDeps
    runner: RunnerPort
    settings: Settings
    adapter: RunnerAdapter
    start_telegram: StartTelegram | None  # called once the runner runs; stopped after it stops

    def __init__(
        self,
        deps: RunnerDeps | None = None,
        runner: RunnerPort | None = None,
        options: AppOptions | None = None,
        *,
        start_telegram: StartTelegram | None = None,
        load: Load | None = None,
        theme: str | None = None,
    ) -> None:
        """Either `deps` and `runner` (the app runs on them at once) or `load`, which makes them
        in a thread after the first paint; `theme` paints that first frame until the settings say."""
        super().__init__()
        self.loaded = False
        self.load_error: str | None = None  # why `load` failed: the app closed without running
        self._load = load
        self.telegram: TelegramPort | None = None
        self._probing = False
        self._told: dict[str, TaskStatus] = {}  # chat-born tasks whose failure the chat was told
        self._log_handler = _LogToApp(self)
        self.options = options or AppOptions()
        self.cursor_blink = self.options.cursor_blink
        self.selected_id: str | None = None
        self.zoomed: Pane | None = None
        self.runner_ready = False
        self._stopped = False
        self._detail_timer: Timer | None = None
        self._loading_timer: Timer | None = None
        self._spin_timer: Timer | None = None  # runs only while a running task shows progress
        self._quitting = False
        self._asking_quit = False
        self._action_state: tuple[bool | None, ...] = ()
        self._bad_theme = False
        if theme is not None and theme in self.available_themes:
            self.theme = theme
        if deps is not None and runner is not None:
            self._take(Loaded(deps, runner, start_telegram))
        elif load is None:
            raise TypeError("SmallClawApp needs deps and runner, or load")

    def _take(self, loaded: Loaded) -> None:
        self.deps = loaded.deps
        self.runner = loaded.runner
        self.start_telegram = loaded.start_telegram
        self.settings = loaded.deps.settings
        # Subscribed now, before the runner starts, so no event between start and paint is lost.
        self.adapter = self._new_adapter()
        theme = self.settings.tui.theme
        self._bad_theme = theme not in self.available_themes
        if not self._bad_theme and theme != self.theme:
            self.theme = theme
        self.loaded = True

    def _new_adapter(self) -> RunnerAdapter:
        # Imported here: the adapter's event types are not needed for the first frame.
        from smallclaw_tui.tui.adapter import RunnerAdapter

        return RunnerAdapter(self.runner.bus, self.post_message, interval=self.options.refresh_s)

    def selected_task(self) -> Task | None:
        return self.runner.tasks.get(self.selected_id) if self.selected_id else None

    def _bindings_changed(self) -> None:
        """Refresh the footer only when what the task keys can do changed (it rebuilds itself)."""
        state = tuple(self.check_action(a, ()) for a in sorted(self.TASK_ACTIONS))
        if state != self._action_state:
            self._action_state = state
            self.refresh_bindings()
