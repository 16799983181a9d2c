"""The outbound queue: one worker sends messages in order, backs off, and reports each outcome.

Whoever queues a message never waits for Telegram: :meth:`Outbox.put` returns at once (after one
small file write for a task delivery), so a Telegram outage can not slow the runner down. The
worker retries transient failures (network errors, timeouts, 5xx) with capped exponential backoff
until `give_up_after_s` has passed since the first try, waits out a 429 for as long as its
``retry_after`` says, and gives up at once on errors that retrying can not fix (400 bad request,
403 blocked by the user). A rejected token (401/404) is a setting to fix, not a lost message: it is
retried slowly and kept.

Task deliveries are durable (see :mod:`smallclaw_tui.telegram.spool`): each is on disk before it
is queued, the message id of every part Telegram accepts is written down before the next part
goes, and what is left when smallclaw stops is sent at the next start. So a part is sent twice
only when Telegram accepted it but the answer never reached that write: smallclaw died in the
instant between, or the request was cut off (a timeout, or the stop grace running out) after
Telegram had taken it. The Bot API has no idempotency key, so nothing can tell "accepted, answer
lost" from "never arrived"; delivery is at least once in that window and exactly once otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)

from smallclaw_tui.models import utcnow
from smallclaw_tui.telegram.redact import redact

if TYPE_CHECKING:
    from smallclaw_tui.telegram.spool import OutboxStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TelegramTuning:
    """Timings of the adapter. The defaults suit the real Bot API; tests shrink them."""

    poll_timeout_s: int = 25  # long-poll length; Telegram answers earlier when a message arrives
    request_timeout_s: float = 15.0  # connect/read/write for one call (a long poll adds its own length)
    retry_base_s: float = 1.0
    retry_max_s: float = 60.0
    # A delivery still failing this long after its first try is reported as lost. Counted across
    # restarts, so a cron `smallclaw run --until-idle` keeps trying at every start until then.
    give_up_after_s: float = 86400.0
    max_retry_after_s: float = 600.0  # never trust a 429 that asks for more than this
    min_send_interval_s: float = 1.0  # per chat: Telegram asks for no more than one message a second
    max_parts: int = 4  # a notification is clipped to fit in this many messages
    stop_grace_s: float = 5.0  # on stop, how long queued messages may still take (the rest wait on disk)


@dataclass(slots=True)
class Outgoing:
    """One logical message (maybe several Telegram messages) to one chat."""

    chat_id: int
    parts: list[str]
    kind: str  # "complete", "needs_assistance", "failed" or "reply"
    task_id: str | None = None  # None: an answer to a command, not a task delivery
    reply_to: int | None = None
    sent_ids: list[int] = field(default_factory=list)
    attempts: int = 0
    failures: int = 0
    first_try: float | None = None  # time.time() of the first attempt (epoch: it survives restarts)
    last_error: str = ""
    reported_retry: bool = False
    reported_queued: bool = False  # "queued for the next start" is journaled once, not every stop
    migrated: bool = False
    done: bool = False
    id: str | None = None  # set for task deliveries: the name of its outbox file
    key: str = ""  # the news it carries, for dedupe across restarts
    created_at: dt.datetime = field(default_factory=utcnow)
    persisted: bool = False  # its outbox file is written


Outcome = Literal["delivered", "retrying", "queued", "failed"]


Sender = Callable[[Outgoing, str], Awaitable[int]]
# "retrying": first failure, still trying; "queued": not sent before stop, kept for the next start;
# "delivered" and "failed" are final.
Reporter = Callable[[Outgoing, Outcome], Awaitable[None]]


def retry_after_s(err: RetryAfter) -> float:
    # PTB 22 warns that `retry_after` will become a timedelta; accept either without the warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = err.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class Outbox:
    """The queue and its worker; with a `store`, task deliveries stay on disk until journaled."""

    def __init__(
        self,
        send: Sender,
        report: Reporter,
        tuning: TelegramTuning,
        *,
        store: OutboxStore | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._send = send
        self._report = report
        self.tuning = tuning
        self.store = store
        self._rng = rng or random.Random()
        self._queue: asyncio.Queue[Outgoing] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._current: Outgoing | None = None
        self._last_send: dict[int, float] = {}
        self._open: dict[str, Outgoing] = {}  # task deliveries queued or in hand, by outbox id
        self._retry_at: float | None = None  # loop time of the next try while the worker waits one out
        self._waiting = asyncio.Event()  # set when the worker starts such a wait

    def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.create_task(self._run(), name="telegram-outbox")

    async def put(self, item: Outgoing) -> None:
        """Queue `item`. A task delivery is written to the outbox folder first; the disk never raises here."""
        if self.store is not None and item.id is not None and not item.persisted:
            item.persisted = await self.store.save(item)
        self._enqueue(item)

    def restore(self, item: Outgoing) -> None:
        """Queue an item loaded from the outbox folder (it is on disk already)."""
        self._enqueue(item)

    def _enqueue(self, item: Outgoing) -> None:
        if item.id is not None:
            self._open[item.id] = item
        self._queue.put_nowait(item)

    def pending(self, task_id: str) -> list[Outgoing]:
        """Deliveries about `task_id` not finished yet (queued, in hand, or waiting out a failure)."""
        return [i for i in self._open.values() if i.task_id == task_id]

    async def close(self, grace_s: float) -> list[Outgoing]:
        """Let queued messages go for up to `grace_s`, then stop; returns what was not delivered.

        Stops sooner when the worker is waiting out a failure whose next try falls after the grace:
        with Telegram down, the wait would only hold up the stop (task deliveries stay on disk).
        """
        if self._worker is None:
            return []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, grace_s)
        joined = asyncio.ensure_future(self._queue.join())
        try:
            while not joined.done():
                left = deadline - loop.time()
                if left <= 0 or (self._retry_at is not None and self._retry_at >= deadline):
                    break
                self._waiting.clear()
                waiting = asyncio.ensure_future(self._waiting.wait())
                try:
                    await asyncio.wait({joined, waiting}, timeout=left, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    waiting.cancel()
        finally:
            joined.cancel()
        self._worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._worker
        self._worker = None
        left_over: list[Outgoing] = []
        if self._current is not None and not self._current.done:
            left_over.append(self._current)
        self._current = None
        while not self._queue.empty():
            left_over.append(self._queue.get_nowait())
            self._queue.task_done()
        self._open.clear()
        return left_over

    async def save(self, item: Outgoing) -> None:
        """Write `item`'s current state to its outbox file (a no-op for items that have none)."""
        if self.store is not None and item.persisted:
            await self.store.save(item)

    # --- the worker -----------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            item = await self._queue.get()
            self._current = item
            try:
                await self._deliver(item)
            except asyncio.CancelledError:
                raise  # close() reports the message in hand (still `_current`) as undelivered
            except Exception:  # a bug here must not kill the queue for every later message
                log.exception("telegram: delivery crashed")
            finally:
                self._queue.task_done()
            self._current = None

    async def _pace(self, chat_id: int) -> None:
        last = self._last_send.get(chat_id)
        if last is not None:
            wait = last + self.tuning.min_send_interval_s - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)

    async def _wait_out(self, seconds: float) -> None:
        """Sleep before the next try, telling close() when that try will be."""
        self._retry_at = asyncio.get_running_loop().time() + seconds
        self._waiting.set()
        try:
            await asyncio.sleep(seconds)
        finally:
            self._retry_at = None

    def _backoff(self, failures: int) -> float:
        t = self.tuning
        base = min(t.retry_max_s, t.retry_base_s * (2.0 ** (failures - 1)))
        return base * (0.5 + self._rng.random() / 2)  # jitter: clients back from an outage spread out

    @staticmethod
    def _age(item: Outgoing) -> float:
        return time.time() - (item.first_try if item.first_try is not None else time.time())

    async def _deliver(self, item: Outgoing) -> None:
        t = self.tuning
        while len(item.sent_ids) < len(item.parts):
            await self._pace(item.chat_id)
            if item.first_try is None:
                item.first_try = time.time()
            item.attempts += 1
            text = item.parts[len(item.sent_ids)]
            try:
                message_id = await self._send(item, text)
            except RetryAfter as e:
                wait = min(retry_after_s(e), t.max_retry_after_s)
                item.last_error = f"rate limited by Telegram (retry after {wait:g}s)"
                if self._age(item) + wait > t.give_up_after_s:
                    await self._finish(item, "failed")
                    return
                log.info("telegram: %s", item.last_error)
                await self._wait_out(wait)
                continue
            except ChatMigrated as e:
                # A group became a supergroup: same conversation, new id. Once; twice is a bug.
                if item.migrated:
                    item.last_error = redact(f"ChatMigrated twice: {e}")
                    await self._finish(item, "failed")
                    return
                item.migrated = True
                item.chat_id = int(e.new_chat_id)
                await self.save(item)
                continue
            except (BadRequest, Forbidden) as e:
                # Chat not found, bot blocked, text refused: the same request fails the same way again.
                item.last_error = redact(f"{type(e).__name__}: {e}")
                await self._finish(item, "failed")
                return
            except TelegramError as e:
                item.failures += 1
                if isinstance(e, InvalidToken):
                    # A setting to fix, and this process can not change it: try now and then, keep it.
                    item.last_error = "Telegram rejected the bot token (check telegram.token)"
                    delay = t.retry_max_s
                else:
                    item.last_error = redact(f"{type(e).__name__}: {e}")
                    delay = self._backoff(item.failures)
                age = self._age(item)
                if age >= t.give_up_after_s:
                    await self._finish(item, "failed")
                    return
                if not item.reported_retry:
                    item.reported_retry = True
                    await self._safe_report(item, "retrying")
                    await self.save(item)  # a later start does not journal "retrying" again
                await self._wait_out(min(delay, max(0.0, t.give_up_after_s - age)))
                continue
            self._last_send[item.chat_id] = time.monotonic()
            item.sent_ids.append(message_id)
            # Written down before anything else, so a restart from here on never sends this part again.
            await self.save(item)
        await self._finish(item, "delivered")

    async def _finish(self, item: Outgoing, outcome: Outcome) -> None:
        item.done = True
        recorded = await self._safe_report(item, outcome)
        if item.id is not None:
            self._open.pop(item.id, None)
        # Only once the outcome is in the journal: if smallclaw dies before that, the next start
        # finds the file, sends what is left (nothing, when every part went) and records it then.
        if recorded and self.store is not None and item.persisted:
            await self.store.remove(item)

    async def _safe_report(self, item: Outgoing, outcome: Outcome) -> bool:
        try:
            await self._report(item, outcome)
        except Exception:
            log.exception("telegram: recording a delivery outcome failed")
            return False
        return True
