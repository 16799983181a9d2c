"""Delivering results: a finished task or a needs-you pause goes back to the chat it came from.

Telegram is a separate bus subscriber; this module only covers the originating chat session.
"""

from __future__ import annotations

from smallclaw_tui.models import ChatMessage, JournalEntry, JournalType, Role, Task
from smallclaw_tui.store.sessions import SessionStore
from smallclaw_tui.textsafe import shown_command


def completion_message(task: Task) -> str:
    return f"Task {task.id} “{task.title}” is done.\n\n{task.final_summary or ''}".strip()


def needs_you_message(task: Task) -> str:
    # The reason may quote the command too: both are shown with nothing in them hidden.
    text = f"Task {task.id} “{task.title}” needs you: {shown_command(task.pause_reason or 'paused')}"
    if task.pending_approval is not None:
        text += (
            f"\nIt wants to run: {shown_command(task.pending_approval.command)}\n"
            "Approve it with `a` on the board or "
            f"`smallclaw task approve {task.id}`."
        )
    return text


async def deliver_to_origin(sessions: SessionStore, task: Task, text: str) -> JournalEntry | None:
    """Append `text` to the originating chat session; returns the journal entry, None when no origin."""
    key = task.origin.session_id
    if not key:
        return None
    try:
        await sessions.append_message(
            key, ChatMessage(role=Role.ASSISTANT, content=text, name=f"task_{task.id}")
        )
    except Exception as e:  # delivery must never take the runner down
        return JournalEntry(
            type=JournalType.DELIVERY,
            content=f"chat {key}: failed: {e}",
            detail={"channel": "chat", "ok": False},
        )
    return JournalEntry(
        type=JournalType.DELIVERY,
        content=f"delivered to chat {key}",
        detail={"channel": "chat", "ok": True, "session": key},
    )
