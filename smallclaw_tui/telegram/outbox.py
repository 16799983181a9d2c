"""The outbound queue: one worker sends messages in order, backs off, and reports each outcome.

Whoever queues a message never waits for Telegram: :meth:`Outbox.put` returns at once, so a
Telegram outage can not slow the runner down. The worker retries transient failures (network
errors, timeouts, 5xx) with capped exponential backoff until `give_up_after_s` has passed, waits
out a 429 for as long as its ``retry_after`` says, and gives up at once on errors that retrying
can not fix (400 bad request, 403 blocked by the user, 401/404 bad token). Delivery is at least
once: a send that timed out after Telegram accepted it is sent again.
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

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)

from smallclaw_tui.telegram.redact import redact

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TelegramTuning:
    """Timings of the adapter. The defaults suit the real Bot API; tests shrink them."""

    poll_timeout_s: int = 25  # long-poll length; Telegram answers earlier when a message arrives
    request_timeout_s: float = 15.0  # connect/read/write for one call (a long poll adds its own length)
    retry_base_s: float = 1.0
    retry_max_s: float = 60.0
    give_up_after_s: float = 3600.0  # a delivery still failing after this long is reported as lost
    max_retry_after_s: float = 600.0  # never trust a 429 that asks for more than this
    min_send_interval_s: float = 1.0  # per chat: Telegram asks for no more than one message a second
    max_parts: int = 4  # a notification is clipped to fit in this many messages
    stop_grace_s: float = 5.0  # on stop, how long queued messages may still take


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
    first_try: float | None = None
    last_error: str = ""
    reported_retry: bool = False
    migrated: bool = False
    done: bool = False


Sender = Callable[[Outgoing, str], Awaitable[int]]
Reporter = Callable[[Outgoing, bool, bool], Awaitable[None]]  # (item, ok, still_retrying)


def retry_after_s(err: RetryAfter) -> float:
    # PTB 22 warns that `retry_after` will become a timedelta; accept either without the warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = err.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class Outbox:
    def __init__(
        self,
        send: Sender,
        report: Reporter,
        tuning: TelegramTuning,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self._send = send
        self._report = report
        self.tuning = tuning
        self._rng = rng or random.Random()
        self._queue: asyncio.Queue[Outgoing] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._current: Outgoing | None = None
        self._last_send: dict[int, float] = {}

    def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.create_task(self._run(), name="telegram-outbox")

    def put(self, item: Outgoing) -> None:
        self._queue.put_nowait(item)

    async def close(self, grace_s: float) -> list[Outgoing]:
        """Let queued messages go for up to `grace_s`, then stop; returns what was not delivered."""
        if self._worker is None:
            return []
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), timeout=grace_s)
        self._worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._worker
        self._worker = None
        left: list[Outgoing] = []
        if self._current is not None and not self._current.done:
            left.append(self._current)
        self._current = None
        while not self._queue.empty():
            left.append(self._queue.get_nowait())
            self._queue.task_done()
        return left

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

    def _backoff(self, failures: int) -> float:
        t = self.tuning
        base = min(t.retry_max_s, t.retry_base_s * (2.0 ** (failures - 1)))
        return base * (0.5 + self._rng.random() / 2)  # jitter: clients back from an outage spread out

    async def _deliver(self, item: Outgoing) -> None:
        t = self.tuning
        while len(item.sent_ids) < len(item.parts):
            await self._pace(item.chat_id)
            if item.first_try is None:
                item.first_try = time.monotonic()
            item.attempts += 1
            text = item.parts[len(item.sent_ids)]
            try:
                message_id = await self._send(item, text)
            except RetryAfter as e:
                wait = min(retry_after_s(e), t.max_retry_after_s)
                item.last_error = f"rate limited by Telegram (retry after {wait:g}s)"
                if time.monotonic() + wait - item.first_try > t.give_up_after_s:
                    await self._finish(item, ok=False)
                    return
                log.info("telegram: %s", item.last_error)
                await asyncio.sleep(wait)
                continue
            except ChatMigrated as e:
                # A group became a supergroup: same conversation, new id. Once; twice is a bug.
                if item.migrated:
                    item.last_error = redact(f"ChatMigrated twice: {e}")
                    await self._finish(item, ok=False)
                    return
                item.migrated = True
                item.chat_id = int(e.new_chat_id)
                continue
            except (BadRequest, Forbidden, InvalidToken) as e:
                item.last_error = redact(f"{type(e).__name__}: {e}")
                await self._finish(item, ok=False)
                return
            except TelegramError as e:
                item.failures += 1
                item.last_error = redact(f"{type(e).__name__}: {e}")
                elapsed = time.monotonic() - item.first_try
                if elapsed >= t.give_up_after_s:
                    await self._finish(item, ok=False)
                    return
                if not item.reported_retry:
                    item.reported_retry = True
                    await self._safe_report(item, ok=False, retrying=True)
                await asyncio.sleep(min(self._backoff(item.failures), max(0.0, t.give_up_after_s - elapsed)))
                continue
            self._last_send[item.chat_id] = time.monotonic()
            item.sent_ids.append(message_id)
        await self._finish(item, ok=True)

    async def _finish(self, item: Outgoing, *, ok: bool) -> None:
        item.done = True
        await self._safe_report(item, ok=ok, retrying=False)

    async def _safe_report(self, item: Outgoing, *, ok: bool, retrying: bool) -> None:
        try:
            await self._report(item, ok, retrying)
        except Exception:
            log.exception("telegram: recording a delivery outcome failed")
