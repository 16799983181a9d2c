"""`smallclaw task edit ID`: change a task's goal, title or steps — from flags, from a spec file, or
in $VISUAL/$EDITOR on a TOML view of the task.

Steps before the first one that changed keep what they did; a resume continues from there. The
edit goes to the runner when one holds the workspace (it owns the task files), as pause does.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from smallclaw_tui import taskops
from smallclaw_tui.cli.common import CLIError, UsageError, settings_from_args
from smallclaw_tui.cli.spec import load_spec, spec_text
from smallclaw_tui.models import PlanStep, Task
from smallclaw_tui.store.control import ControlInbox, ControlRequest
from smallclaw_tui.store.lock import WorkspaceLock, WorkspaceLocked
from smallclaw_tui.store.tasks import AmbiguousTaskId, TaskNotFound, TaskStore
from smallclaw_tui.task_edit import TaskEdit, apply_edit, check_editable, edit_to_data


def run_edit_command(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    store = TaskStore(settings.data_dir, quarantine=False)
    return asyncio.run(_edit(args, store))


async def _edit(args: argparse.Namespace, store: TaskStore) -> int:
    task = await _find(store, args.id)
    try:
        check_editable(task)
    except taskops.TaskOpError as e:
        raise CLIError(str(e)) from None
    edit = _from_flags(args) or _in_editor(task)
    if edit is None:
        print(f"{task.id}: nothing changed")
        return 0
    # Tried on a copy first, so an impossible edit fails here, loudly, before anything is sent.
    try:
        said = apply_edit(task.model_copy(deep=True), edit)
    except taskops.TaskOpError as e:
        raise CLIError(str(e)) from None
    if not said:
        print(f"{task.id}: nothing changed")
        return 0
    lock = WorkspaceLock(store.data_dir)
    try:
        lock.acquire(purpose="task edit")
    except WorkspaceLocked:
        ControlInbox(store.data_dir).send(ControlRequest(task.id, "edit", data=edit_to_data(edit)))
        print(f"edit of {task.id} sent to the running runner")
        return 0
    try:
        task = await _find(store, task.id)  # again, under the lock: a runner may have moved it on
        entries = apply_edit(task, edit)
        await store.save(task)
        await store.append_journal(task, *entries)
    except taskops.TaskOpError as e:
        raise CLIError(str(e)) from None
    finally:
        lock.release()
    print(f"{task.id} {entries[0].content if entries else 'unchanged'}")
    return 0


def _from_flags(args: argparse.Namespace) -> TaskEdit | None:
    steps: list[PlanStep] | None = None
    goal, title = args.goal, args.title
    if args.spec is not None:
        spec_title, spec_goal, spec_steps = load_spec(args.spec)
        goal, title, steps = goal or spec_goal, title or spec_title, spec_steps
    if args.step:
        steps = (steps or []) + [PlanStep(index=0, description=d.strip()) for d in args.step if d.strip()]
    if args.no_steps:
        if args.step:
            raise UsageError("give --step or --no-steps, not both")
        steps = []
    if goal is None and title is None and steps is None:
        return None
    return TaskEdit(goal=goal, title=title, steps=steps)


def _in_editor(task: Task) -> TaskEdit | None:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        raise UsageError(
            "set $EDITOR (or $VISUAL), or say what to change with --goal, --title, --step or --spec"
        )
    with tempfile.TemporaryDirectory(prefix="smallclaw-edit-") as tmp:
        path = Path(tmp) / f"task-{task.id}.toml"
        view = spec_text(task)
        path.write_text(view, encoding="utf-8")
        try:
            done = subprocess.run([*shlex.split(editor), str(path)], check=False)
        except OSError as e:
            raise CLIError(f"could not start the editor {editor!r}: {e.strerror or e}") from None
        if done.returncode != 0:
            raise CLIError(f"the editor exited with status {done.returncode}; nothing changed")
        text = path.read_text(encoding="utf-8")
        if not text.strip() or text == view:
            return None
        title, goal, steps = load_spec(path)
    return TaskEdit(goal=goal, title=title, steps=steps)


async def _find(store: TaskStore, ident: str) -> Task:
    try:
        return await store.load(ident, with_journal=False)
    except (TaskNotFound, AmbiguousTaskId) as e:
        raise CLIError(e.args[0] if e.args else str(e)) from None
