"""SmallClawApp: chat, board and detail around an embedded runner.

Everything it needs comes in through the constructor (settings and model client in `deps`, the
runner, clock-ish options), so tests and the demo hand it fakes without patching. Runner events
reach the widgets only through :class:`~smallclaw_tui.tui.adapter.RunnerAdapter`; workers only
post messages; the handlers here own every state change.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import ClassVar, Literal

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.dom import DOMNode
from textual.events import DescendantFocus, Resize
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from smallclaw_tui import taskops
from smallclaw_tui.agent.events import ContextInfo, UsageInfo
from smallclaw_tui.llm.base import LLMError
from smallclaw_tui.models import ChannelKind, JournalEntry, Origin, PlanStep, Task, TaskStatus
from smallclaw_tui.runner.delivery import completion_message, needs_you_message
from smallclaw_tui.runner.deps import RunnerDeps
from smallclaw_tui.tools.base import ApprovalDecision
from smallclaw_tui.tui import board_model
from smallclaw_tui.tui.adapter import RunnerAdapter
from smallclaw_tui.tui.commands import TaskCommands
from smallclaw_tui.tui.forms import NewTaskForm
from smallclaw_tui.tui.messages import (
    ApprovalRequested,
    ChatStream,
    ChatTurnDone,
    ChatTurnEvent,
    ChatTurnFailed,
    LogRecordPosted,
    Notice,
    RunnerBatch,
    RunnerFailed,
    RunnerStarted,
    ServerProbed,
    TelegramStarted,
)
from smallclaw_tui.tui.ports import RunnerPort, StartTelegram, TelegramPort
from smallclaw_tui.tui.screens.approve import Answer, ApproveScreen
from smallclaw_tui.tui.screens.base import steady_cursors
from smallclaw_tui.tui.screens.help import HelpRow, HelpScreen
from smallclaw_tui.tui.screens.new_task import NewTaskScreen
from smallclaw_tui.tui.screens.prompts import ConfirmScreen, NoteScreen
from smallclaw_tui.tui.text import flat
from smallclaw_tui.tui.widgets.board import Board, CardList, FilterInput
from smallclaw_tui.tui.widgets.chat_pane import TURN_GROUP, ChatInput, ChatPane, Transcript
from smallclaw_tui.tui.widgets.detail import DetailInfo, DetailPane
from smallclaw_tui.tui.widgets.footer import FittingFooter
from smallclaw_tui.tui.widgets.journal import JournalView
from smallclaw_tui.tui.widgets.status import StatusBar

Pane = Literal["chat", "board", "detail"]
_OWN_COMMANDS = frozenset({"Keys", "Maximize", "Minimize"})
SERVER_FIX = (
    "Start Ollama (`ollama serve`) or set SMALLCLAW_LLM__BASE_URL to where your model server runs; "
    "`smallclaw doctor` checks the setup. The board and tasks still work."
)
# Server states the app keeps probing from, until the server answers.
_RETRY_STATES = frozenset({"connecting", "unreachable", "missing model"})
# What each background job is, for the message that says it failed.
_WORKER_WHAT = {
    "runner-events": "following the runner",
    "runner-start": "starting the runner",
    "quit": "stopping",
    "probe": "checking the model server",
    "chat-history": "loading the chat history",
    TURN_GROUP: "the chat reply",
    "detail-journal": "loading the journal",
}


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


class SmallClawApp(App[None]):
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
    TASK_ACTIONS: ClassVar[frozenset[str]] = frozenset(
        {"pause_task", "resume_task", "cancel_task", "approve_task", "undo_task"}
    )

    def __init__(
        self,
        deps: RunnerDeps,
        runner: RunnerPort,
        options: AppOptions | None = None,
        *,
        start_telegram: StartTelegram | None = None,
    ) -> None:
        super().__init__()
        self.deps = deps
        self.runner = runner
        self.start_telegram = start_telegram  # called once the runner runs; stopped after it stops
        self.telegram: TelegramPort | None = None
        self._probing = False
        self._told: dict[str, TaskStatus] = {}  # chat-born tasks whose failure the chat was told
        self._log_handler = _LogToApp(self)
        self.options = options or AppOptions()
        self.settings = deps.settings
        self.cursor_blink = self.options.cursor_blink
        self.selected_id: str | None = None
        self.zoomed: Pane | None = None
        self.runner_ready = False
        self._stopped = False
        self._detail_timer: Timer | None = None
        self._loading_timer: Timer | None = None
        self._quitting = False
        self._asking_quit = False
        self._action_state: tuple[bool | None, ...] = ()
        # Subscribed now, before the runner starts, so no event between start and paint is lost.
        self.adapter = RunnerAdapter(runner.bus, self.post_message, interval=self.options.refresh_s)
        theme = self.settings.tui.theme
        self._bad_theme = theme not in self.available_themes
        if not self._bad_theme:
            self.theme = theme

    # --- layout ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="layout"):
            yield ChatPane(self.deps, self.options.chat_key, id="chat")
            with Vertical(id="work"):
                board = Board(id="board")
                yield board
                yield DetailPane(self._load_journal, tz=self.options.tz, activity=board.activity, id="detail")
        yield StatusBar(self.settings.llm.model, id="status")
        yield FittingFooter(compact=True)

    def on_mount(self) -> None:
        # Kept: handlers run often (every runner batch) and must not query the DOM each time.
        self.board = self.query_one(Board)
        self.detail = self.query_one(DetailPane)
        self.status = self.query_one(StatusBar)
        self.chat = self.query_one(ChatPane)
        # Warnings (Telegram's, say) would go to stderr and draw over the screen: they go here.
        logging.getLogger().addHandler(self._log_handler)
        self._apply_keymap()
        steady_cursors(self.screen)
        self._layout_for(self.size.width)
        self.board.focus_active()
        self._pump_events()
        self.call_after_refresh(self._after_first_paint)

    def _after_first_paint(self) -> None:
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

    def on_resize(self, event: Resize) -> None:
        self._layout_for(event.size.width)
        # The footer fits its keys to the width it had when the bindings last changed.
        self.query_one(FittingFooter).refit()

    def _layout_for(self, width: int) -> None:
        self.query_one("#layout").set_class(width < self.options.narrow_below, "-narrow")

    def _set_zoom(self, pane: Pane | None) -> None:
        self.zoomed = pane
        layout = self.query_one("#layout")
        for name in ("chat", "board", "detail"):
            layout.set_class(pane == name, f"-zoom-{name}")

    def _pane_of(self, widget: Widget | None) -> Pane | None:
        for node in widget.ancestors_with_self if widget is not None else ():
            if node.id in ("chat", "board", "detail"):
                return node.id  # type: ignore[return-value]
        return None

    def _show_pane(self, pane: Pane) -> None:
        layout = self.query_one("#layout")
        layout.set_class(pane == "chat", "-show-chat")
        if self.zoomed is not None and self.zoomed != pane:
            self._set_zoom(None)

    # --- focus and zoom -------------------------------------------------------------------------

    def action_focus_pane(self, pane: Pane) -> None:
        self._move_focus(pane, self._focus_target(pane))

    def _move_focus(self, pane: Pane, target: Widget) -> None:
        # Focus moves first, then the other pane hides: a focused widget that is hidden gives its
        # focus away to a neighbour (in the hidden pane) and can leave nothing focused at all.
        target.screen.set_focus(target)  # its own screen (a palette may still be on top)
        self._show_pane(pane)
        self.call_after_refresh(self._settle_focus, pane, target)

    def _focus_target(self, pane: Pane) -> Widget:
        if pane == "chat":
            return self.query_one(ChatInput)
        if pane == "board":
            return self.board.pick_active()
        journal = self.query_one(JournalView)
        if self._pane_of(self.focused) == "detail" and self.focused is journal:
            return self.query_one(DetailInfo)  # d again: the plan and summary above the journal
        return journal

    def _settle_focus(self, pane: Pane, target: Widget) -> None:
        """After the layout change: focus is where it was sent, not lost in a pane now hidden."""
        if self.is_running and target.is_attached and self._pane_of(target.screen.focused) != pane:
            target.screen.set_focus(target)

    def action_zoom(self) -> None:
        pane = self._pane_of(self.focused) or "board"
        self._set_zoom(None if self.zoomed == pane else pane)

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        if not self.is_running:
            return  # focus moves while the app shuts down, screens already gone
        pane = self._pane_of(event.widget)
        if pane is not None:
            self.query_one("#layout").set_class(pane == "chat", "-show-chat")

    # --- runner life cycle ----------------------------------------------------------------------

    @work(group="runner-events", exit_on_error=False)
    async def _pump_events(self) -> None:
        await self.adapter.run()

    @work(group="runner-start", exit_on_error=False)
    async def _start_runner(self) -> None:
        try:
            await self.runner.start()
        except Exception as e:  # shown to the user; the app stays open to read the board
            self.post_message(RunnerFailed(f"{type(e).__name__}: {e}"))
            return
        self.post_message(RunnerStarted())
        if self.start_telegram is not None and not self._stopped:
            try:
                self.telegram = await self.start_telegram()
            except Exception as e:  # Telegram is extra: the app works without it
                self.post_message(TelegramStarted(f"{type(e).__name__}: {e}"))
                return
            if self.telegram is not None:
                self.post_message(TelegramStarted())

    def on_telegram_started(self, message: TelegramStarted) -> None:
        if not self.is_running:
            return
        if message.error is not None:
            self.notify(
                f"Telegram could not start: {flat(message.error)}", severity="error", markup=False, timeout=15
            )
            return
        self._poll_telegram()
        self.set_interval(self.options.telegram_poll_s, self._poll_telegram)

    def _poll_telegram(self) -> None:
        if self.telegram is not None and self.is_running:
            self.status.set(telegram=self.telegram.state)

    def on_log_record_posted(self, message: LogRecordPosted) -> None:
        if self.is_running:
            self.notify(
                flat(message.text),
                severity="error" if message.level >= logging.ERROR else "warning",
                markup=False,
                timeout=10,
            )

    def on_runner_started(self) -> None:
        if not self.is_running:
            return
        self.runner_ready = True
        board = self.board
        board.load(self.runner.tasks)
        # Endings from before this start are old news: only new ones are told in the chat.
        ended = (TaskStatus.FAILED, TaskStatus.CANCELLED)
        self._told = {t.id: t.status for t in self.runner.tasks.values() if t.status in ended}
        if self.focused is None or isinstance(self.focused, CardList):
            board.focus_active()
        self._update_counts()
        for problem in self.runner.problems:
            self.notify(f"quarantined: {flat(str(problem))}", severity="warning", markup=False, timeout=10)

    def on_runner_failed(self, message: RunnerFailed) -> None:
        self.notify(
            f"the runner could not start: {flat(message.error)}", severity="error", markup=False, timeout=30
        )

    # --- failures of background work -----------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place a failed worker is reported (every worker of the app runs on the app)."""
        if event.state != WorkerState.ERROR or not self.is_running:
            return
        worker: Worker[object] = event.worker
        group = worker.group
        error = worker.error
        what = flat(f"{type(error).__name__}: {error}")
        if group == TURN_GROUP:
            self.chat.show_system(f"the reply failed: {what}", error=True)
            self.chat.busy = False
            self._model_answered()
        elif group == "probe":
            self._server_state("unreachable", what)
        elif group == "runner-events":
            self._restart_pump()
        elif group == "detail-journal":
            self.detail.journal_failed(what)
        elif group == "quit":
            self.exit()
        self.notify(
            f"{_WORKER_WHAT.get(group, group)} failed: {what}",
            title="Something went wrong",
            severity="error",
            markup=False,
            timeout=15,
        )

    def _restart_pump(self) -> None:
        """A new subscription and a full re-read: what the dead pump missed is on the tasks."""
        self.adapter = RunnerAdapter(self.runner.bus, self.post_message, interval=self.options.refresh_s)
        self._pump_events()
        if self.runner_ready:
            self.board.load(self.runner.tasks)
            self._update_counts()

    async def action_quit(self) -> None:
        if self._quitting:
            self.exit()  # asked twice: leave now; running tasks resume after a restart
            return
        running = sum(1 for t in self.runner.tasks.values() if t.status == TaskStatus.RUNNING)
        if not running:
            self._start_quitting()
            return
        if self._asking_quit:
            self.screen.dismiss(True)  # ctrl+q on the question itself: yes
            return
        self._asking_quit = True

        def answer(yes: bool | None) -> None:
            self._asking_quit = False
            if yes:
                self._start_quitting()

        tasks = "1 task is" if running == 1 else f"{running} tasks are"
        self.push_screen(
            ConfirmScreen(
                Content("Quit SmallClaw?"),
                Content(
                    f"{tasks} running. It stops at a safe point and goes on by itself the next time "
                    "SmallClaw starts."
                ),
                yes_means="quits",
                no_means="stays",
            ),
            answer,
        )

    async def action_quit_from_board(self) -> None:
        await self.action_quit()

    def _start_quitting(self) -> None:
        self._quitting = True
        if any(t.status == TaskStatus.RUNNING for t in self.runner.tasks.values()):
            self.notify("stopping at a safe point… (ctrl+q again leaves now)", markup=False)
        self._quit()

    @work(group="quit", exit_on_error=False)
    async def _quit(self) -> None:
        try:
            await self._stop_runner()
        finally:
            self.exit()

    async def on_unmount(self) -> None:
        try:
            await self._stop_runner()
        finally:
            logging.getLogger().removeHandler(self._log_handler)

    async def _stop_runner(self) -> None:
        if self._stopped or not self.options.manage_runner:
            return
        self._stopped = True
        try:
            await self.runner.stop(grace_s=self.options.stop_grace_s)
        finally:
            # After the runner: a result it delivered just before stopping still goes out.
            telegram, self.telegram = self.telegram, None
            if telegram is not None:
                await telegram.stop()

    # --- server state ---------------------------------------------------------------------------

    def _start_probe(self) -> None:
        """Ask the server, unless it is known to be up or a question is still out."""
        if self._probing or not self.is_running or self.status.info.server not in _RETRY_STATES:
            return
        self._probing = True
        self._probe_server()

    @work(group="probe", exit_on_error=False)
    async def _probe_server(self) -> None:
        from smallclaw_tui.doctor import model_present

        llm = self.settings.llm
        try:
            try:
                names = await self.deps.client.list_models()
            except LLMError as e:
                self.post_message(ServerProbed("unreachable", str(e)))
                return
            if llm.api == "ollama" and not model_present(llm.model, names):
                model = flat(llm.model)
                self.post_message(
                    ServerProbed("missing model", f"{model} is not on the server; run `ollama pull {model}`")
                )
                return
            self.post_message(ServerProbed("ready", ""))
        finally:
            self._probing = False

    def on_server_probed(self, message: ServerProbed) -> None:
        if self.is_running:
            self._server_state(message.state, message.detail)

    def _server_state(self, state: str, detail: str) -> None:
        status = self.status
        was = status.info.server
        status.set(server=state)
        if state == was:
            return
        chat = self.chat
        if state == "unreachable":
            chat.show_system(f"Model server unreachable: {detail}\n{SERVER_FIX}", error=True)
            self.notify(
                "Model server unreachable. Start Ollama or set SMALLCLAW_LLM__BASE_URL; "
                "run `smallclaw doctor`.",
                title="No model server",
                severity="warning",
                markup=False,
                timeout=10,
            )
        elif state == "missing model":
            chat.show_system(detail, error=True)
            self.notify(flat(detail), severity="warning", markup=False, timeout=10)
        elif state == "ready" and was in ("unreachable", "missing model"):
            chat.show_system("Model server is back.")

    # --- runner events --------------------------------------------------------------------------

    def on_runner_batch(self, message: RunnerBatch) -> None:
        batch = message.batch
        board, detail = self.board, self.detail
        if not self.is_running:
            return  # a batch that arrived while the app shuts down: the widgets are going away
        with self.batch_update():
            if batch.changed and self.runner_ready:
                board.update_tasks(batch.changed)
                if self.selected_id in batch.changed:
                    task = self.runner.tasks.get(self.selected_id)
                    if task is not None:
                        detail.refresh_task(task)
                    self._bindings_changed()
            if batch.activity:
                board.set_activity(batch.activity)
                detail.activity_changed(set(batch.activity))
            for task_id, entries in batch.journal.items():
                detail.add_live_entries(task_id, entries)
            if batch.server is not None:
                self._server_state(batch.server.state, batch.server.detail)
            if batch.context is not None and batch.context.num_ctx:
                self.status.set(context_pct=round(100 * batch.context.prompt_tokens / batch.context.num_ctx))
            if batch.speed is not None:
                self.status.set(tokens_per_s=batch.speed)
            if batch.changed:
                self._update_counts()
                self._tell_chat_of_endings(batch.changed)
            for notice in batch.notices:
                self._notice(notice)
            for problem in batch.problems:
                self.notify(
                    f"a runner event could not be shown: {flat(problem)}", severity="error", markup=False
                )

    def _tell_chat_of_endings(self, changed: set[str]) -> None:
        """Tasks started from this chat that failed or were cancelled say so there (the runner
        delivers completions and needs-you pauses itself)."""
        for task_id in changed:
            task = self.runner.tasks.get(task_id)
            if task is None or task.origin.session_id != self.options.chat_key:
                continue
            status = task.status
            if status not in (TaskStatus.FAILED, TaskStatus.CANCELLED):
                self._told.pop(task_id, None)
                continue
            if self._told.get(task_id) == status:
                continue
            self._told[task_id] = status
            head = f"Task {task.id} “{task.title}”"
            if status == TaskStatus.FAILED:
                text = (
                    f"{head} failed: {task.pause_reason or 'no reason given'}\n"
                    f"Resume it with r on the board or `smallclaw task resume {task.id}`."
                )
            else:
                text = f"{head} was cancelled."
            self.chat.show_delivery(text)

    def _update_counts(self) -> None:
        counts = board_model.counts(self.runner.tasks.values())
        paused = sum(1 for t in self.runner.tasks.values() if t.status == TaskStatus.PAUSED)
        self.status.set(
            running=counts["running"],
            queued=counts["queued"],
            needs_you=counts["needs"] - paused,
            paused=paused,
        )

    def _notice(self, notice: Notice) -> None:
        task = self.runner.tasks.get(notice.task_id)
        title = flat(task.title) if task is not None else flat(notice.task_id)
        if notice.kind == "completed":
            self.notify(f"Done: {title}", title="Task complete", markup=False)
        elif notice.kind == "needs_you":
            self.notify(
                f"{title}: {flat(notice.text)}", title="Task needs you", severity="warning", markup=False
            )
        elif notice.kind == "failed":
            self.notify(f"{title}: {flat(notice.text)}", title="Task failed", severity="error", markup=False)
        elif notice.kind == "answered":
            self.notify(f"{title}: {flat(notice.text)}", severity="warning", markup=False, timeout=10)
        elif notice.kind == "delivery_failed":
            self.notify(
                f"{title}: {flat(notice.text)}", title="Delivery failed", severity="error", markup=False
            )
        elif (
            notice.kind == "delivered"
            and task is not None
            and task.origin.session_id == self.options.chat_key
        ):
            text = completion_message(task) if task.status == TaskStatus.COMPLETE else needs_you_message(task)
            self.chat.show_delivery(text)

    # --- selection and detail -------------------------------------------------------------------

    def selected_task(self) -> Task | None:
        return self.runner.tasks.get(self.selected_id) if self.selected_id else None

    @on(Board.Selected)
    def _board_selected(self, message: Board.Selected) -> None:
        self.selected_id = message.task_id
        self._bindings_changed()
        if self._detail_timer is not None:
            self._detail_timer.stop()
        self._detail_timer = self.set_timer(self.options.detail_delay_s, self._show_selected)

    @property
    def detail_pending(self) -> bool:
        """A selection change whose detail is not shown yet (see `detail_delay_s`)."""
        return self._detail_timer is not None

    def _show_selected(self) -> None:
        self._detail_timer = None
        if self.is_running:  # a timer that fires while the app shuts down finds the panes gone
            self.detail.show(self.selected_task())

    def _bindings_changed(self) -> None:
        """Refresh the footer only when what the task keys can do changed (it rebuilds itself)."""
        state = tuple(self.check_action(a, ()) for a in sorted(self.TASK_ACTIONS))
        if state != self._action_state:
            self._action_state = state
            self.refresh_bindings()

    @on(Board.Opened)
    def _board_opened(self, message: Board.Opened) -> None:
        self.open_task(message.task_id)

    def open_task(self, task_id: str) -> None:
        board = self.board
        if board.column_of_id(task_id) is None and board.query_text:
            board.close_filter(clear=True)
        board.select(task_id)
        self.selected_id = task_id
        self._show_selected()
        self._bindings_changed()
        self._move_focus("detail", self.query_one(JournalView))

    async def _load_journal(self, task_id: str) -> list[JournalEntry]:
        task = await self.runner.store.load(task_id)
        return task.journal

    # --- task actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "quit_from_board":
            # Over a dialog q is a letter or the dialog's own key; only ctrl+q leaves from there.
            return len(self.screen_stack) == 1
        if action not in self.TASK_ACTIONS:
            return True
        task = self.selected_task()
        if task is None:
            return False  # hidden from the footer: 80 columns have no room for what cannot run
        status = task.status
        allowed = {
            "pause_task": status in (TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.NEEDS_ASSISTANCE),
            "resume_task": status in (TaskStatus.PAUSED, TaskStatus.NEEDS_ASSISTANCE, TaskStatus.FAILED),
            "cancel_task": not status.is_final,
            "approve_task": task.pending_approval is not None,
            "undo_task": status not in (TaskStatus.QUEUED, TaskStatus.RUNNING),
        }[action]
        return allowed

    async def _intent(self, what: str, task_id: str, note: str | None = None) -> bool:
        method = {
            "pause": self.runner.pause,
            "resume": self.runner.resume,
            "cancel": self.runner.cancel,
            "approve": self.runner.approve,
            "deny": self.runner.deny,
        }[what]
        try:
            await method(task_id, note)
        except (taskops.TaskOpError, LookupError) as e:
            self.notify(flat(str(e)), severity="error", markup=False)
            return False
        self._bindings_changed()
        return True

    async def action_pause_task(self) -> None:
        task = self.selected_task()
        if task is None:
            return
        running = task.status == TaskStatus.RUNNING
        if await self._intent("pause", task.id) and running:
            self.notify("pausing after the current round", markup=False)

    def action_resume_task(self) -> None:
        task = self.selected_task()
        if task is None:
            return
        task_id = task.id

        async def resume(note: str | None) -> None:
            if note is not None:
                await self._intent("resume", task_id, note or None)

        self.push_screen(
            NoteScreen(
                Content.assemble("Resume ", (flat(task.title), "bold")),
                "A note for the model (optional): what to do differently. Enter alone resumes as is.",
                placeholder="e.g. the file is under docs/, not notes/",
            ),
            resume,
        )

    def action_cancel_task(self) -> None:
        task = self.selected_task()
        if task is None:
            return
        task_id = task.id

        async def cancel(yes: bool | None) -> None:
            task = self.runner.tasks.get(task_id)
            # A running task is asked (applied at its next safe point): say so, as pause does.
            if yes and await self._intent("cancel", task_id) and task and task.status == TaskStatus.RUNNING:
                self.notify("cancelling after the current round", markup=False)

        self.push_screen(
            ConfirmScreen(
                Content("Cancel this task?"),
                Content.assemble(
                    (flat(task.title), "bold"), f" ({flat(task_id)}) stops for good; files it wrote stay."
                ),
            ),
            cancel,
        )

    def action_undo_task(self) -> None:
        task = self.selected_task()
        if task is None:
            return
        task_id = task.id

        async def undo(yes: bool | None) -> None:
            if not yes:
                return
            try:
                outcome = await self.runner.undo(task_id)
            except (taskops.TaskOpError, LookupError) as e:
                self.notify(flat(str(e)), severity="error", markup=False)
                return
            text = flat("; ".join(outcome.lines))
            if outcome.done:
                self.notify(f"undone: {text}", markup=False)
            else:
                self.notify(f"undo refused, nothing changed: {text}", severity="warning", markup=False)

        self.push_screen(
            ConfirmScreen(
                Content("Undo this task's changes?"),
                Content.assemble(
                    "Every file ",
                    (flat(task.title), "bold"),
                    f" ({flat(task_id)}) changed goes back to how it was before it ran. "
                    "A file changed since is left alone, and then nothing is undone.",
                ),
            ),
            undo,
        )

    def action_approve_task(self) -> None:
        task = self.selected_task()
        if task is None or task.pending_approval is None:
            self.notify("this task is not waiting for a command approval", markup=False)
            return
        task_id = task.id

        async def decide(answer: Answer | None) -> None:
            if answer is not None:
                await self._intent(answer, task_id)

        self.push_screen(
            ApproveScreen(
                Content.assemble("Task ", (flat(task.title), "bold"), f" ({flat(task_id)}) wants to run:"),
                task.pending_approval.command,
            ),
            decide,
        )

    def action_new_task(self) -> None:
        self.push_screen(NewTaskScreen(), self._create_from_form)

    async def _create_from_form(self, form: NewTaskForm | None, origin: Origin | None = None) -> None:
        if form is None:
            return
        await self._create_task(form.goal, title=form.title, steps=form.steps, origin=origin)

    async def _create_task(
        self,
        goal: str,
        *,
        title: str | None = None,
        steps: list[PlanStep] | None = None,
        origin: Origin | None = None,
    ) -> Task | None:
        try:
            task = await self.runner.create_task(
                goal, title=title, steps=steps or None, origin=origin or Origin(channel=ChannelKind.TUI)
            )
        except (taskops.TaskOpError, OSError) as e:
            self.notify(f"could not create the task: {flat(str(e))}", severity="error", markup=False)
            return None
        board = self.board
        if self.runner_ready:
            board.update_tasks({task.id})
            board.select(task.id)
        self.notify(f"queued: {flat(task.title)}", markup=False)
        return task

    def action_filter(self) -> None:
        self._show_pane("board")
        self.board.open_filter()

    # --- chat -----------------------------------------------------------------------------------

    def _chat_origin(self) -> Origin:
        return Origin(session_id=self.options.chat_key, channel=ChannelKind.TUI)

    @on(ChatPane.TaskRequested)
    async def _chat_task(self, message: ChatPane.TaskRequested) -> None:
        task = await self._create_task(message.goal, origin=self._chat_origin())
        if task is not None:
            self.chat.show_system(
                f"task {task.id} “{flat(task.title)}” queued; its result will come back here"
            )

    @on(Transcript.ToTask)
    def _message_to_task(self, message: Transcript.ToTask) -> None:
        origin = self._chat_origin()

        async def create(form: NewTaskForm | None) -> None:
            await self._create_from_form(form, origin)

        self.push_screen(
            NewTaskScreen(
                message.text, origin_note="From a chat message; the result comes back to this chat."
            ),
            create,
        )

    def on_approval_requested(self, message: ApprovalRequested) -> None:
        answer = message.answer

        def decide(choice: Answer | None) -> None:
            if not answer.done():
                approved = choice == "approve"
                answer.set_result(ApprovalDecision.APPROVED if approved else ApprovalDecision.DENIED)

        self.push_screen(
            ApproveScreen(Content("The chat wants to run:"), message.command, leave_means="deny"), decide
        )

    @on(ChatPane.Sent)
    def _chat_sent(self) -> None:
        self._model_answered()
        self._loading_timer = self.set_timer(self.options.loading_after_s, self._model_slow)

    def _model_slow(self) -> None:
        self._loading_timer = None
        if self.is_running and self.status.info.server == "ready":
            self.status.set(server="loading")

    def _model_answered(self) -> None:
        if self._loading_timer is not None:
            self._loading_timer.stop()
            self._loading_timer = None
        if self.status.info.server == "loading":
            self.status.set(server="ready")

    def on_chat_stream(self, message: ChatStream) -> None:
        self._model_answered()

    def on_chat_turn_done(self, message: ChatTurnDone) -> None:
        self._model_answered()

    def on_chat_turn_event(self, message: ChatTurnEvent) -> None:
        event = message.event
        status = self.status
        if isinstance(event, ContextInfo) and event.num_ctx:
            status.set(context_pct=round(100 * event.prompt_tokens / event.num_ctx))
        elif isinstance(event, UsageInfo):
            if event.tokens_per_s is not None:
                status.set(tokens_per_s=event.tokens_per_s)
            self._server_state("ready", "")

    def on_chat_turn_failed(self, message: ChatTurnFailed) -> None:
        if message.unreachable:
            self._server_state("unreachable", message.error)

    # --- help -----------------------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Textual's own, less those the app does its own way: "Keys" is our help (with the ids to
        remap), and "Zoom the focused pane" is what Maximize would be, minus the keys."""
        for command in super().get_system_commands(screen):
            if command.title not in _OWN_COMMANDS:
                yield command

    def help_rows(self) -> list[HelpRow]:
        """Every binding with an id, its own class's first and then those it inherits."""
        keymap = self.settings.tui.keymap
        rows: list[HelpRow] = []
        seen: set[str] = set()
        for owner in _BINDING_OWNERS:
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
        self.push_screen(
            HelpScreen(self.help_rows(), "ctrl+p opens the command palette · Esc, q or ? closes this"),
        )


class _LogToApp(logging.Handler):
    """Log records of warning level and up, as messages to the app (shown as notifications).

    While the app owns the terminal, a record that reached stderr (Python's last-resort handler)
    would draw over the screen.
    """

    def __init__(self, app: SmallClawApp) -> None:
        super().__init__(level=logging.WARNING)
        self.app = app

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a bad format string in someone's log call: show it unformatted
            text = str(record.msg)
        self.app.post_message(LogRecordPosted(record.levelno, text))


# Where the bindings live, in the order the help lists them (inherited ones follow each class's own).
_BINDING_OWNERS: tuple[type[DOMNode], ...] = (
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
