"""What a task changed, as a unified diff: one reader for `task show --diff` and the app's detail.

The checkpoints keep each file as it was before the task first wrote it (the baseline), not as each
step left it, so the diff is the whole task's: from before the task to the files as they are now.
Reading it changes nothing on disk.

The diff quotes file contents, which the model wrote: :func:`shown_lines` makes every line safe to
show (no terminal escapes, no invisible or reordering characters) and says what kind of line it is,
so the CLI and the app colour the same lines the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from smallclaw_tui.runner.checkpoints import Checkpoints
from smallclaw_tui.textsafe import shown_command

LineKind = Literal["file", "hunk", "add", "remove", "context", "note"]

# Enough for any change a small model makes in one task; the app renders every line it is given,
# so a runaway diff (a generated file) is cut rather than freezing the pane.
APP_MAX_CHARS = 400_000

# How Checkpoints.diff says it cut a long diff short.
CUT_MARK = "... [diff cut:"
_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")


@dataclass(slots=True)
class TaskDiff:
    task_id: str
    text: str  # the unified diff as the checkpoints give it: untrusted, unescaped
    files: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.text.strip()


def no_changes_message(task_id: str) -> str:
    return (
        f"task {task_id} has no recorded file changes "
        "(it wrote no file, its changes were undone, or its checkpoint was pruned)"
    )


def read_task_diff(data_dir: Path, workspace: Path, task_id: str, *, max_chars: int) -> TaskDiff:
    """The diff of everything `task_id` changed. Synchronous and read-only: callers run it in a
    thread, since it reads every file the task touched."""
    checkpoints = Checkpoints(data_dir, workspace, task_id)
    if not checkpoints.root.is_dir():
        return TaskDiff(task_id, "")
    return TaskDiff(task_id, checkpoints.diff(max_chars=max_chars), checkpoints.changed_files())


def shown_lines(diff: str) -> list[tuple[LineKind, str]]:
    """Each line of `diff`, made safe to show, with its kind.

    Hunk bodies are counted from their ``@@`` headers, so a removed line that reads ``--- x`` or an
    added one that reads ``+++ y`` is shown as the change it is, not as a file header.
    """
    out: list[tuple[LineKind, str]] = []
    old_left = new_left = 0
    for raw in diff.splitlines():
        line = shown_command(raw)
        kind: LineKind
        if raw.startswith(CUT_MARK):
            kind, old_left, new_left = "note", 0, 0  # the cut can fall inside a hunk
        elif old_left > 0 or new_left > 0:
            if raw.startswith("+"):
                kind, new_left = "add", new_left - 1
            elif raw.startswith("-"):
                kind, old_left = "remove", old_left - 1
            elif raw.startswith("\\"):
                kind = "note"  # "\ No newline at end of file" belongs to the line above
            else:
                kind, old_left, new_left = "context", old_left - 1, new_left - 1
        elif m := _HUNK.match(raw):
            kind = "hunk"
            old_left = 1 if m.group(1) is None else int(m.group(1))
            new_left = 1 if m.group(2) is None else int(m.group(2))
        elif raw.startswith(("--- ", "+++ ")):
            kind = "file"
        else:
            kind = "note"  # "(new empty file)", "\ No newline…", "... [diff cut: …]"
        out.append((kind, line))
    return out
