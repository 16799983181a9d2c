"""BackgroundTaskRunner: the queue, the concurrency limit, crash recovery and user intents.

One executor per running task (see :mod:`smallclaw_tui.runner.execute`) does the rounds. The runner
owns the task objects while it runs; front ends call its intent methods (pause, resume, …) and
listen to the bus, or — from another process — drop requests in the control inbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from smallclaw_tui import taskops
from smallclaw_tui.models import (
    JournalEntry,
    JournalType,
    Task,
    TaskStatus,
)
from smallclaw_tui.runner.checkpoints import Checkpoints, prune
from smallclaw_tui.runner.control import TaskControl
from smallclaw_tui.runner.deps import RunnerDeps
from smallclaw_tui.runner.events import (
    RunnerIdle,
    TaskCreated,
    TaskFailed,
    TaskPaused,
)
from smallclaw_tui.runner.intents import RunnerIntents
from smallclaw_tui.runner.outage import UNREACHABLE_PREFIX, ServerWatch
from smallclaw_tui.runner.recovery import after_crash, after_cut_off
from smallclaw_tui.runner.settle import settle_requests
from smallclaw_tui.store.control import ControlInbox
from smallclaw_tui.store.quarantine import QuarantineReport

log = logging.getLogger(__name__)


class BackgroundTaskRunner(RunnerIntents):
    def __init__(self, deps: RunnerDeps) -> None:
        self.deps = deps
        self.settings = deps.settings
        self.store = deps.store
        self.bus = deps.bus
        self.tasks: dict[str, Task] = {}
        self.problems: list[QuarantineReport] = []
        self._running: dict[str, asyncio.Task[None]] = {}
        self._controls: dict[str, TaskControl] = {}
        self._inbox = ControlInbox(deps.store.data_dir)
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._stopping = False
        self._loop_task: asyncio.Task[None] | None = None
        self._watch = ServerWatch(
            deps.client, deps.bus, interval_s=self.settings.runner.server_probe_s, wake=self._wake.set
        )
        # Task file names already looked at; a file that was quarantined is gone, so its name is
        # dropped again and a new file by that name is read.
        self._seen_files: set[str] = set()

    # --- life cycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        self.store.ensure()
        await self.store.delete_temp_litter()
        result = await self.store.load_all()
        self.problems = result.problems
        for task in result.tasks:
            self.tasks[task.id] = task
        self._seen_files = {self.store.task_path(task_id).name for task_id in self.tasks}
        await self._recover_after_crash()
        # Tasks an outage stopped last time: ask the server at once, so they go on if it is back.
        stopped = [t for t in self.tasks.values() if _stopped_by_outage(t)]
        if stopped:
            self._watch.mark_down(stopped[0].pause_reason or UNREACHABLE_PREFIX, probe_now=True)
        self._loop_task = asyncio.create_task(self._schedule_loop(), name="smallclaw-runner")

    async def _recover_after_crash(self) -> None:
        for task in list(self.tasks.values()):
            if task.status == TaskStatus.RUNNING:
                full = await self.store.load(task.id)
                self.tasks[task.id] = full
                await self._commit(full, after_crash(full, self.settings.runner.on_crash))

    async def stop(self, *, grace_s: float = 10.0) -> None:
        """Stop at a safe point: running tasks finish their round (up to `grace_s`) and carry on at
        the next start (see :mod:`.recovery`)."""
        self._stopping = True
        self._wake.set()
        for control in self._controls.values():
            control.request_shutdown()
        running = dict(self._running)
        if running:
            _, pending = await asyncio.wait(running.values(), timeout=grace_s)
            for t in pending:
                t.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            for task_id, job in running.items():
                if job in pending:
                    await self._stop_cut_off(task_id)
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        await self._watch.close()
        await self.bus.drain()

    async def _stop_cut_off(self, task_id: str) -> None:
        task = self.tasks.get(task_id)
        if task is None or task.status != TaskStatus.RUNNING:
            return
        on_crash = self.settings.runner.on_crash
        await self._commit(task, after_cut_off(task, on_crash))
        if on_crash == "interrupted":
            self.bus.publish(TaskPaused(task_id, task.pause_reason or "paused"))

    async def wait_until_idle(self) -> None:
        while True:
            self._idle.clear()
            self._wake.set()
            await self._idle.wait()
            if self._is_idle():
                return

    async def run_until_idle(self) -> None:
        await self.start()
        try:
            await self.wait_until_idle()
        finally:
            await self.stop()

    # --- scheduling -----------------------------------------------------------------------------

    def _is_idle(self) -> bool:
        """Nothing running and nothing that could start: queued tasks held by an outage wait for
        the server, so `run --until-idle` ends instead of waiting for it."""
        if self._running:
            return False
        if self._watch.down and not self._watch.probing:
            return True
        return not any(t.status == TaskStatus.QUEUED for t in self.tasks.values())

    async def _schedule_loop(self) -> None:
        poll = self.settings.runner.control_poll_s
        was_idle = False
        while not self._stopping:
            try:
                await self._apply_inbox()
                await self._discover_new_tasks()
                if self._watch.poll():
                    await self._resume_after_outage()
                self._fill_slots()
            except Exception:  # the loop must survive anything one bad task does
                log.exception("runner scheduling step failed")
            idle = self._is_idle()
            if idle:
                self._idle.set()
                if not was_idle:
                    self.bus.publish(RunnerIdle())
            was_idle = idle
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=poll)

    def _fill_slots(self) -> None:
        free = self.settings.runner.max_concurrent - len(self._running)
        if free <= 0 or self._stopping or self._watch.down:
            return
        queued = sorted(
            (t for t in self.tasks.values() if t.status == TaskStatus.QUEUED and t.id not in self._running),
            key=lambda t: (t.created_at, t.id),
        )
        for task in queued[:free]:
            control = TaskControl()
            self._controls[task.id] = control
            job = asyncio.create_task(self._run_one(task.id, control), name=f"task-{task.id}")
            self._running[task.id] = job

    async def _run_one(self, task_id: str, control: TaskControl) -> None:
        try:
            # The live object is the truth (a save of it may still be in flight); only its journal,
            # which list views leave unloaded, comes from disk, where every entry lands first.
            task = self.tasks[task_id]
            if task.status != TaskStatus.QUEUED:
                return  # paused or cancelled between scheduling and starting
            await self.store.reload_journal(task)
            try:
                # Imported with the first task, not at start: the app paints before it needs it.
                from smallclaw_tui.runner.execute import execute_task

                await execute_task(self.deps, task, control)
            finally:
                # From here on an intent takes the not-running path (and its checks); the ones
                # that came in while the executor was stopping are settled below.
                self._controls.pop(task_id, None)
            await settle_requests(task, control, self._commit, self.bus)
            if _stopped_by_outage(task):
                self._watch.mark_down(task.pause_reason or UNREACHABLE_PREFIX)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            log.exception("task %s crashed the executor", task_id)
            task = self.tasks[task_id]
            if task.status == TaskStatus.RUNNING:
                task.transition(TaskStatus.FAILED, reason=f"internal error: {e}")
                entries = [JournalEntry(type=JournalType.ERROR, content=f"internal error: {e!r}")]
                restored = await asyncio.to_thread(self._checkpoints(task_id).restore_attempt)
                if restored:
                    entries.append(
                        JournalEntry(
                            type=JournalType.NOTE,
                            content="the step did not finish; undid its writes: " + "; ".join(restored),
                        )
                    )
                await self._commit(task, entries)
                self.bus.publish(TaskFailed(task_id, task.pause_reason or f"internal error: {e}"))
        finally:
            self._running.pop(task_id, None)
            self._controls.pop(task_id, None)
            self._wake.set()
            await self._prune_checkpoints()

    def _checkpoints(self, task_id: str) -> Checkpoints:
        s = self.deps.settings
        return Checkpoints(s.data_dir, s.workspace, task_id)

    async def _prune_checkpoints(self) -> None:
        """Keep the checkpoint store under its cap; never the checkpoints of a task that may
        still write (or be resumed and then fail a try that must be restored)."""
        live = {t.id for t in self.tasks.values() if not t.status.is_final}
        cap = self.deps.settings.runner.snapshot_max_mb * 1024 * 1024
        gone = await asyncio.to_thread(prune, self.deps.settings.data_dir, cap, live)
        if gone:
            log.info("checkpoints pruned to stay under the cap: %s", gone)

    async def _discover_new_tasks(self) -> None:
        """Pick up tasks added by another process (`smallclaw task add` while we run).

        New files go through the same checks as at start: one that lies about its id (a copy of a
        task under another name) is quarantined, never run as a second copy of that task.
        """
        fresh = [p for p in self.store.task_files() if p.name not in self._seen_files]
        if not fresh:
            return
        self._seen_files.update(p.name for p in fresh)
        result = await self.store.load_files(fresh)
        for report in result.problems:
            self._seen_files.discard(report.original.name)
            self.problems.append(report)
            log.warning("quarantined %s", report)
        for note in result.notes:
            log.warning("%s", note)
        for task in result.tasks:
            if task.id in self.tasks:
                continue  # ours already; the live object is the truth
            self.tasks[task.id] = task
            self.bus.publish(TaskCreated(task))

    async def _resume_after_outage(self) -> None:
        if not self.settings.runner.auto_resume_unreachable:
            return
        for task in list(self.tasks.values()):
            if _stopped_by_outage(task):
                await self.resume(task.id, "automatic retry: the model server answers again", auto=True)

    async def _apply_inbox(self) -> None:
        for req in self._inbox.take():
            try:
                await self.apply(req)
            except (taskops.TaskOpError, LookupError) as e:
                log.warning("control request %s ignored: %s", req, e)

    def counts(self) -> dict[str, Any]:
        running = sum(1 for t in self.tasks.values() if t.status == TaskStatus.RUNNING)
        queued = sum(1 for t in self.tasks.values() if t.status == TaskStatus.QUEUED)
        return {"running": running, "queued": queued}


def _stopped_by_outage(task: Task) -> bool:
    return task.status == TaskStatus.NEEDS_ASSISTANCE and (task.pause_reason or "").startswith(
        UNREACHABLE_PREFIX
    )
