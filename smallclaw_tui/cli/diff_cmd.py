"""`smallclaw task show ID --diff`: the unified diff of every file the task changed, read-only."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

from smallclaw_tui.cli.common import CLIError, settings_from_args
from smallclaw_tui.store.tasks import AmbiguousTaskId, TaskNotFound, TaskStore
from smallclaw_tui.taskdiff import LineKind, no_changes_message, read_task_diff, shown_lines

# git's colours; "note" lines and context stay plain.
_SGR: dict[LineKind, str] = {"file": "1", "hunk": "36", "add": "32", "remove": "31"}


def run_diff_command(args: argparse.Namespace) -> int:
    return asyncio.run(_diff(args))


def _colour() -> bool:
    # https://no-color.org: any non-empty NO_COLOR turns colour off.
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


async def _diff(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    # Only looking: an unreadable task file is left for the runner to set aside.
    store = TaskStore(settings.data_dir, quarantine=False)
    try:
        task = await store.load(args.id, with_journal=False)
    except (TaskNotFound, AmbiguousTaskId) as e:
        raise CLIError(e.args[0] if e.args else str(e)) from None
    # The CLI prints the whole diff: a pager or a file is where a long one goes.
    diff = await asyncio.to_thread(
        read_task_diff, settings.data_dir, settings.workspace, task.id, max_chars=sys.maxsize
    )
    if args.json:
        print(json.dumps({"id": task.id, "files": diff.files, "diff": diff.text}, indent=2))
        return 0
    if diff.empty:
        print(no_changes_message(task.id))
        return 0
    colour = _colour()
    for kind, line in shown_lines(diff.text):
        sgr = _SGR.get(kind) if colour else None
        print(f"\x1b[{sgr}m{line}\x1b[0m" if sgr else line)
    return 0
