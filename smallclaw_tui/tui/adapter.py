"""The one adapter between the runner and the UI: bus events in, coalesced Textual messages out.

It runs as a long-lived async worker. After the first event of a burst it waits `interval`
seconds, drains everything queued meanwhile, folds it into one :class:`Batch` and posts one
:class:`RunnerBatch`. A task streaming tokens or a burst of journal entries therefore costs one
UI update per interval, and the runner never waits for the UI (the bus queue is unbounded).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from textual.message import Message

from smallclaw_tui.runner.bus import EventBus
from smallclaw_tui.runner.events import (
    Delivered,
    IntentAnswered,
    JournalAppended,
    ModelActivity,
    ModelUsage,
    NeedsAssistance,
    RunnerEvent,
    RunnerIdle,
    ServerState,
    StepAdvanced,
    TaskArchived,
    TaskCompleted,
    TaskCreated,
    TaskFailed,
    TaskPaused,
    TaskProgress,
    TaskUpdated,
    ToolCallFinished,
    ToolCallStarted,
    Verification,
)
from smallclaw_tui.tui.messages import Batch, Notice, RunnerBatch
from smallclaw_tui.tui.text import flat


def absorb(batch: Batch, event: RunnerEvent) -> None:
    """Fold one event into `batch` (latest wins for state; journal entries and notices accumulate)."""
    match event:
        case TaskCreated(task=task) | TaskUpdated(task=task):
            batch.changed.add(task.id)
        case TaskArchived(task_id=tid):
            batch.changed.add(tid)  # the board drops (or shows again) a task the runner no longer has
        case JournalAppended(task_id=tid, entry=entry):
            batch.journal.setdefault(tid, []).append(entry)
        case ModelActivity(task_id=tid, text=text):
            batch.activity[tid] = text
        case TaskProgress(task_id=tid):
            batch.progress[tid] = event
        case ToolCallStarted(task_id=tid, call=call):
            args = json.dumps(call.arguments, ensure_ascii=False)
            batch.activity[tid] = flat(f"→ {call.name} {args}")
        case ToolCallFinished():
            pass  # the executor follows it with a ModelActivity line that says the outcome
        case Verification(task_id=tid, step_index=i, passed=ok, reason=reason):
            batch.changed.add(tid)
            batch.activity[tid] = (
                f"step {i + 1} verified" if ok else flat(f"step {i + 1} not accepted: {reason}")
            )
        case StepAdvanced(task_id=tid) | TaskPaused(task_id=tid):
            batch.changed.add(tid)
        case NeedsAssistance(task_id=tid, reason=reason):
            batch.changed.add(tid)
            batch.notices.append(Notice("needs_you", tid, reason))
        case TaskCompleted(task_id=tid, summary=summary):
            batch.changed.add(tid)
            batch.notices.append(Notice("completed", tid, summary))
        case TaskFailed(task_id=tid, reason=reason):
            batch.changed.add(tid)
            batch.notices.append(Notice("failed", tid, reason))
        case Delivered(task_id=tid, channel=channel, ok=ok, detail=detail):
            batch.notices.append(
                Notice("delivered" if ok else "delivery_failed", tid, f"{channel}: {detail}")
            )
        case IntentAnswered(task_id=tid, action=action, reason=reason):
            batch.changed.add(tid)
            batch.notices.append(Notice("answered", tid, f"{action} not applied: {reason}"))
        case ServerState():
            batch.server = event
        case ModelUsage(tokens_per_s=tps, completion_tokens=completion):
            # The runner reports two kinds on one event type: the context size of a request
            # (no completion, no speed) and the usage of a reply (with speed when measured).
            if tps is not None:
                batch.speed = tps
            elif completion == 0:
                batch.context = event
        case RunnerIdle():
            batch.idle = True


class RunnerAdapter:
    def __init__(self, bus: EventBus, post: Callable[[Message], object], *, interval: float) -> None:
        # Subscribed here, not in run(): events published before the worker starts are kept.
        self.sub = bus.subscribe()
        self.post = post
        self.interval = interval

    async def run(self) -> None:
        sub = self.sub
        queue = sub.queue
        try:
            while True:
                event = await queue.get()
                if event is None:
                    return
                batch = Batch()
                _absorb_safely(batch, event)
                # Let the rest of the burst arrive; the UI then pays for it once.
                await asyncio.sleep(self.interval)
                closed = False
                while not queue.empty():
                    more = queue.get_nowait()
                    if more is None:
                        closed = True
                        break
                    _absorb_safely(batch, more)
                self.post(RunnerBatch(batch))
                if closed:
                    return
        finally:
            sub.close()


def _absorb_safely(batch: Batch, event: RunnerEvent) -> None:
    """One event the adapter cannot fold must not stop the board updating: it is reported instead."""
    try:
        absorb(batch, event)
    except Exception as e:
        batch.problems.append(f"{type(event).__name__}: {type(e).__name__}: {e}")
        # What the event was about may have changed; the board re-reads the task to stay current.
        task_id = getattr(event, "task_id", None)
        if isinstance(task_id, str):
            batch.changed.add(task_id)
