"""The Telegram adapter: runner events out to the owner's phone, the owner's commands back in.

Three background jobs, none of which the runner ever waits on:

- the *consumer* reads the event bus and turns "done", "needs you" and "failed" into messages,
  once per episode (a repeat of the same news is dropped until the task is resumed);
- the *outbox* sends them in order, retrying through outages and 429s, and writes a ``delivery``
  journal entry per outcome (see :mod:`smallclaw_tui.telegram.outbox`). Task deliveries wait on
  disk in `.localclaw/outbox/` until their outcome is journaled, so what an outage (or a stop)
  kept from going out is sent at the next start (see :mod:`smallclaw_tui.telegram.spool`);
- the *poller* long-polls ``getUpdates`` and answers allowlisted users only (see
  :mod:`smallclaw_tui.telegram.inbound`).

Every delivery outcome is journaled on its task (see :mod:`smallclaw_tui.telegram.receipts`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
from collections.abc import Callable

from telegram import Bot, LinkPreviewOptions, Message, ReplyParameters
from telegram.request import HTTPXRequest

from smallclaw_tui.config import TelegramSettings
from smallclaw_tui.models import JournalType, Task, TaskStatus
from smallclaw_tui.runner.bus import Subscription
from smallclaw_tui.runner.events import (
    JournalAppended,
    NeedsAssistance,
    RunnerEvent,
    TaskCompleted,
    TaskFailed,
    TaskUpdated,
)
from smallclaw_tui.runner.outage import UNREACHABLE_PREFIX
from smallclaw_tui.runner.runner import BackgroundTaskRunner
from smallclaw_tui.store.quarantine import QuarantineReport
from smallclaw_tui.telegram.commands import Commands
from smallclaw_tui.telegram.inbound import Poller
from smallclaw_tui.telegram.outbox import Outbox, Outgoing, TelegramTuning
from smallclaw_tui.telegram.receipts import DeliveryJournal
from smallclaw_tui.telegram.redact import protect_token, redact
from smallclaw_tui.telegram.spool import OutboxStore, new_outbox_id
from smallclaw_tui.telegram.text import (
    clip,
    completion_text,
    failed_text,
    needs_assistance_text,
    split_message,
)

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.telegram.org/bot"

Compose = Callable[[int], str]  # writes a message for a budget of UTF-16 code units


def _clipped(text: str) -> Compose:
    return lambda budget: clip(text, budget)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:16]


def bot_base_url(configured: str | None) -> str:
    """python-telegram-bot appends the token to `base_url` unless it holds ``{token}``."""
    if not configured:
        return DEFAULT_BASE_URL
    url = configured.strip()
    if "{token}" in url or url.endswith("/bot"):
        return url
    return url.rstrip("/") + "/bot"


class TelegramAdapter:
    """Start with :meth:`start`, stop with :meth:`stop`; both are safe to call when Telegram is down.

    `state` is "stopped", "connecting", "online", "offline" or "token rejected"; `last_error` says
    why when it is not online (the token never appears in either). After :meth:`start`,
    `restored` counts the deliveries an earlier run left in the outbox (queued again) and
    `problems` lists outbox files that could not be read (moved to quarantine); after
    :meth:`stop`, `left_queued` counts the deliveries left in the outbox for the next start.
    """

    def __init__(
        self,
        settings: TelegramSettings,
        runner: BackgroundTaskRunner,
        *,
        tuning: TelegramTuning | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if settings.token is None or not settings.token.get_secret_value():
            raise ValueError("Telegram is not configured: telegram.token is empty")
        self.settings = settings
        self.runner = runner
        self.tuning = tuning or TelegramTuning()
        self._rng = rng or random.Random()
        token = settings.token.get_secret_value()
        protect_token(token)  # before Bot(): its constructor logs the URL with the token at DEBUG
        self._bot = Bot(
            token,
            base_url=bot_base_url(settings.base_url),
            request=self._http(pool=2),
            get_updates_request=self._http(pool=1),
        )
        data_dir = runner.store.data_dir
        self.outbox_store = OutboxStore(data_dir / "outbox", runner.store.quarantine_dir)
        self._receipts = DeliveryJournal(runner)
        self._outbox = Outbox(
            self._send, self._receipts.record, self.tuning, store=self.outbox_store, rng=self._rng
        )
        self._inbound = Poller(
            self._bot,
            settings,
            self.tuning,
            Commands(runner, settings.max_message_chars),
            self._reply,
            self._rng,
        )
        self._sub: Subscription | None = None
        self._consumer: asyncio.Task[None] | None = None
        self._poller: asyncio.Task[None] | None = None
        self._sent_keys: dict[str, set[str]] = {}
        self.restored = 0
        self.left_queued = 0
        self.problems: list[QuarantineReport] = []

    def _http(self, *, pool: int) -> HTTPXRequest:
        t = self.tuning.request_timeout_s
        return HTTPXRequest(
            connection_pool_size=pool, connect_timeout=t, read_timeout=t, write_timeout=t, pool_timeout=t
        )

    @property
    def state(self) -> str:
        """Kept by the poller: it is the one that hears from Telegram."""
        return self._inbound.state

    @property
    def last_error(self) -> str | None:
        return self._inbound.last_error

    # --- life cycle -----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._poller is not None

    def describe(self) -> str:
        """One line for a status bar or the `smallclaw run` banner (no secrets)."""
        s = self.settings
        where = f"chat {s.chat_id}" if s.chat_id is not None else "the chat a task came from"
        if s.chat_id is None and len(s.allowed_user_ids) == 1:
            where = f"chat {s.allowed_user_ids[0]}"
        users = len(s.allowed_user_ids)
        inbound = f"commands from {users} allowed user(s)" if users else "commands off (no allowed_user_ids)"
        return f"telegram on: notifications to {where}; {inbound}"

    async def start(self) -> None:
        """Begin listening to the bus and polling Telegram. Returns at once; never raises for the network."""
        if self.running:
            return
        await self._restore()  # before new news: what an earlier run left goes out first
        self._sub = self.runner.bus.subscribe()
        self._consumer = asyncio.create_task(self._consume(self._sub), name="telegram-events")
        self._outbox.start()
        self._poller = asyncio.create_task(self._inbound.run(), name="telegram-poll")
        self._inbound.state = "connecting"
        if not self.settings.allowed_user_ids:
            log.warning("telegram: allowed_user_ids is empty, so nobody can send commands (default deny)")

    async def stop(self, *, grace_s: float | None = None) -> None:
        """Stop polling, send what is queued (up to `grace_s`), journal what could not be sent."""
        if not self.running:
            return
        grace = self.tuning.stop_grace_s if grace_s is None else grace_s
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace

        def left() -> float:  # every step shares one grace, so the stop stays bounded
            return max(0.0, deadline - loop.time())

        poller, self._poller = self._poller, None
        if poller is not None:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
        # Closing the subscription lets the consumer finish the events already published (the
        # runner's last "needs you" before shutdown, say) and then end. That work is local (a
        # small file per message), so it gets a moment even when the grace is spent.
        if self._sub is not None:
            self._sub.close()
        if self._consumer is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._consumer, timeout=max(left(), min(grace, 1.0)))
            self._consumer = None
        await self._inbound.confirm_offset(left())
        for item in await self._outbox.close(left()):
            try:
                await self._left_at_stop(item)
            except Exception as e:  # the stop must finish
                log.error("telegram: could not record an unsent message: %s", redact(repr(e)))
        with contextlib.suppress(Exception):
            await self._bot.shutdown()
        self._inbound.state = "stopped"

    async def _left_at_stop(self, item: Outgoing) -> None:
        if item.task_id is None:
            log.info("telegram: an answer to chat %s was not sent before smallclaw stopped", item.chat_id)
            return
        if item.persisted:
            # Safe on disk: the next start sends it. Said once in the journal, not at every stop.
            self.left_queued += 1
            if not item.reported_queued:
                item.reported_queued = True
                await self._receipts.record(item, "queued")
            await self._outbox.save(item)  # attempts, last error and parts sent, as they are now
            return
        item.last_error = "not sent before smallclaw stopped" + (
            f" (last error: {item.last_error})" if item.last_error else ""
        )
        await self._receipts.record(item, "failed")

    async def _restore(self) -> None:
        """Queue again what an earlier run left in the outbox; never raises (the disk is not Telegram)."""
        try:
            loaded = await self.outbox_store.load()
        except Exception as e:
            log.error("telegram: could not read the outbox %s: %s", self.outbox_store.folder, redact(repr(e)))
            return
        for report in loaded.problems:
            log.warning("telegram: quarantined %s", report)
        for note in loaded.notes:
            log.warning("telegram: outbox: %s", note)
        self.problems.extend(loaded.problems)
        finished: dict[str, set[str]] = {}
        for item in loaded.items:
            task_id = item.task_id or ""
            if task_id not in finished:
                finished[task_id] = await self._receipts.finished(task_id)
            if item.id in finished[task_id]:
                # Its outcome is journaled; only removing the file was left when smallclaw stopped.
                await self.outbox_store.remove(item)
                continue
            self._outbox.restore(item)
            self.restored += 1
        if self.restored:
            log.info("telegram: %d message(s) from an earlier run queued again", self.restored)

    # --- outbound -------------------------------------------------------------------------------

    async def _consume(self, sub: Subscription) -> None:
        async for event in sub:
            try:
                await self._on_event(event)
            except Exception as e:  # one odd event must not end deliveries
                log.error("telegram: could not handle %s: %s", type(event).__name__, redact(repr(e)))

    async def _on_event(self, event: RunnerEvent) -> None:
        if isinstance(event, TaskCompleted):
            task = self.runner.tasks.get(event.task_id)
            summary = event.summary
            await self._notify(
                event.task_id,
                "complete",
                "complete",
                lambda budget: completion_text(task, event.task_id, summary, budget=budget),
            )
        elif isinstance(event, NeedsAssistance):
            reason = event.reason
            # The unreachable reason quotes the last transport error, which differs every retry.
            same = UNREACHABLE_PREFIX if reason.startswith(UNREACHABLE_PREFIX) else reason
            # Journaled with each delivery (dedupe across restarts): a digest, not the whole reason.
            key = "needs:" + _digest(f"{same}\x00{event.pending_command or ''}")
            task, limit = self.runner.tasks.get(event.task_id), self.settings.max_message_chars
            text = needs_assistance_text(task, event.task_id, reason, event.pending_command, limit=limit)
            await self._notify(event.task_id, "needs_assistance", key, _clipped(text))
        elif isinstance(event, TaskFailed):
            task = self.runner.tasks.get(event.task_id)
            text = failed_text(task, event.task_id, event.reason)
            await self._notify(event.task_id, "failed", "failed", _clipped(text))
        elif isinstance(event, TaskUpdated) and event.task.status == TaskStatus.FAILED:
            # The runner marks a task failed without a TaskFailed event when its executor crashes.
            task = event.task
            text = failed_text(task, task.id, task.pause_reason or "failed")
            await self._notify(task.id, "failed", "failed", _clipped(text))
        elif (
            isinstance(event, JournalAppended)
            and event.entry.type == JournalType.RESUME
            and not event.entry.detail.get("auto")
        ):
            self._sent_keys.pop(event.task_id, None)  # a new episode: the next news is news again

    def _fit(self, make: Compose) -> list[str]:
        """The parts of the text `make` writes for a budget, in at most `max_parts` messages."""
        limit = self.settings.max_message_chars
        budget = self.tuning.max_parts * (limit - 8)
        while True:
            parts = split_message(make(budget), limit)
            # Splitting at word and line boundaries leaves some room unused; shrink until it fits.
            if len(parts) <= self.tuning.max_parts or budget <= limit:
                return parts
            budget = int(budget * 0.9)

    def destination(self, task: Task | None) -> int | None:
        """Where news about `task` goes: the chat it came from, else the configured chat."""
        if task is not None and task.origin.telegram_chat_id is not None:
            return task.origin.telegram_chat_id
        if self.settings.chat_id is not None:
            return self.settings.chat_id
        if len(self.settings.allowed_user_ids) == 1:
            # In a private chat the chat id is the user's id: the one owner is the obvious reader.
            return self.settings.allowed_user_ids[0]
        return None

    async def _notify(self, task_id: str, kind: str, key: str, make: Compose) -> None:
        chat = self.destination(self.runner.tasks.get(task_id))
        if chat is None:
            log.debug("telegram: no chat to tell about task %s (set telegram.chat_id)", task_id)
            return
        seen = await self._keys_for(task_id)
        if key in seen:
            return
        seen.add(key)
        parts = [redact(p) for p in self._fit(make)]
        await self._outbox.put(
            Outgoing(chat_id=chat, parts=parts, kind=kind, task_id=task_id, id=new_outbox_id(), key=key)
        )

    async def _keys_for(self, task_id: str) -> set[str]:
        """The news about `task_id` already sent (or on its way) in this episode.

        Known in memory once seen; the first time in a process it is read back from the task's
        journal and the outbox, so a restart does not send the same news again.
        """
        seen = self._sent_keys.get(task_id)
        if seen is not None:
            return seen
        keys = await self._receipts.sent_keys(task_id, lambda: self._outbox.pending(task_id))
        return self._sent_keys.setdefault(task_id, keys)

    async def _send(self, item: Outgoing, text: str) -> int:
        first = not item.sent_ids
        reply = (
            ReplyParameters(message_id=item.reply_to, allow_sending_without_reply=True)
            if first and item.reply_to is not None
            else None
        )
        # Plain text on purpose (no parse_mode): task text can not inject formatting or links.
        message: Message = await self._bot.send_message(
            chat_id=item.chat_id,
            text=text,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            reply_parameters=reply,
        )
        if item.kind == "needs_assistance" and item.task_id is not None:
            self._inbound.sent_needs_you(item.chat_id, message.message_id, item.task_id)
        return int(message.message_id)

    async def _reply(self, chat_id: int, answer: str, reply_to: int) -> None:
        parts = self._fit(_clipped(answer))
        await self._outbox.put(Outgoing(chat_id=chat_id, parts=parts, kind="reply", reply_to=reply_to))
