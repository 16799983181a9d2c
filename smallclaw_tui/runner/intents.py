"""What users ask of the runner's tasks — create, pause, resume, cancel, approve, deny, edit,
archive, undo — from the app, from Telegram, or as requests from another process (`apply`).

The runner owns its tasks while it holds the workspace: these change them in memory, save them and
tell the bus; a request for a running task is handed to its executor, applied at a safe point.
"""

from __future__ import annotations

import asyncio

from smallclaw_tui import taskops
from smallclaw_tui.models import JournalEntry, Origin, PlanStep, Task
from smallclaw_tui.runner.bus import EventBus
from smallclaw_tui.runner.checkpoints import UndoOutcome
from smallclaw_tui.runner.control import TaskControl
from smallclaw_tui.runner.deps import RunnerDeps
from smallclaw_tui.runner.events import JournalAppended, TaskArchived, TaskCreated, TaskPaused, TaskUpdated
from smallclaw_tui.runner.undo import undo_files
from smallclaw_tui.store.archive import archive_store, move_task
from smallclaw_tui.store.control import ControlRequest
from smallclaw_tui.store.tasks import TaskStore
from smallclaw_tui.task_edit import TaskEdit, apply_edit, edit_from_data


class RunnerIntents:
    # Set by the runner's constructor.
    deps: RunnerDeps
    store: TaskStore
    bus: EventBus
    tasks: dict[str, Task]
    _controls: dict[str, TaskControl]
    _wake: asyncio.Event
    _seen_files: set[str]

    # --- intents --------------------------------------------------------------------------------

    async def apply(self, req: ControlRequest) -> None:
        method = {
            "pause": self.pause,
            "resume": self.resume,
            "cancel": self.cancel,
            "approve": self.approve,
            "deny": self.deny,
            "archive": self.archive,
            "unarchive": self.unarchive,
        }.get(req.action)
        if method is None:  # "edit"
            await self.edit(req.task_id, edit_from_data(req.data or {}))
            return
        await method(req.task_id, req.note)

    def get(self, task_id: str) -> Task:
        if task_id in self.tasks:
            return self.tasks[task_id]
        real = self.store.resolve_id(task_id)
        return self.tasks[real]

    async def create_task(
        self,
        prompt: str,
        *,
        title: str | None = None,
        steps: list[PlanStep] | None = None,
        origin: Origin | None = None,
    ) -> Task:
        task = taskops.build_task(prompt, title=title, steps=steps, origin=origin)
        await self.store.create(task)
        self._seen_files.add(self.store.task_path(task.id).name)
        self.tasks[task.id] = task
        self.bus.publish(TaskCreated(task))
        self._wake.set()
        return task

    async def pause(self, task_id: str, note: str | None = None) -> None:
        task = self.get(task_id)
        control = self._controls.get(task.id)
        if control is not None:
            control.request_pause(note)  # applied by the executor at the next round boundary
            return
        await self._commit(task, taskops.pause(task, note))
        self.bus.publish(TaskPaused(task.id, task.pause_reason or "paused"))

    async def resume(self, task_id: str, note: str | None = None, *, auto: bool = False) -> None:
        """Queue a paused or stuck task again; `auto` marks the runner's own retry, not a person's."""
        task = self.get(task_id)
        await self._commit(task, taskops.resume(task, note, auto=auto))
        self._wake.set()

    async def cancel(self, task_id: str, note: str | None = None) -> None:
        task = self.get(task_id)
        control = self._controls.get(task.id)
        if control is not None:
            control.request_cancel(note)
            return
        await self._commit(task, taskops.cancel(task, note))

    async def approve(self, task_id: str, note: str | None = None) -> None:
        task = self.get(task_id)
        await self._commit(task, taskops.approve(task, note))
        self._wake.set()

    async def deny(self, task_id: str, note: str | None = None) -> None:
        task = self.get(task_id)
        await self._commit(task, taskops.deny(task, note))
        self._wake.set()

    async def edit(self, task_id: str, edit: TaskEdit) -> Task:
        """Change a task that is not running (:mod:`smallclaw_tui.task_edit`)."""
        task = self.get(task_id)
        entries = apply_edit(task, edit)
        if entries:
            await self._commit(task, entries)
            self._wake.set()
        return task

    async def archive(self, task_id: str, note: str | None = None) -> Task:
        """Move a finished task out of the runner's tasks into `archive/` (:mod:`..store.archive`)."""
        task = self.get(task_id)
        taskops.check_archivable(task)
        await asyncio.to_thread(move_task, task.id, self.store, archive_store(self.store.data_dir))
        del self.tasks[task.id]
        self.bus.publish(TaskArchived(task.id))
        return task

    async def unarchive(self, task_id: str, note: str | None = None) -> Task:
        archived = archive_store(self.store.data_dir)
        try:
            real = archived.resolve_id(task_id)
        except LookupError as e:
            raise taskops.TaskOpError(e.args[0] if e.args else str(e)) from None
        await asyncio.to_thread(move_task, real, archived, self.store)
        task = await self.store.load(real, with_journal=False)
        self.tasks[task.id] = task
        self.bus.publish(TaskArchived(task.id, archived=False))
        self.bus.publish(TaskUpdated(task))
        return task

    async def undo(self, task_id: str) -> UndoOutcome:
        """Restore every file the task changed (see :mod:`smallclaw_tui.runner.undo`)."""
        task = self.get(task_id)
        outcome, entry = await undo_files(self.deps.settings.data_dir, self.deps.settings.workspace, task)
        await self._commit(task, [entry])
        return outcome

    # --- helpers --------------------------------------------------------------------------------

    async def _commit(self, task: Task, entries: list[JournalEntry]) -> None:
        await self.store.save(task)
        if entries:
            await self.store.append_journal(task, *entries)
            for e in entries:
                self.bus.publish(JournalAppended(task.id, e))
        self.bus.publish(TaskUpdated(task))
