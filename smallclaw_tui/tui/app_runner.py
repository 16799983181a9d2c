"""The runner host: starting and stopping the runner (and Telegram), quitting, failed workers,
and turning runner batches into board, detail, status and chat updates."""

from __future__ import annotations

import logging

from textual import work
from textual.content import Content
from textual.worker import Worker, WorkerState

from smallclaw_tui.status import TaskStatus
from smallclaw_tui.tui import board_model
from smallclaw_tui.tui.app_chat import ChatActions
from smallclaw_tui.tui.board_model import SPIN_HZ
from smallclaw_tui.tui.messages import (
    LogRecordPosted,
    Notice,
    RunnerBatch,
    RunnerFailed,
    RunnerStarted,
    TelegramStarted,
)
from smallclaw_tui.tui.text import flat
from smallclaw_tui.tui.widgets.board import CardList
from smallclaw_tui.tui.widgets.chat_pane import TURN_GROUP

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


# What the keys can do in the moment between the first frame and the runner's load.
_BEFORE_LOAD = frozenset({"quit", "quit_from_board", "help", "zoom"})


class RunnerHost(ChatActions):
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
        self.adapter = self._new_adapter()
        self._pump_events()
        if self.runner_ready:
            self.board.load(self.runner.tasks)
            self._update_counts()

    async def action_quit(self) -> None:
        from smallclaw_tui.tui.screens.prompts import ConfirmScreen

        if not self.loaded:
            self.exit()  # nothing runs yet; the load in progress is dropped
            return
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
        if self._stopped or not self.options.manage_runner or not self.loaded:
            return
        self._stopped = True
        try:
            await self.runner.stop(grace_s=self.options.stop_grace_s)
        finally:
            # After the runner: a result it delivered just before stopping still goes out.
            telegram, self.telegram = self.telegram, None
            if telegram is not None:
                await telegram.stop()

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
            if batch.progress:
                board.set_progress(batch.progress)
                detail.activity_changed(set(batch.progress))
                self._spin()
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

    def _spin(self) -> None:
        """Keep the running cards' spinner and seconds moving while some task shows progress; the
        timer stops when none does, so an idle app stays idle."""
        if self._spin_timer is None:
            self._spin_timer = self.set_interval(1 / SPIN_HZ, self._tick_progress)
        else:
            self._spin_timer.resume()

    def _tick_progress(self) -> None:
        if not self.is_running:
            return
        if not self.board.tick() and self._spin_timer is not None:
            self._spin_timer.pause()
        if self.selected_id is not None and self.selected_id in self.board.progress:
            self.detail.activity_changed({self.selected_id})

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
            # Routine: the card moves to Done (and a chat-born task's result reaches its chat).
            if self.settings.tui.toasts == "all":
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
            from smallclaw_tui.runner.delivery import completion_message, needs_you_message

            text = completion_message(task) if task.status == TaskStatus.COMPLETE else needs_you_message(task)
            self.chat.show_delivery(text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.loaded and action not in _BEFORE_LOAD:
            return None  # shown, dimmed: it works once the settings and runner are loaded
        if action == "quit_from_board":
            # Over a dialog q is a letter or the dialog's own key; only ctrl+q leaves from there.
            return len(self.screen_stack) == 1
        return super().check_action(action, parameters)
