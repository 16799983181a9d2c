"""Message texts for Telegram: what a notification says, clipped and split to fit.

Telegram measures a message in UTF-16 code units (an emoji outside the BMP counts twice), not in
Python characters, so every limit here is counted that way. Texts are sent as plain text (no
parse_mode): a task title full of `*_[` is shown as typed and cannot inject formatting or links.
"""

from __future__ import annotations

import re

from smallclaw_tui.models import Task, TaskStatus
from smallclaw_tui.textsafe import shown_command

# C0/C1 controls other than newline and tab: Telegram shows them as boxes at best.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_PART_RESERVE = 8  # room for " (12/12)" on each part of a split message

NEEDS_YOU_MARK = "needs you"
# How a needs-you message starts; replies are matched against it after a restart, when the
# message_id → task map is gone. Keep in step with needs_assistance_text().
_NEEDS_YOU_HEAD = re.compile(r"^\W*Task ([0-9a-zA-Z_-]{4,64}) needs you\b")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def clean(text: str) -> str:
    return _CONTROL.sub("", text)


def _prefix_within(text: str, units: int) -> int:
    """The largest index i such that text[:i] fits in `units` UTF-16 code units."""
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > units:
            return i
    return len(text)


def clip(text: str, units: int, marker: str = "…") -> str:
    """`text` cut to at most `units` (UTF-16), ending in `marker` when something was cut."""
    if utf16_len(text) <= units:
        return text
    keep = _prefix_within(text, max(0, units - utf16_len(marker)))
    return text[:keep].rstrip() + marker


def split_message(text: str, limit: int) -> list[str]:
    """Split into parts of at most `limit` UTF-16 units, at paragraph, line or word boundaries.

    Parts are numbered " (1/3)" when there is more than one, so a reader on a phone knows more is
    coming. A single word longer than a part is cut hard.
    """
    text = text.strip()
    if utf16_len(text) <= limit:
        return [text] if text else []
    room = max(1, limit - _PART_RESERVE)
    parts: list[str] = []
    rest = text
    while utf16_len(rest) > room:
        cut = _prefix_within(rest, room)
        window = rest[:cut]
        for sep in ("\n\n", "\n", ". ", " "):
            at = window.rfind(sep)
            # Only a boundary in the second half is worth it; earlier ones make tiny parts.
            if at >= cut // 2:
                keep = at + (1 if sep == ". " else 0)
                parts.append(rest[:keep].rstrip())
                rest = rest[at + len(sep) :].lstrip()
                break
        else:
            parts.append(window)
            rest = rest[cut:]
    if rest.strip():
        parts.append(rest.strip())
    parts = [p for p in parts if p]
    n = len(parts)
    return [f"{p} ({i}/{n})" for i, p in enumerate(parts, 1)]


# --- what the notifications say ---------------------------------------------------------------------


def _title(task: Task | None, task_id: str) -> str:
    return clean(task.title if task is not None else task_id)


def completion_text(task: Task | None, task_id: str, summary: str, *, budget: int) -> str:
    """Title plus summary; the summary is clipped so the whole fits in `budget` UTF-16 units."""
    head = f"✅ Task {task_id} is done: {clip(_title(task, task_id), 200)}"
    tail = f"(full summary: smallclaw task show {task_id})"
    body = clean(summary).strip() or "(no summary)"
    room = budget - utf16_len(head) - utf16_len(tail) - 4
    if utf16_len(body) > room:
        return f"{head}\n\n{clip(body, room)}\n\n{tail}"
    return f"{head}\n\n{body}"


def approved_text(task_id: str, command: str) -> str:
    return f"Approved for task {task_id}: {shown_command(command)}\nIt continues."


def approvable_here(task_id: str, command: str, limit: int) -> bool:
    """Whether the answer to /approve can show `command` whole in one message of `limit` units.

    Only a command the owner can read whole may be approved from the phone: a clipped one could
    hide its dangerous end, and one split over messages is easily misread.
    """
    return utf16_len(approved_text(task_id, command)) <= limit


def approve_elsewhere_text(task_id: str, command: str) -> str:
    return (
        f"The command task {task_id} waits on is too long to show whole in one Telegram message "
        f"({len(command)} characters), so it can not be approved from here. Read it and approve it "
        f"in the app (a) or with: smallclaw task approve {task_id}. /deny {task_id} refuses it."
    )


