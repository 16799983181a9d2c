"""Inbound: long-polls ``getUpdates`` and answers allowlisted users only.

Anyone else gets silence: no reply, no "not allowed", nothing that tells them the bot is alive.
The poller also owns the connection state the status bar shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from telegram import Bot, Message, Update, User
from telegram.constants import ChatType
from telegram.error import Conflict, InvalidToken, TelegramError

from smallclaw_tui.config import TelegramSettings
from smallclaw_tui.telegram.commands import Commands, Incoming
from smallclaw_tui.telegram.outbox import TelegramTuning
from smallclaw_tui.telegram.redact import redact
from smallclaw_tui.telegram.text import task_id_in_needs_you

log = logging.getLogger(__name__)

_REPLY_MAP_SIZE = 1000  # needs-you message ids remembered for replies (older ones: parsed from text)
_STRANGERS_NOTED_MAX = 1000  # bounded, so a flood of strangers can not grow memory

# Queues an answer: (chat id, text, id of the message it answers).
Reply = Callable[[int, str, int], Awaitable[None]]


class Poller:
    """`state` is "stopped", "connecting", "online", "offline" or "token rejected"; `last_error`
    says why when it is not online (the token never appears in either)."""

    def __init__(
        self,
        bot: Bot,
        settings: TelegramSettings,
        tuning: TelegramTuning,
        commands: Commands,
        reply: Reply,
        rng: random.Random,
    ) -> None:
        self._bot = bot
        self.settings = settings
        self.tuning = tuning
        self._commands = commands
        self._reply = reply
        self._rng = rng
        self._me: User | None = None
        self._offset: int | None = None
        self._needs_you: OrderedDict[tuple[int, int], str] = OrderedDict()
        self._strangers_noted: set[int] = set()
        self.state = "stopped"
        self.last_error: str | None = None

    def sent_needs_you(self, chat_id: int, message_id: int, task_id: str) -> None:
        """Remember which task a needs-you message was about, so a reply to it resumes that task."""
        self._needs_you[(chat_id, message_id)] = task_id
        while len(self._needs_you) > _REPLY_MAP_SIZE:
            self._needs_you.popitem(last=False)

    async def confirm_offset(self, timeout: float) -> None:
        """Tell Telegram the last batch was handled; without this it comes again at the next start."""
        if self._offset is not None and self.state == "online" and timeout > 0:
            # Telegram forgets updates only when a later getUpdates names a higher offset.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    self._bot.get_updates(offset=self._offset, timeout=0, limit=1), timeout=timeout
                )

    def _set_state(self, state: str, error: str | None = None) -> None:
        if state != self.state:
            if state == "online":
                log.info("telegram: connected as @%s", self._me.username if self._me else "?")
            elif error:
                log.warning("telegram: %s: %s", state, error)
        self.state, self.last_error = state, error

    async def run(self) -> None:
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
            await self._reply(msg.chat.id, answer, msg.message_id)
