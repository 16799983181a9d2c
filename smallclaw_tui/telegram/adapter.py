"""The Telegram adapter: runner events out to the owner's phone, the owner's commands back in.

Three background jobs, none of which the runner ever waits on:

- the *consumer* reads the event bus and turns "done", "needs you" and "failed" into messages,
  once per episode (a repeat of the same news is dropped until the task is resumed);
- the *outbox* sends them in order, retrying through outages and 429s, and writes a ``delivery``
  journal entry per outcome (see :mod:`smallclaw_tui.telegram.outbox`);
- the *poller* long-polls ``getUpdates`` and answers allowlisted users only. Anyone else gets
  silence: no reply, no "not allowed", nothing that tells them the bot is alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from telegram import Bot, LinkPreviewOptions, Message, ReplyParameters, Update, User
from telegram.constants import ChatType
from telegram.error import Conflict, InvalidToken, TelegramError
from telegram.request import HTTPXRequest

from smallclaw_tui.config import TelegramSettings
from smallclaw_tui.models import JournalEntry, JournalType, Task, TaskStatus
from smallclaw_tui.runner.bus import Subscription
from smallclaw_tui.runner.events import (
    Delivered,
    JournalAppended,
    NeedsAssistance,
    RunnerEvent,
    TaskCompleted,
    TaskFailed,
    TaskUpdated,
)
from smallclaw_tui.runner.execute import UNREACHABLE_PREFIX
from smallclaw_tui.runner.runner import BackgroundTaskRunner
from smallclaw_tui.telegram.commands import Commands, Incoming
from smallclaw_tui.telegram.outbox import Outbox, Outgoing, TelegramTuning
from smallclaw_tui.telegram.redact import protect_token, redact
from smallclaw_tui.telegram.text import (
    clip,
    completion_text,
    failed_text,
    needs_assistance_text,
    split_message,
    task_id_in_needs_you,
)

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
_REPLY_MAP_SIZE = 1000  # needs-you message ids remembered for replies (older ones: parsed from text)
_STRANGERS_NOTED_MAX = 1000  # bounded, so a flood of strangers can not grow memory

Compose = Callable[[int], str]  # writes a message for a budget of UTF-16 code units


def _clipped(text: str) -> Compose:
    return lambda budget: clip(text, budget)


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
    why when it is not online (the token never appears in either).
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
        self._outbox = Outbox(self._send, self._record, self.tuning, rng=self._rng)
        self._commands = Commands(runner)
        self._me: User | None = None
        self._offset: int | None = None
        self._sub: Subscription | None = None
        self._consumer: asyncio.Task[None] | None = None
        self._poller: asyncio.Task[None] | None = None
        self._sent_keys: dict[str, set[str]] = {}
        self._needs_you: OrderedDict[tuple[int, int], str] = OrderedDict()
        self._strangers_noted: set[int] = set()
        self.state = "stopped"
        self.last_error: str | None = None

    def _http(self, *, pool: int) -> HTTPXRequest:
        t = self.tuning.request_timeout_s
        return HTTPXRequest(
            connection_pool_size=pool, connect_timeout=t, read_timeout=t, write_timeout=t, pool_timeout=t
        )

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
        self._sub = self.runner.bus.subscribe()
        self._consumer = asyncio.create_task(self._consume(self._sub), name="telegram-events")
        self._outbox.start()
        self._poller = asyncio.create_task(self._poll(), name="telegram-poll")
        self.state = "connecting"
        if not self.settings.allowed_user_ids:
            log.warning("telegram: allowed_user_ids is empty, so nobody can send commands (default deny)")

    async def stop(self, *, grace_s: float | None = None) -> None:
        """Stop polling, send what is queued (up to `grace_s`), journal what could not be sent."""
        if not self.running:
            return
        grace = self.tuning.stop_grace_s if grace_s is None else grace_s
        poller, self._poller = self._poller, None
        if poller is not None:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
        if self._offset is not None and self.state == "online":
            # Telegram forgets updates only when a later getUpdates names a higher offset. Without
            # this, the last batch handled before stopping (a /new, say) would run again next start.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    self._bot.get_updates(offset=self._offset, timeout=0, limit=1), timeout=grace
                )
        # Closing the subscription lets the consumer finish the events already published (the
        # runner's last "needs you" before shutdown, say) and then end.
        if self._sub is not None:
            self._sub.close()
        if self._consumer is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._consumer, timeout=grace)
            self._consumer = None
        for item in await self._outbox.close(grace):
            if item.task_id is not None:
                item.last_error = "not sent before smallclaw stopped" + (
                    f" (last error: {item.last_error})" if item.last_error else ""
                )
                await self._record(item, False, False)
        with contextlib.suppress(Exception):
            await self._bot.shutdown()
        self.state = "stopped"

    # --- outbound -------------------------------------------------------------------------------

    async def _consume(self, sub: Subscription) -> None:
        async for event in sub:
            try:
                self._on_event(event)
            except Exception as e:  # one odd event must not end deliveries
                log.error("telegram: could not handle %s: %s", type(event).__name__, redact(repr(e)))

    def _on_event(self, event: RunnerEvent) -> None:
        if isinstance(event, TaskCompleted):
            task = self.runner.tasks.get(event.task_id)
            summary = event.summary
            self._notify(
                event.task_id,
                "complete",
                "complete",
                lambda budget: completion_text(task, event.task_id, summary, budget=budget),
            )
        elif isinstance(event, NeedsAssistance):
            reason = event.reason
            # The unreachable reason quotes the last transport error, which differs every retry.
            same = UNREACHABLE_PREFIX if reason.startswith(UNREACHABLE_PREFIX) else reason
            key = f"needs:{same}\x00{event.pending_command or ''}"
            task = self.runner.tasks.get(event.task_id)
            text = needs_assistance_text(task, event.task_id, reason, event.pending_command)
            self._notify(event.task_id, "needs_assistance", key, _clipped(text))
        elif isinstance(event, TaskFailed):
            task = self.runner.tasks.get(event.task_id)
            text = failed_text(task, event.task_id, event.reason)
            self._notify(event.task_id, "failed", "failed", _clipped(text))
        elif isinstance(event, TaskUpdated) and event.task.status == TaskStatus.FAILED:
            # The runner marks a task failed without a TaskFailed event when its executor crashes.
            task = event.task
            text = failed_text(task, task.id, task.pause_reason or "failed")
            self._notify(task.id, "failed", "failed", _clipped(text))
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

    def _notify(self, task_id: str, kind: str, key: str, make: Compose) -> None:
        chat = self.destination(self.runner.tasks.get(task_id))
        if chat is None:
            log.debug("telegram: no chat to tell about task %s (set telegram.chat_id)", task_id)
            return
        seen = self._sent_keys.setdefault(task_id, set())
        if key in seen:
            return
        seen.add(key)
        self._outbox.put(Outgoing(chat_id=chat, parts=self._fit(make), kind=kind, task_id=task_id))

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
            self._needs_you[(item.chat_id, message.message_id)] = item.task_id
            while len(self._needs_you) > _REPLY_MAP_SIZE:
                self._needs_you.popitem(last=False)
        return int(message.message_id)

    async def _record(self, item: Outgoing, ok: bool, retrying: bool) -> None:
        """Journal a delivery outcome on the runner's live task object and tell the bus."""
        if item.task_id is None:
            if not ok and not retrying:
                log.warning("telegram: could not answer in chat %s: %s", item.chat_id, item.last_error)
            return
        task = self.runner.tasks.get(item.task_id)
        if task is None:
            return
        n = len(item.parts)
        what = f"{n} messages" if n > 1 else "1 message"
        if ok:
            content = (
                f"telegram: delivered {item.kind} to chat {item.chat_id} ({what}, {item.attempts} attempt(s))"
            )
        elif retrying:
            content = (
                f"telegram: {item.kind} not delivered yet, retrying in the background: {item.last_error}"
            )
        else:
            content = (
                f"telegram: gave up delivering {item.kind} after {item.attempts} attempt(s): "
                + item.last_error
            )
        detail: dict[str, Any] = {
            "channel": "telegram",
            "ok": ok,
            "kind": item.kind,
            "chat_id": item.chat_id,
            "attempts": item.attempts,
            "parts": n,
            "message_ids": list(item.sent_ids),
        }
        if retrying:
            detail["retrying"] = True
        if item.last_error and not ok:
            detail["error"] = item.last_error
        entry = JournalEntry(type=JournalType.DELIVERY, content=redact(content), detail=detail)
        await self.runner.store.append_journal(task, entry)
        self.runner.bus.publish(JournalAppended(task.id, entry))
        if not retrying:
            self.runner.bus.publish(Delivered(task.id, "telegram", ok, entry.content))

    # --- inbound --------------------------------------------------------------------------------

    def _set_state(self, state: str, error: str | None = None) -> None:
        if state != self.state:
            if state == "online":
                log.info("telegram: connected as @%s", self._me.username if self._me else "?")
            elif error:
                log.warning("telegram: %s: %s", state, error)
        self.state, self.last_error = state, error

    async def _poll(self) -> None:
        failures = 0
        t = self.tuning
        while True:
            try:
                if self._me is None:
                    self._me = await self._bot.get_me()
                    # getUpdates is refused while a webhook is set; pending updates are kept.
                    await self._bot.delete_webhook(drop_pending_updates=False)
                # Not known to be online yet: a short poll first, so `state` turns "online" as soon
                # as Telegram answers rather than when the first long poll ends.
                wait = t.poll_timeout_s if self.state == "online" else 0
                updates = await self._bot.get_updates(
                    offset=self._offset, timeout=wait, allowed_updates=["message"]
                )
            except asyncio.CancelledError:
                raise
            except InvalidToken:
                # InvalidToken's own message quotes the token: never show it.
                self._set_state("token rejected", "Telegram rejected the bot token (check telegram.token)")
                delay = t.retry_max_s
            except Conflict:
                self._set_state(
                    "offline", "another program is polling this bot (a second smallclaw, or a webhook)"
                )
                failures += 1
                delay = self._backoff(failures)
            except TelegramError as e:
                failures += 1
                self._set_state("offline", redact(f"{type(e).__name__}: {e}"))
                delay = self._backoff(failures)
            else:
                failures = 0
                self._set_state("online")
                for update in updates:
                    # Advance first: an update that crashes its handler must not come back forever.
                    self._offset = update.update_id + 1
                    try:
                        await self._handle(update)
                    except Exception as e:
                        log.error("telegram: handling an update failed: %s", redact(repr(e)))
                continue
            await asyncio.sleep(delay)

    def _backoff(self, failures: int) -> float:
        t = self.tuning
        return min(t.retry_max_s, t.retry_base_s * 2.0 ** (failures - 1)) * (0.5 + self._rng.random() / 2)

    def _allowed(self, update: Update) -> Message | None:
        msg = update.message
        if msg is None or msg.from_user is None:
            return None
        user_id = msg.from_user.id
        if user_id not in self.settings.allowed_user_ids:
            if user_id not in self._strangers_noted and len(self._strangers_noted) < _STRANGERS_NOTED_MAX:
                self._strangers_noted.add(user_id)
                # Locally only: this is how an owner finds their own id. The sender learns nothing.
                log.warning(
                    "telegram: ignored a message from user id %s (not in telegram.allowed_user_ids)", user_id
                )
            return None
        # Answers go to the chat the command came from: only a private chat, or the configured one
        # (a group the owner chose), so a task list is never posted into some other group.
        if msg.chat.type != ChatType.PRIVATE and msg.chat.id != self.settings.chat_id:
            return None
        return msg

    def _replied_task(self, msg: Message) -> str | None:
        original = msg.reply_to_message
        if original is None:
            return None
        known = self._needs_you.get((original.chat.id, original.message_id))
        if known is not None:
            return known
        # After a restart the map is empty; our own needs-you message still names its task.
        me = self._me
        if me is not None and original.from_user is not None and original.from_user.id == me.id:
            return task_id_in_needs_you(original.text or "")
        return None

    async def _handle(self, update: Update) -> None:
        msg = self._allowed(update)
        if msg is None:
            return
        incoming = Incoming(msg.chat.id, msg.text or "", self._replied_task(msg))
        answer = await self._commands.answer(incoming, bot_username=self._me.username if self._me else None)
        if answer:
            parts = self._fit(_clipped(answer))
            self._outbox.put(
                Outgoing(chat_id=msg.chat.id, parts=parts, kind="reply", reply_to=msg.message_id)
            )
