"""Delivery receipts: each Telegram delivery outcome as a ``delivery`` journal entry on its task.

The journal is the record of what reached the owner, read back after a restart: which outbox
items already have their final outcome (so they are not sent twice), and which news an episode
already carried (so a restart does not send it again).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from smallclaw_tui.models import JournalEntry, JournalType, Task
from smallclaw_tui.runner.events import Delivered, JournalAppended
from smallclaw_tui.runner.runner import BackgroundTaskRunner
from smallclaw_tui.store.ids import is_plain_id
from smallclaw_tui.store.journal import read_journal
from smallclaw_tui.telegram.outbox import Outcome, Outgoing
from smallclaw_tui.telegram.redact import redact

log = logging.getLogger(__name__)


def _after(stamp: object, since: datetime | None) -> bool:
    """Whether an ISO time from a journal entry is at or after `since` (always, without `since`)."""
    if since is None:
        return True
    if not isinstance(stamp, str):
        return False
    try:
        return datetime.fromisoformat(stamp) >= since
    except (ValueError, TypeError):  # TypeError: a naive time against an aware one
        return False


class DeliveryJournal:
    def __init__(self, runner: BackgroundTaskRunner) -> None:
        self.runner = runner

    async def finished(self, task_id: str) -> set[str]:
        """Outbox ids whose final outcome (delivered or failed) is in `task_id`'s journal."""
        if not is_plain_id(task_id):
            return set()  # a command's answer (no task), or an id from an outbox file no task has
        read = await read_journal(self.runner.store.journal_path(task_id))
        return {
            str(e.detail["outbox_id"])
            for e in read.entries
            if e.type == JournalType.DELIVERY
            and e.detail.get("channel") == "telegram"
            and e.detail.get("outcome") in ("delivered", "failed")
            and e.detail.get("outbox_id")
        }

    async def sent_keys(self, task_id: str, pending: Callable[[], Iterable[Outgoing]]) -> set[str]:
        """The news keys of `task_id`'s current episode: from its journal (every delivery entry
        names its news) and from what still waits in the outbox. An episode ends with a person's
        resume."""
        keys: set[str] = set()
        since: datetime | None = None
        read = await read_journal(self.runner.store.journal_path(task_id))
        for e in read.entries:
            if e.type == JournalType.RESUME and not e.detail.get("auto"):
                keys.clear()
                since = e.t
            elif e.type == JournalType.DELIVERY and e.detail.get("channel") == "telegram":
                key, queued_at = e.detail.get("key"), e.detail.get("queued_at")
                if isinstance(key, str) and key and _after(queued_at, since):
                    keys.add(key)
        for item in pending():  # after the read: what left the outbox meanwhile is journaled
            if since is None or item.created_at >= since:
                keys.add(item.key)
        return keys

    async def _task(self, task_id: str) -> Task | None:
        task = self.runner.tasks.get(task_id)
        if task is not None:
            return task
        try:  # not loaded by this runner (not started yet): its journal file still takes the entry
            return await self.runner.store.load(task_id, with_journal=False)
        except LookupError:
            return None

    async def record(self, item: Outgoing, outcome: Outcome) -> None:
        """Journal a delivery outcome on the runner's live task object and tell the bus."""
        if item.task_id is None:
            if outcome == "failed":
                log.warning("telegram: could not answer in chat %s: %s", item.chat_id, item.last_error)
            return
        task = await self._task(item.task_id)
        if task is None:
            return
        ok = outcome == "delivered"
        n = len(item.parts)
        what = f"{n} messages" if n > 1 else "1 message"
        if outcome == "delivered":
            content = (
                f"telegram: delivered {item.kind} to chat {item.chat_id} ({what}, {item.attempts} attempt(s))"
            )
        elif outcome == "retrying":
            content = (
                f"telegram: {item.kind} not delivered yet, retrying in the background: {item.last_error}"
            )
        elif outcome == "queued":
            content = (
                f"telegram: {item.kind} not sent before smallclaw stopped; queued for the next start"
                + (f" (last error: {item.last_error})" if item.last_error else "")
            )
        else:
            content = (
                f"telegram: gave up delivering {item.kind} after {item.attempts} attempt(s): "
                + item.last_error
            )
        detail: dict[str, Any] = {
            "channel": "telegram",
            "ok": ok,
            "outcome": outcome,
            "kind": item.kind,
            "chat_id": item.chat_id,
            "attempts": item.attempts,
            "parts": n,
            "message_ids": list(item.sent_ids),
            "key": item.key,
            "queued_at": item.created_at.isoformat(),
        }
        if item.id is not None:
            detail["outbox_id"] = item.id
        if outcome in ("retrying", "queued"):
            detail["retrying"] = True
        if outcome == "queued":
            detail["queued"] = True
        if item.last_error and not ok:
            detail["error"] = redact(item.last_error)
        entry = JournalEntry(type=JournalType.DELIVERY, content=redact(content), detail=detail)
        await self.runner.store.append_journal(task, entry)
        self.runner.bus.publish(JournalAppended(task.id, entry))
        if outcome in ("delivered", "failed"):
            self.runner.bus.publish(Delivered(task.id, "telegram", ok, entry.content))
