"""Which column a task sits in, in what order, and what its card says. Pure: no Textual here.

The board's widgets only draw what these functions decide, so the rules are tested without an app.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from smallclaw_tui.status import TaskStatus
from smallclaw_tui.textsafe import shown_command
from smallclaw_tui.tui.text import flat

if TYPE_CHECKING:
    from smallclaw_tui.models import Task
    from smallclaw_tui.runner.events import TaskProgress


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    short: str  # for narrow terminals, where the count must stay visible
    statuses: frozenset[TaskStatus]
    # Newest first where recency is what the user looks for (finished work); run order otherwise.
    newest_first: bool


COLUMNS: tuple[Column, ...] = (
    Column("queued", "Queued", "Queued", frozenset({TaskStatus.QUEUED}), False),
    Column("running", "Running", "Running", frozenset({TaskStatus.RUNNING}), False),
    Column(
        "needs", "Needs you", "Needs you", frozenset({TaskStatus.PAUSED, TaskStatus.NEEDS_ASSISTANCE}), True
    ),
    Column("done", "Done", "Done", frozenset({TaskStatus.COMPLETE}), True),
    Column(
        "failed", "Failed/Cancelled", "Failed", frozenset({TaskStatus.FAILED, TaskStatus.CANCELLED}), True
    ),
)
COLUMN_KEYS = tuple(c.key for c in COLUMNS)
_BY_STATUS = {status: col.key for col in COLUMNS for status in col.statuses}


def column_of(task: Task) -> str:
    return _BY_STATUS[task.status]


def sort_key(task: Task) -> tuple[datetime, str]:
    """Ascending key; columns with `newest_first` reverse it."""
    if task.status in (TaskStatus.QUEUED, TaskStatus.RUNNING):
        when = task.created_at  # the order the runner takes them in
    elif task.status.needs_user:
        when = task.updated_at
    else:
        when = task.completed_at or task.updated_at
    return (when, task.id)


def matches(task: Task, query: str) -> bool:
    """Case-insensitive substring match on id, title and goal; an empty query matches all."""
    q = query.strip().lower()
    if not q:
        return True
    return q in task.id.lower() or q in task.title.lower() or q in task.prompt.lower()


def arrange(tasks: Iterable[Task], query: str = "") -> dict[str, list[str]]:
    """Column key → task ids in display order."""
    cols: dict[str, list[Task]] = {key: [] for key in COLUMN_KEYS}
    for task in tasks:
        if matches(task, query):
            cols[column_of(task)].append(task)
    out: dict[str, list[str]] = {}
    for col in COLUMNS:
        ordered = sorted(cols[col.key], key=sort_key, reverse=col.newest_first)
        out[col.key] = [t.id for t in ordered]
    return out


def step_text(task: Task) -> str:
    """`step 2/3`, or what stands in for it before there is a plan."""
    n = len(task.plan)
    if n == 0:
        return "planning" if task.status == TaskStatus.RUNNING else "no plan yet"
    if task.status == TaskStatus.COMPLETE:
        return f"{n}/{n} steps"
    return f"step {min(task.current_step + 1, n)}/{n}"


STATUS_WORD = {
    TaskStatus.QUEUED: "queued",
    TaskStatus.RUNNING: "running",
    TaskStatus.PAUSED: "paused",
    TaskStatus.NEEDS_ASSISTANCE: "needs you",
    TaskStatus.COMPLETE: "done",
    TaskStatus.FAILED: "failed",
    TaskStatus.CANCELLED: "cancelled",
}


def activity_line(task: Task, live: str | None, phase: str | None = None) -> str:
    """The card's last line: what is happening now (the phase first: "step 2/3 try 1 · <what the
    model is writing>"), or why it stopped, or how it ended."""
    if task.status == TaskStatus.RUNNING:
        if phase:
            return f"{flat(phase)} · {flat(live)}" if live else flat(phase)
        return flat(live) if live else "working…"
    if task.pending_approval is not None and task.status.needs_user:
        return "approve: " + flat(shown_command(task.pending_approval.command))
    if task.status.needs_user or task.status in (TaskStatus.FAILED, TaskStatus.CANCELLED):
        return flat(task.pause_reason or STATUS_WORD[task.status])
    if task.status == TaskStatus.COMPLETE:
        return flat(task.final_summary or "done")
    return flat(task.prompt)


SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
SPIN_HZ = 4  # frames a second; the app repaints running cards this often, and only while one runs


def elapsed(seconds: float) -> str:
    """`9s`, `2m05s`, `1h02m`: short enough for a card."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def progress_clock(progress: TaskProgress, now: float) -> str:
    """`⠹ 14s · 37 tok`: a spinner, how long the phase has taken, what the model wrote in it."""
    frame = SPINNER[int(now * SPIN_HZ) % len(SPINNER)]
    text = f"{frame} {elapsed(now - progress.since)}"
    return text + (f" · {progress.tokens} tok" if progress.tokens else "")


def progress_line(progress: TaskProgress, now: float) -> str:
    """`⠹ 14s · 37 tok · step 2/3 try 1`: the clock first, so a narrow place keeps it."""
    return f"{progress_clock(progress, now)} · {flat(progress.phase)}"


def counts(tasks: Iterable[Task]) -> dict[str, int]:
    out = dict.fromkeys(COLUMN_KEYS, 0)
    for task in tasks:
        out[column_of(task)] += 1
    return out