def needs_assistance_text(
    task: Task | None, task_id: str, reason: str, pending_command: str | None, *, limit: int = 4096
) -> str:
    """`limit` is the length of one message: a command that does not fit is not shown at all."""
    fits = not pending_command or approvable_here(task_id, pending_command, limit)
    if pending_command and not fits:
        reason = reason.replace(pending_command, "(the command, too long to show here)")
    lines = [
        f"⚠️ Task {task_id} {NEEDS_YOU_MARK}: {clip(_title(task, task_id), 200)}",
        "",
        f"Why: {clip(shown_command(reason).strip() or 'paused', 1500)}",
    ]
    if pending_command and fits:
        lines += [
            "",
            f"It wants to run: {shown_command(pending_command)}",
            f"Allow it with /approve {task_id}, or /deny {task_id} to refuse.",
        ]
    elif pending_command:
        lines += ["", approve_elsewhere_text(task_id, pending_command)]
    lines += [
        "",
        "Reply to this message to resume the task with your reply as a note "
        f"(or /resume {task_id} NOTE, /cancel {task_id}).",
    ]
    return "\n".join(lines)


def failed_text(task: Task | None, task_id: str, reason: str) -> str:
    return (
        f"❌ Task {task_id} failed: {clip(_title(task, task_id), 200)}\n\n"
        f"Why: {clip(clean(reason).strip() or 'unknown', 1500)}\n\n"
        f"/resume {task_id} to try again, /task {task_id} for details."
    )


def task_id_in_needs_you(text: str) -> str | None:
    """The task id in a needs-you message's first line, or None when it is not one."""
    m = _NEEDS_YOU_HEAD.match(text)
    return m.group(1) if m else None


# --- answers to commands ----------------------------------------------------------------------------

_STATUS_ORDER = {
    TaskStatus.NEEDS_ASSISTANCE: 0,
    TaskStatus.PAUSED: 1,
    TaskStatus.RUNNING: 2,
    TaskStatus.QUEUED: 3,
    TaskStatus.FAILED: 4,
    TaskStatus.COMPLETE: 5,
    TaskStatus.CANCELLED: 6,
}


def task_list_text(tasks: list[Task], *, limit: int = 30) -> str:
    if not tasks:
        return "No tasks yet. Start one with /new GOAL."
    ordered = sorted(tasks, key=lambda t: (_STATUS_ORDER.get(t.status, 9), -t.updated_at.timestamp()))
    lines = [f"{len(tasks)} task(s):"]
    for t in ordered[:limit]:
        progress = f" {t.steps_done}/{len(t.plan)}" if t.plan else ""
        lines.append(f"• {t.id} {t.status.value}{progress} — {clip(clean(t.title), 80)}")
    if len(ordered) > limit:
        lines.append(f"… and {len(ordered) - limit} more (smallclaw task list)")
    return "\n".join(lines)


def task_detail_text(task: Task) -> str:
    lines = [
        f"Task {task.id}: {clip(clean(task.title), 200)}",
        f"Status: {task.status.value}"
        + (f" — {clip(shown_command(task.pause_reason), 500)}" if task.pause_reason else ""),
        f"Rounds: {task.rounds}",
    ]
    if task.plan:
        lines.append(f"Plan ({task.steps_done}/{len(task.plan)} done):")
        marks = {"done": "✓", "skipped": "–", "active": "▶", "pending": "·"}
        for step in task.plan:
            mark = marks.get(step.status.value, "·")
            lines.append(f"  {mark} {step.index + 1}. {clip(clean(step.description), 120)}")
    if task.pending_approval is not None:
        lines.append(f"Waiting for approval: {clip(shown_command(task.pending_approval.command), 500)}")
    if task.final_summary:
        lines += ["", clip(clean(task.final_summary), 1500)]
    return "\n".join(lines)


HELP_TEXT = """SmallClaw commands:
/tasks — list tasks with their status
/task ID — one task in detail
/new GOAL — start a task; I report back here
/pause ID — pause at the next round boundary
/resume ID [note] — resume, with an optional note for the model
/approve ID — allow the command a task is waiting on
/deny ID — refuse it (the task looks for another way)
/cancel ID — cancel a task
Reply to a "needs you" message to resume that task with your reply as the note.
An ID may be a unique prefix."""
