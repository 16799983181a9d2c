"""Inbound commands from the owner's phone, turned into runner intents; the answer is plain text.

Only messages that already passed the allowlist reach this module (see the adapter). Every intent
goes through the runner's own methods, so Telegram can do nothing the TUI or CLI could not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from smallclaw_tui.models import ChannelKind, Origin, TaskStatus
from smallclaw_tui.runner.runner import BackgroundTaskRunner
from smallclaw_tui.taskops import TaskOpError
from smallclaw_tui.telegram.text import (
    HELP_TEXT,
    approvable_here,
    approve_elsewhere_text,
    approved_text,
    clean,
    clip,
    task_detail_text,
    task_list_text,
)

_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,64})(?:@([A-Za-z0-9_]{1,64}))?(?:\s+(.*))?$", re.S)


@dataclass(frozen=True, slots=True)
class Incoming:
    chat_id: int
    text: str
    # The task whose needs-you message this message replies to, if it is such a reply.
    replied_task_id: str | None = None


def parse_command(text: str, bot_username: str | None) -> tuple[str, str] | None:
    """("name", "args") for "/name@bot args"; None when it is not a command for this bot."""
    m = _COMMAND.match(text.strip())
    if m is None:
        return None
    name, addressee, args = m.group(1), m.group(2), m.group(3) or ""
    if addressee and bot_username and addressee.lower() != bot_username.lower():
        return None  # "/tasks@other_bot" in a group is someone else's business
    return name.lower(), args.strip()


def _split_id(args: str) -> tuple[str, str | None]:
    head, _, rest = args.partition(" ")
    if "\n" in head:
        head, _, more = head.partition("\n")
        rest = (more + " " + rest).strip()
    return head.strip(), (rest.strip() or None)


class Commands:
    def __init__(self, runner: BackgroundTaskRunner, max_message_chars: int = 4096) -> None:
        self.runner = runner
        self.max_message_chars = max_message_chars

    async def answer(self, msg: Incoming, *, bot_username: str | None = None) -> str | None:
        """The reply to send back, or None to stay silent."""
        text = msg.text.strip()
        if not text:
            return None
        parsed = parse_command(text, bot_username)
        if parsed is None:
            if text.startswith("/"):
                return None  # addressed to another bot
            return await self._plain(msg, text)
        name, args = parsed
        try:
            return await self._command(msg, name, args)
        except TaskOpError as e:
            return str(e)
        except KeyError as e:
            # runner.get() found the id on disk but the runner has not loaded that task (yet).
            return f"no task with id {e.args[0]!r}"
        except LookupError as e:  # TaskNotFound, AmbiguousTaskId: already phrased for the user
            return str(e)

    async def _plain(self, msg: Incoming, text: str) -> str:
        if msg.replied_task_id is None:
            return "To answer a task, reply to its “needs you” message. /help lists the commands."
        try:
            task = self.runner.get(msg.replied_task_id)
            await self.runner.resume(task.id, text)
        except TaskOpError as e:
            return str(e)
        except LookupError:
            return f"task {msg.replied_task_id} is gone"
        return f"Resumed task {task.id} with your reply as a note."

    async def _command(self, msg: Incoming, name: str, args: str) -> str:
        r = self.runner
        if name in ("start", "help"):
            return HELP_TEXT
        if name == "tasks":
            return task_list_text(list(r.tasks.values()))
        if name == "new":
            if not args:
                return "Usage: /new GOAL — for example: /new Summarize notes/*.md into summary.md"
            origin = Origin(channel=ChannelKind.TELEGRAM, telegram_chat_id=msg.chat_id)
            task = await r.create_task(args, origin=origin)
            return (
                f"Queued task {task.id}: {clip(clean(task.title), 200)}\n"
                "I will tell you here when it is done or needs you."
            )
        if name not in ("task", "pause", "resume", "approve", "deny", "cancel"):
            return f"Unknown command /{clip(name, 40)}. /help lists the commands."
        task_id, note = _split_id(args)
        if not task_id:
            return f"Usage: /{name} ID" + (" [note]" if name in ("resume", "pause", "cancel") else "")
        task = r.get(task_id)
        if name == "task":
            return task_detail_text(task)
        if name == "pause":
            was_running = task.status == TaskStatus.RUNNING
            await r.pause(task.id, note)
            return (
                f"Pausing task {task.id} at the next round boundary."
                if was_running
                else f"Paused task {task.id}."
            )
        if name == "resume":
            await r.resume(task.id, note)
            return f"Resumed task {task.id}" + (" with your note." if note else ".")
        if name == "approve":
            pending = task.pending_approval.command if task.pending_approval else None
            if pending is not None and not approvable_here(task.id, pending, self.max_message_chars):
                return approve_elsewhere_text(task.id, pending)
            await r.approve(task.id, note)
            return approved_text(task.id, pending or "")
        if name == "deny":
            await r.deny(task.id, note)
            return f"Refused the command; task {task.id} will look for another way."
        # cancel
        was_running = task.status == TaskStatus.RUNNING
        await r.cancel(task.id, note)
        return (
            f"Cancelling task {task.id} at the next round boundary."
            if was_running
            else f"Cancelled task {task.id}."
        )
